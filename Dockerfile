# syntax=docker/dockerfile:1
# One image for every process of the stack: web (gunicorn), worker and beat (Celery), migrate.
# docker-compose.yml builds it once and starts each service with its own command.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# --- build: a virtualenv with the dependencies, compiled here so the final image needs no compiler.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
    && apt-get install --yes --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Only the lock, so this slow layer is rebuilt when the dependencies change, not the code. Every
# package is checked against its hash (`make lock` writes the file from pyproject.toml).
COPY requirements.lock ./
RUN pip install --require-hashes --requirement requirements.lock \
    && pip install "setuptools>=69"

# --- runtime
FROM ${PYTHON_IMAGE}
# STATIC_ROOT: collected at build time, the same path at run time whatever DATABASE_URL says.
# DEVDATA_DIR: Celery beat keeps its schedule file here; compose mounts a volume on it.
# WEB_CONCURRENCY: gunicorn's default number of workers.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    STATIC_ROOT=/app/staticfiles \
    DEVDATA_DIR=/app/.devdata \
    WEB_CONCURRENCY=2

# An unprivileged account runs everything; the code stays owned by root and read-only to it.
RUN groupadd --system --gid 10001 backchannel \
    && useradd --system --uid 10001 --gid backchannel --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin backchannel

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .
# The project itself, editable so that BASE_DIR (templates, static, reference data) is /app.
RUN pip install --no-deps --no-build-isolation --editable . \
    && mkdir -p "$DEVDATA_DIR" \
    && chown backchannel:backchannel "$DEVDATA_DIR"

# Static files with the production storage (hashed names, compressed). A throwaway secret and a
# dummy DATABASE_URL let the settings load; collectstatic connects to nothing.
RUN DEBUG=false \
    SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything-0123456789 \
    DATABASE_URL=postgresql://build@localhost/build \
    python manage.py collectstatic --noinput --verbosity 0

USER backchannel
EXPOSE 8000

# Ask the web process itself, with the standard library (the slim image has no curl). The
# forwarded-proto header keeps SECURE_SSL_REDIRECT from answering with a redirect; the worker and
# beat services replace or disable this check in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; r = u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': 'localhost', 'X-Forwarded-Proto': 'https'}), timeout=4); sys.exit(r.status != 200)"]

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
