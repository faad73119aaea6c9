import logging

from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from accounts import auth
from accounts.decorators import public_or_signed_in
from articles.urls import ingest_urlpatterns

logger = logging.getLogger(__name__)


def healthz(request):
    """Report whether the web process can reach the database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure fails the check; its details stay in the logs
        logger.exception("Health check: the database is unreachable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The schema answers 401 without credentials when reading is closed (SERVE_PERMISSIONS);
    # the two documentation pages send visitors to sign in instead.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP forbids inline ones.
    path(
        "api/docs/",
        public_or_signed_in(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        public_or_signed_in(SpectacularRedocView.as_view(url_name="schema")),
        name="redoc",
    ),
    path("", include("config.api_urls")),
    path("login/", auth.login, name="login"),
    path("", include("django.contrib.auth.urls")),
    path("", include(ingest_urlpatterns)),
    path("", include("articles.urls")),
    path("", include("alerts.urls")),
    path("", include("diplomacy.urls")),
]
