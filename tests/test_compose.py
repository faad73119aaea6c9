"""docker-compose.yml and .env.example agree with the Compose specification and the settings."""

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
ENV_EXAMPLE = BASE_DIR / ".env.example"
# The modules that read the environment when the project starts.
SETTINGS_MODULES = [
    "config/settings.py",
    "devserver/devdb.py",
    "config/celery.py",
    "devserver/run.py",
    "manage.py",
]
ENV_HELPERS = {"env_str", "env_bool", "env_int", "env_list", "env_url", "env_networks", "getenv"}
NOT_SETTINGS = {"PATH", "DJANGO_SETTINGS_MODULE"}
APP_SERVICES = ["migrate", "web", "worker", "beat"]


def check_jsonschema() -> str:
    found = Path(sys.executable).with_name("check-jsonschema")
    return str(found) if found.exists() else (shutil.which("check-jsonschema") or "")


def variables_read(path: Path) -> set[str]:
    """Return the environment variable names a module reads, found in its syntax tree."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        key = None
        if isinstance(node, ast.Call) and node.args:
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else None
            name = function.id if isinstance(function, ast.Name) else name
            is_environ_get = (
                isinstance(function, ast.Attribute)
                and function.attr == "get"
                and isinstance(function.value, ast.Attribute)
                and function.value.attr == "environ"
            )
            if name in ENV_HELPERS or is_environ_get:
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and getattr(node.value, "attr", None) == "environ":
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names - NOT_SETTINGS


@pytest.fixture(scope="module")
def settings_variables() -> set[str]:
    names = set()
    for module in SETTINGS_MODULES:
        names |= variables_read(BASE_DIR / module)
    return names


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def command_line(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def environment(service: dict) -> dict:
    raw = service.get("environment", {})
    if isinstance(raw, list):
        return dict(item.partition("=")[::2] for item in raw)
    return raw


def test_it_reads_the_variables_the_brief_names(settings_variables):
    """The parser finds the settings' variables, so the checks below compare real names."""
    expected = {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    assert expected | {"DEVDB_PORT", "DEVDATA_DIR", "PG_BIN", "THROTTLE_ANON"} <= (
        settings_variables
    )


def test_it_validates_against_the_compose_specification():
    """docker-compose.yml passes the Compose specification's JSON schema (bundled, offline)."""
    tool = check_jsonschema()
    assert tool, "check-jsonschema is not installed (make install)"
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_rejects_a_file_that_breaks_the_specification(tmp_path):
    """The schema check fails on an invalid file, so the test above can fail."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  web:\n    image: x\n    depends_on: 42\n    colour: red\n")
    result = subprocess.run(
        [check_jsonschema(), "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0


def test_it_has_the_services_of_the_stack(compose):
    """The stack is db, redis, a one-off migrate, web, worker, beat and the proxy in front."""
    assert set(compose["services"]) == {"db", "redis", "proxy", *APP_SERVICES}


def test_it_builds_one_image_for_every_application_service(compose):
    """Only one service builds; the others reuse its image by name."""
    services = compose["services"]
    builders = [name for name, service in services.items() if "build" in service]
    assert builders == ["migrate"]
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(images) == 1
    assert None not in images


def test_it_runs_the_commands_the_settings_expect(compose):
    """web runs gunicorn on config.wsgi, worker and beat run the config Celery app."""
    services = compose["services"]
    web = command_line(services["web"])
    assert web.startswith("gunicorn config.wsgi")
    assert "0.0.0.0:8000" in web
    assert command_line(services["worker"]).startswith("celery -A config worker")
    assert command_line(services["beat"]).startswith("celery -A config beat")
    migrate = command_line(services["migrate"])
    assert "python manage.py migrate --noinput" in migrate
    assert migrate.index("migrate --noinput") < migrate.index("manage.py load_reference")


def test_it_scales_workers_and_keeps_one_scheduler(compose):
    """Workers can run as many copies (no fixed container name or published port) and none
    embeds beat; the scheduler is its own service, never replicated."""
    services = compose["services"]
    worker, beat = services["worker"], services["beat"]
    assert "container_name" not in worker and "ports" not in worker
    assert not {"-B", "--beat"} & set(worker["command"])
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert "--scale worker=" in COMPOSE_FILE.read_text()


def test_it_configures_the_application_for_the_stack(compose):
    """Application services get the database, broker, production mode and a required secret."""
    for name in APP_SERVICES:
        service = compose["services"][name]
        env = environment(service)
        assert re.fullmatch(
            r"postgresql://backchannel:[^@]+@db:5432/backchannel", env["DATABASE_URL"]
        )
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert env["DEBUG"] == "false"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required"
        assert "ALLOWED_HOSTS" in env
        env_files = [
            item if isinstance(item, str) else item["path"] for item in service["env_file"]
        ]
        assert ".env" in env_files


def test_it_passes_only_variables_the_settings_read(compose, settings_variables):
    """Every variable in an application service's environment is one the settings read."""
    for name in APP_SERVICES:
        unknown = set(environment(compose["services"][name])) - settings_variables
        assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"


def test_it_starts_services_after_their_dependencies_are_healthy(compose):
    """db and redis have healthchecks, and application services wait for them."""
    services = compose["services"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "ping" in " ".join(services["redis"]["healthcheck"]["test"])
    for name in ["web", "worker", "beat"]:
        depends_on = services[name]["depends_on"]
        assert depends_on["db"]["condition"] == "service_healthy"
        assert depends_on["redis"]["condition"] == "service_healthy"
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_it_pins_database_and_redis_majors_and_keeps_data_in_named_volumes(compose):
    """PostgreSQL >= 15 and Redis 7 are pinned, and their data lives in named volumes."""
    services = compose["services"]
    postgres_major = int(services["db"]["image"].split(":")[1].split(".")[0].split("-")[0])
    assert postgres_major >= 15
    assert services["redis"]["image"].split(":")[1].startswith("7")
    for name, target in [("db", "/var/lib/postgresql/data"), ("redis", "/data")]:
        volume, _, mount = services[name]["volumes"][0].partition(":")
        assert mount == target
        assert volume in compose["volumes"]


VARIABLE_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=")


def env_example_entries() -> list[tuple[str, str]]:
    """Return (variable, the line above it) for each variable, set or commented out."""
    entries = []
    previous = ""
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = VARIABLE_LINE.match(line)
        if match:
            entries.append((match.group(1), previous))
        previous = line
    return entries


def test_it_lists_every_setting_in_env_example(settings_variables):
    """.env.example names every variable the settings read."""
    listed = {name for name, _ in env_example_entries()}
    missing = settings_variables - listed
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_it_explains_every_variable_in_env_example():
    """Each variable in .env.example has a comment line right above it."""
    for name, comment in env_example_entries():
        assert comment.startswith("# ") and not VARIABLE_LINE.match(comment), name


# The proxy in front of gunicorn ------------------------------------------------------------

NGINX_SITE = BASE_DIR / "deploy" / "nginx" / "backchannel.conf"
NGINX_PROXY_PARAMS = BASE_DIR / "deploy" / "nginx" / "backchannel-proxy.conf"


def nginx_directives(text: str) -> dict[str, list[str]]:
    """Return the active (uncommented) directives of an nginx file: name -> values."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().rstrip(";").strip()
        if not line or line.endswith("{") or line == "}":
            continue
        name, _, value = line.partition(" ")
        found.setdefault(name, []).append(value.strip())
    return found


def test_it_publishes_only_the_proxy(compose):
    """nginx is the one published port; gunicorn is reachable inside the stack only."""
    services = compose["services"]
    published = sorted(name for name, service in services.items() if service.get("ports"))
    assert published == ["proxy"]
    assert services["web"]["expose"] == ["8000"]
    assert services["proxy"]["ports"] == ["${PROXY_PORT:-80}:80"]


def test_it_runs_the_official_nginx_image_with_the_repository_config(compose):
    """The proxy is the official nginx image, pinned, mounting the site files read-only."""
    proxy = compose["services"]["proxy"]
    name, _, tag = proxy["image"].partition(":")
    assert name == "nginx"
    assert re.fullmatch(r"1\.\d+(\.\d+)?", tag)
    mounts = {}
    for volume in proxy["volumes"]:
        source, target, mode = volume.split(":")
        assert mode == "ro"
        assert (BASE_DIR / source).is_file(), source
        mounts[target] = source
    assert mounts["/etc/nginx/conf.d/default.conf"] == "./deploy/nginx/backchannel.conf"
    assert mounts["/etc/nginx/backchannel-proxy.conf"] == "./deploy/nginx/backchannel-proxy.conf"
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"


def test_it_buffers_requests_and_passes_the_forwarded_headers():
    """nginx buffers both ways, drops stalled clients, and forwards the client and scheme."""
    site = nginx_directives(NGINX_SITE.read_text())
    params = nginx_directives(NGINX_PROXY_PARAMS.read_text())
    assert site["server"] == ["web:8000"]
    assert site["proxy_pass"] == ["http://backchannel_web"]
    assert site["include"] == ["/etc/nginx/backchannel-proxy.conf"]
    assert params["proxy_request_buffering"] == ["on"]
    assert params["proxy_buffering"] == ["on"]
    headers = dict(value.split(" ", 1) for value in params["proxy_set_header"])
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Host"] == "$host"
    for timeout in ("client_header_timeout", "client_body_timeout"):
        assert int(site[timeout][0].removesuffix("s")) <= 15, timeout


def test_it_lets_the_largest_article_through_the_proxy():
    """client_max_body_size covers ARTICLE_MAX_CHARS at 12 bytes a character and the envelope."""
    from articles.api.views import BYTES_PER_CHAR, ENVELOPE_BYTES

    size = nginx_directives(NGINX_SITE.read_text())["client_max_body_size"][0]
    assert size.endswith("m")
    assert int(size[:-1]) * 1024 * 1024 >= 1_000_000 * BYTES_PER_CHAR + ENVELOPE_BYTES


def test_it_keeps_a_tls_server_ready_to_enable():
    """The site file carries the TLS server block, commented, with certificate paths."""
    text = NGINX_SITE.read_text()
    assert "#     listen 443 ssl;" in text
    assert "#     ssl_certificate /etc/nginx/certs/fullchain.pem;" in text


def test_it_caches_in_redis_by_default(compose):
    """Every application service shares the Redis cache unless .env turns it off."""
    for name in APP_SERVICES:
        env = environment(compose["services"][name])
        assert env["CACHE_REDIS"] == "${CACHE_REDIS:-true}", name
        assert env["REDIS_URL"] != env["CELERY_BROKER_URL"], "the cache shares the queue's database"


def test_it_loads_a_redis_cache_with_socket_timeouts():
    """CACHE_REDIS=true gives Django's Redis cache on REDIS_URL, with short socket timeouts."""
    code = (
        "from django.conf import settings as s; import json; print(json.dumps(s.CACHES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CACHE_REDIS": "true",
            "REDIS_URL": "redis://redis:6379/1",
        },
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    cache = json.loads(result.stdout)
    assert cache["BACKEND"] == "config.cache.RedisCache"
    assert cache["LOCATION"] == "redis://redis:6379/1"
    assert cache["OPTIONS"]["socket_timeout"] <= 5


def test_it_trusts_forwarded_headers_from_the_stack_network_only(compose):
    """TRUSTED_PROXIES names the stack's own subnet, where the proxy is, and nothing wider."""
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    for name in APP_SERVICES:
        env = environment(compose["services"][name])
        assert env["TRUSTED_PROXIES"] == "${TRUSTED_PROXIES:-" + subnet + "}", name
