"""What the API viewsets share: schema helpers, read-only and curation permissions, CSV export
and conditional GETs."""

import hashlib

from django.conf import settings
from django.utils import timezone
from django.utils.http import parse_etags
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from accounts.authentication import ApiTokenAuthentication
from articles.api import views as article_views
from articles.api.serializers import ErrorSerializer
from diplomacy.api.renderers import CSVRenderer, ORJSONRenderer, csv_response
from diplomacy.revision import data_revision
from diplomacy.roles import can_curate

# Rows fetched per round trip while streaming a CSV export.
CSV_CHUNK_ROWS = 2000

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv"],
    description="`csv` downloads every row that matches the filters (no paging) as CSV.",
)
ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid filter or parameter."),
    401: OpenApiResponse(ErrorSerializer, description="Reading needs credentials here."),
    404: OpenApiResponse(ErrorSerializer, description="No such page or object."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests."),
}


def list_schema(item, summary: str, description: str = "", examples=()):
    """Document a list action: paged JSON of `item`, or the same rows as CSV."""
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[FORMAT_PARAMETER],
        responses={
            (200, "application/json"): item(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            # Errors stay JSON when CSV was asked for.
            **{(code, "application/json"): error for code, error in ERROR_RESPONSES.items()},
        },
        examples=list(examples),
    )


CURATION_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; `errors` names the field."),
    403: OpenApiResponse(ErrorSerializer, description="Only curators and staff may do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such object."),
    409: OpenApiResponse(
        ErrorSerializer, description="Conflicts with a decision taken (merged, rejected)."
    ),
}


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The meeting changed since it was read (If-Match); fetch it again and retry."
    default_code = "precondition_failed"


class IsCurator(BasePermission):
    """Curators (the Curators group) and staff; everyone else is refused with 403."""

    message = "Only curators may do this."

    def has_permission(self, request, view):
        return can_curate(request.user)


class CurationMixin:
    """Actions in `curation_actions` are for curators only, and refused with 403 (not 401)
    to anyone else: they are not reads that credentials would open."""

    curation_actions: set[str] = set()

    def get_permissions(self):
        if self.action in self.curation_actions:
            return [IsCurator()]
        return super().get_permissions()

    def permission_denied(self, request, message=None, code=None):
        if self.action in self.curation_actions:
            raise exceptions.PermissionDenied(message or IsCurator.message)
        return super().permission_denied(request, message=message, code=code)


def detail_schema(item, summary: str):
    return extend_schema(summary=summary, responses={200: item, **ERROR_RESPONSES})


class PublicReadAutoSchema(AutoSchema):
    """Document reads as open to anonymous clients when PUBLIC_READ is on."""

    def get_auth(self):
        auths = super().get_auth()
        if settings.PUBLIC_READ and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths


class ReadOnlyViewSet(article_views.RequestLimitErrorsMixin, viewsets.ReadOnlyModelViewSet):
    # Token first, so a client without credentials is told how to authenticate (401 with
    # WWW-Authenticate) rather than getting a bare 403.
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    renderer_classes = [ORJSONRenderer, BrowsableAPIRenderer]
    schema = PublicReadAutoSchema()


class CSVExportMixin:
    """`?format=csv` (or Accept: text/csv) on a list streams every matching row as CSV."""

    csv_filename = "export.csv"
    # CSV column name -> field path for values_list().
    csv_columns: dict[str, str] = {}

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.action == "list":
            renderers.append(CSVRenderer())
        return renderers

    def csv_header(self) -> list[str]:
        return list(self.csv_columns)

    def csv_rows(self, queryset):
        """Yield one sequence of cells per row, in `csv_header` order."""
        fields = self.csv_columns.values()
        return queryset.values_list(*fields).iterator(chunk_size=CSV_CHUNK_ROWS)

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == CSVRenderer.format:
            queryset = self.filter_queryset(self.get_queryset())
            return csv_response(self.csv_filename, self.csv_header(), self.csv_rows(queryset))
        return super().list(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        accepted = getattr(request, "accepted_renderer", None)
        if getattr(response, "exception", False) and isinstance(accepted, CSVRenderer):
            # Errors keep the API's one JSON shape even when CSV was asked for.
            request.accepted_renderer = ORJSONRenderer()
            request.accepted_media_type = ORJSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class NotModified(Exception):
    """The client's copy is current: answer 304 without running the view."""

    def __init__(self, etag: str):
        self.etag = etag


class ConditionalGetMixin:
    """ETag from the data revision and the request; a matching If-None-Match gets 304.

    The revision moves on with every change to what the API shows (diplomacy/revision.py), so
    the ETag is known before any list or detail query runs: an unchanged answer costs one
    tiny query. Authentication, permissions and throttles run first, as for any request.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.revision_etag = None
        if request.method in ("GET", "HEAD"):
            self.revision_etag = self.etag_for(request)
            if self.revision_etag in parse_etags(request.headers.get("If-None-Match", "")):
                raise NotModified(self.revision_etag)

    def etag_for(self, request) -> str:
        # The host and the media type change the body (absolute URLs, JSON or CSV).
        varying = "\n".join(
            [request.get_host(), request.get_full_path(), request.accepted_media_type or ""]
        )
        digest = hashlib.blake2b(varying.encode(), digest_size=12).hexdigest()
        return f'W/"{data_revision()}-{digest}"'

    def handle_exception(self, exc):
        if isinstance(exc, NotModified):
            return Response(status=304, headers={"ETag": exc.etag})
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "revision_etag", None) and response.status_code == 200:
            response["ETag"] = self.revision_etag
        return response


class DatedConditionalGetMixin(ConditionalGetMixin):
    """ETags that also change with the date: the answer counts days up to today."""

    def etag_for(self, request) -> str:
        today = timezone.localdate().isoformat()
        return super().etag_for(request).replace('"', f'"{today}-', 1)
