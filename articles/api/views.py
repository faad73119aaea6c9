from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import parsers, renderers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.utils import json

from accounts.authentication import ApiTokenAuthentication
from articles.api.serializers import (
    ArticleDetailSerializer,
    ArticleIngestSerializer,
    ArticleSerializer,
    ErrorSerializer,
    article_item,
)
from articles.exceptions import TextTooLarge
from articles.models import Article
from articles.services import article_ingest
from config.throttling import ScopedRateThrottle

# The metadata a text/plain body can carry in the query string.
PLAIN_TEXT_FIELDS = ("url", "title", "published_at", "source")
# Request bytes allowed per character of text: JSON may escape a character as \uXXXX\uXXXX.
BYTES_PER_CHAR = 12
ENVELOPE_BYTES = 64 * 1024


class PlainTextParser(parsers.BaseParser):
    """A text/plain body is the article's text; the other fields come from the query string."""

    media_type = "text/plain"

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            body = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"The text is not valid {encoding}.") from None
        data = {"body": body}
        request = parser_context.get("request")
        if request is not None:
            for name in PLAIN_TEXT_FIELDS:
                if name in request.query_params:
                    data[name] = request.query_params[name]
        return data


class JSONParser(parsers.BaseParser):
    """JSON read from the stream, under the route's own size check.

    DRF's JSONParser reads through `request.body`, which Django caps at
    DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): too small for the documented ARTICLE_MAX_CHARS once
    the text is non-ASCII UTF-8 or \\u-escaped. The view bounds the request instead
    (`_refuse_oversized`), after authentication, so only known clients send large bodies.
    """

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json.loads(stream.read().decode(encoding), parse_constant=json.strict_constant)
        except RecursionError:
            raise ParseError("The JSON is nested too deeply.") from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None


class FormParser(parsers.BaseParser):
    """URL-encoded form data read from the stream, under the route's own size check."""

    media_type = "application/x-www-form-urlencoded"

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        return QueryDict(stream.read(), encoding=encoding)


class RequestLimitErrorsMixin:
    """Answer Django's request-size refusals in the API's JSON shape, not its HTML 400 page."""

    def handle_exception(self, exc):
        if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
            exc = ParseError("The request has too many parameters.")
        elif isinstance(exc, RequestDataTooBig):
            # Django caps multipart fields at DATA_UPLOAD_MAX_MEMORY_SIZE, below the text limit.
            exc = TextTooLarge(
                f"Multipart form data is limited to {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} "
                f"bytes; send JSON, URL-encoded form data or text/plain for texts of up to "
                f"{settings.ARTICLE_MAX_CHARS:,} characters."
            )
        return super().handle_exception(exc)


class ArticleViewSet(RequestLimitErrorsMixin, viewsets.ReadOnlyModelViewSet):
    """Articles as received, and the door for new ones (POST)."""

    queryset = Article.objects.with_source().defer("search_vector")
    serializer_class = ArticleSerializer
    # Token first, so an anonymous write is told how to authenticate (401 with
    # WWW-Authenticate) instead of getting a bare 403.
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    parser_classes = [
        JSONParser,
        FormParser,
        parsers.MultiPartParser,
        PlainTextParser,
    ]
    throttle_scope = "ingest"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            # Bodies run to a megabyte each; a page of 50 must not carry them.
            queryset = queryset.defer("body")
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ArticleDetailSerializer
        if self.action == "create":
            return ArticleIngestSerializer
        return ArticleSerializer

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(ScopedRateThrottle())
        return throttles

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            self._refuse_oversized(request)

    def _refuse_oversized(self, request):
        """Refuse a body far beyond the text limit before reading it into memory."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.ARTICLE_MAX_CHARS * BYTES_PER_CHAR + ENVELOPE_BYTES:
            raise TextTooLarge(
                f"The request has {length:,} bytes; the text limit is "
                f"{settings.ARTICLE_MAX_CHARS:,} characters. Split it into several articles."
            )

    @extend_schema(
        summary="Submit an article",
        description=(
            "Store an article and queue it for extraction. Send JSON, form data, or the text "
            "itself as `text/plain` (then `title`, `url`, `published_at` and `source` go in the "
            "query string). A new article answers 202 with its `url` to poll until `status` is "
            "`done` or `failed`; the same text or URL again answers 200 with the existing one. "
            "Needs a token (`Authorization: Token <key>`) or a session with a CSRF token."
        ),
        request={
            "application/json": ArticleIngestSerializer,
            "application/x-www-form-urlencoded": ArticleIngestSerializer,
            "multipart/form-data": ArticleIngestSerializer,
            "text/plain": {"type": "string", "description": "The article's text."},
        },
        responses={
            202: OpenApiResponse(ArticleSerializer, description="Stored and queued."),
            200: OpenApiResponse(ArticleSerializer, description="Already stored: that article."),
            400: OpenApiResponse(ErrorSerializer, description="Invalid fields."),
            401: OpenApiResponse(ErrorSerializer, description="No or unknown credentials."),
            413: OpenApiResponse(ErrorSerializer, description="Text over ARTICLE_MAX_CHARS."),
            415: OpenApiResponse(ErrorSerializer, description="Unsupported content type."),
            429: OpenApiResponse(ErrorSerializer, description="Too many submissions."),
        },
        examples=[
            OpenApiExample(
                "A readout",
                request_only=True,
                value={
                    "body": "Secretary Blinken met Foreign Minister Wang Yi in Beijing on "
                    "Friday. They discussed counternarcotics cooperation and Taiwan.",
                    "title": "Secretary Blinken's meeting with Foreign Minister Wang Yi",
                    "published_at": "2024-04-26",
                    "source": "State Department",
                },
            ),
            OpenApiExample("By address", request_only=True, value={"url": "https://example.org/a"}),
            OpenApiExample(
                "Accepted",
                response_only=True,
                status_codes=["202"],
                value={
                    "id": 42,
                    "url": "https://backchannel.example/api/v1/articles/42/",
                    "status": "pending",
                    "error": "",
                    "title": "Secretary Blinken's meeting with Foreign Minister Wang Yi",
                    "source": {
                        "slug": "state-department",
                        "name": "State Department",
                        "kind": "news",
                    },
                    "source_url": None,
                    "published_at": "2024-04-26T12:00:00Z",
                    "published_source": "given",
                    "processed_at": None,
                    "extractor_version": "",
                    "created_at": "2024-04-26T13:02:11Z",
                },
            ),
        ],
    )
    def create(self, request, *args, **kwargs):
        serializer = ArticleIngestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        outcome = article_ingest(
            body=fields.get("body") or None,
            url=fields.get("url") or None,
            title=fields.get("title", ""),
            published_at=fields.get("published_at"),
            source=fields.get("source") or None,
        )
        data = article_item(outcome.article, request, self.format_kwarg)
        return Response(
            data,
            status=status.HTTP_202_ACCEPTED if outcome.created else status.HTTP_200_OK,
            headers={"Location": data["url"]},
        )
