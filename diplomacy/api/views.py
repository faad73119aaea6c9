"""API viewsets: declarations over the FilterSets, serializers and list selectors."""

import hashlib
from dataclasses import asdict

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import parse_etags
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from accounts.authentication import ApiTokenAuthentication
from articles.api import views as article_views
from articles.api.serializers import ArticleSerializer, ErrorSerializer
from diplomacy import selectors
from diplomacy.api.renderers import CSVRenderer, ORJSONRenderer, csv_response
from diplomacy.api.rows import MEETING_CSV_HEADER, ChannelRowShaper, MeetingRowShaper
from diplomacy.api.serializers import (
    ArticleExtractionSerializer,
    ChannelDetailSerializer,
    ChannelListItemSerializer,
    CurationEventSerializer,
    EvidenceItems,
    EvidenceSerializer,
    LocationSerializer,
    MeetingDetailSerializer,
    MeetingEditSerializer,
    MeetingListItemSerializer,
    MeetingMergeSerializer,
    MeetingReadoutsSerializer,
    MeetingSplitSerializer,
    PersonMergeSerializer,
    PersonSerializer,
    ReviewItemSerializer,
    ReviewQuerySerializer,
    TopicActivityQuerySerializer,
    TopicActivitySerializer,
    TopicSerializer,
)
from diplomacy.filtersets import (
    ArticleFilterSet,
    ChannelFilterSet,
    LocationFilterSet,
    MeetingFilterSet,
    PersonFilterSet,
    TopicFilterSet,
)
from diplomacy.models import (
    Channel,
    Location,
    Meeting,
    MeetingTopic,
    Participation,
    Person,
    PersonRedirect,
    Topic,
)
from diplomacy.revision import data_revision
from diplomacy.roles import can_curate
from diplomacy.selectors import MeetingEvidenceIds, topic_activity
from diplomacy.selectors.curation import curation_history, review_queue
from diplomacy.services import meeting_curate, meeting_merge, meeting_split, person_merge

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


@extend_schema_view(
    list=list_schema(
        MeetingListItemSerializer,
        "List meetings",
        "Meetings newest first (undated last), 50 a page (`page_size` up to 500; larger values "
        "are capped at 500). `topic` may repeat (any of them); `participant` may repeat (all of "
        "them); `location` includes the places inside a country or region; `date_from`/"
        "`date_to` match meetings whose dates overlap the range; `q` is a web-style full-text "
        "query over title, summary and location note.",
        examples=[
            OpenApiExample(
                "A meeting",
                response_only=True,
                # One row: the schema generator wraps it in the page envelope.
                value={
                    "id": 7,
                    "slug": "blinken-wang-yi-beijing-2024-04-26",
                    "title": "Blinken meets Wang Yi in Beijing",
                    "kind": "meeting",
                    "status": "held",
                    "start_date": "2024-04-26",
                    "end_date": "2024-04-26",
                    "date_precision": "day",
                    "announced": True,
                    "location": {
                        "slug": "beijing",
                        "name": "Beijing",
                        "kind": "city",
                        "country": "CN",
                    },
                    "participants": [
                        {
                            "slug": "antony-blinken",
                            "name": "Antony Blinken",
                            "country": "US",
                            "role": "Secretary of State",
                        },
                        {
                            "slug": "wang-yi",
                            "name": "Wang Yi",
                            "country": "CN",
                            "role": "Minister of Foreign Affairs",
                        },
                    ],
                    "topics": [
                        {"slug": "fentanyl", "name": "Counternarcotics"},
                        {"slug": "taiwan", "name": "Taiwan"},
                    ],
                    "article_count": 4,
                    "evidence_count": 11,
                    "url": "https://backchannel.example/meetings/"
                    "blinken-wang-yi-beijing-2024-04-26/",
                },
            )
        ],
    ),
    retrieve=extend_schema(
        summary="A meeting with the evidence for it",
        description="A meeting merged into another answers 301 with the survivor's address. "
        "Rejected meetings are found only by curators.",
        responses={200: MeetingDetailSerializer, 301: None, **ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Edit a meeting (curators)",
        description="Set any of the fields; each one set is added to `locked_fields`, so "
        "extraction never changes it again. `locked_fields` itself may be sent: a lock left "
        "out is released and its field recomputed from the evidence. `review_state` confirms, "
        "rejects or reopens the meeting. With `If-Match` carrying the ETag of the meeting's "
        "detail, a meeting changed since answers 412 and nothing is written.",
        request=MeetingEditSerializer,
        responses={
            200: MeetingDetailSerializer,
            412: OpenApiResponse(ErrorSerializer, description="The ETag in If-Match is stale."),
            **CURATION_ERRORS,
        },
    ),
)
class MeetingViewSet(CurationMixin, ConditionalGetMixin, CSVExportMixin, ReadOnlyViewSet):
    """Meetings between the two sides, each claim traced to the sentences supporting it."""

    queryset = Meeting.objects.visible()
    serializer_class = MeetingDetailSerializer
    filterset_class = MeetingFilterSet
    csv_filename = "meetings.csv"
    curation_actions = {"partial_update", "merge", "split", "history"}
    # The curation actions see rejected and merged meetings too; reads never do.
    detail_actions = {"retrieve", "partial_update", "merge", "split"}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in self.curation_actions or (
            self.action == "retrieve" and can_curate(self.request.user)
        ):
            queryset = Meeting.objects.all()
        if self.action in ("evidence", "readouts"):
            return queryset.only("pk")  # the rows come by the meeting's id
        if self.action not in self.detail_actions:
            return queryset
        # The serializer reads the first evidence rows itself (MeetingDetailSerializer).
        return (
            queryset.select_related("location")
            .defer("search_vector")
            .prefetch_related(
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("person").order_by("pk"),
                ),
                Prefetch(
                    "meeting_topics",
                    queryset=MeetingTopic.objects.select_related("topic").order_by("topic__name"),
                ),
            )
        )

    def get_serializer_class(self):
        if self.action == "list":
            return MeetingListItemSerializer
        if self.action == "evidence":
            return EvidenceSerializer
        if self.action == "history":
            return CurationEventSerializer
        return MeetingDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        try:
            found = self.get_object()
        except Http404:
            # Looked for only when missing, so a live meeting's detail costs no extra query.
            survivor = _merged_into(self.kwargs["pk"])
            if survivor is None:
                raise
            return HttpResponsePermanentRedirect(reverse("api:meeting-detail", args=[survivor]))
        if found.merged_into_id is not None:  # a curator sees stubs too: send them on as well
            path = reverse("api:meeting-detail", args=[found.merged_into_id])
            return HttpResponsePermanentRedirect(path)
        return Response(self.get_serializer(found).data)

    def partial_update(self, request, pk=None):
        meeting = self.get_object()
        self.check_if_match(request)
        edit = MeetingEditSerializer(data=request.data)
        edit.is_valid(raise_exception=True)
        values = dict(edit.validated_data)
        reason = values.pop("reason", "")
        meeting_curate(
            meeting,
            values,
            review_state=values.pop("review_state", None),
            locked_fields=values.pop("locked_fields", None),
            actor=request.user,
            reason=reason,
        )
        return self.detail_response(meeting.pk, headers={"ETag": self.etag_for(request)})

    def check_if_match(self, request) -> None:
        """Refuse a write based on a stale copy: If-Match must carry the current ETag."""
        given = request.headers.get("If-Match")
        if not given or given.strip() == "*":
            return
        current = self.etag_for(request).removeprefix("W/")
        if current not in {tag.removeprefix("W/") for tag in parse_etags(given)}:
            raise PreconditionFailed()

    def detail_response(self, pk: int, status_code: int = 200, headers=None) -> Response:
        found = self.get_queryset().get(pk=pk)
        data = MeetingDetailSerializer(found, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers=headers)

    @extend_schema(
        summary="Merge a duplicate into another meeting (curators)",
        description="Evidence, participants, topics and curated fields move to `into`, which "
        "is returned. The merged meeting's id and page then answer 301 with the survivor's.",
        request=MeetingMergeSerializer,
        responses={200: MeetingDetailSerializer, **CURATION_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def merge(self, request, pk=None):
        source = self.get_object()
        data = MeetingMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        into = data.validated_data["into"]
        survivor = meeting_merge(
            source, into, actor=request.user, reason=data.validated_data.get("reason", "")
        )
        return self.detail_response(survivor.pk)

    @extend_schema(
        summary="Split evidence off into a new meeting (curators)",
        description="The chosen evidence items (ids from the detail or /evidence/) move to a "
        "new meeting, or to `into`; both meetings are recomputed. Answers 201 with the meeting "
        "that received them.",
        request=MeetingSplitSerializer,
        responses={201: MeetingDetailSerializer, **CURATION_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def split(self, request, pk=None):
        meeting = self.get_object()
        data = MeetingSplitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        received = meeting_split(
            meeting,
            data.validated_data["evidence"],
            data.validated_data.get("into"),
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
        )
        return self.detail_response(received.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="The curators' actions on a meeting (curators)",
        description="Newest first: who did what, when, the fields' values before and after, "
        "and the reason given.",
        responses={200: CurationEventSerializer(many=True), **CURATION_ERRORS},
    )
    @action(detail=True, filter_backends=[])
    def history(self, request, pk=None):
        meeting = self.get_object()
        page = self.paginate_queryset(curation_history(meeting=meeting))
        return self.get_paginated_response(CurationEventSerializer(page, many=True).data)

    @extend_schema(
        summary="Every sentence supporting a meeting, paged",
        description="The meeting's evidence in order of the articles' publication (undated "
        "last), 50 a page (`page_size` up to 500). The meeting detail carries only the first "
        "ones; its `evidence_count` says how many there are.",
        responses={200: EvidenceSerializer(many=True), **ERROR_RESPONSES},
    )
    @action(detail=True, filter_backends=[])
    def evidence(self, request, pk=None):
        meeting = self.get_object()
        ids = self.paginate_queryset(MeetingEvidenceIds(meeting.pk))
        return self.get_paginated_response(EvidenceItems(request)(ids))

    @extend_schema(
        summary="The two governments' readouts of a meeting, side by side",
        description="The sentences of the US and PRC governments' own readouts that support "
        "the meeting, the topics each names, and the topics only one of them names. "
        "`readouts` is empty unless both governments published one (a source's `side`).",
        responses={200: MeetingReadoutsSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def readouts(self, request, pk=None):
        meeting = self.get_object()
        readouts = selectors.meeting_readouts(meeting.pk)
        return Response(
            {"both_sides": bool(readouts), "readouts": [asdict(item) for item in readouts]}
        )

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == CSVRenderer.format:
            return super().list(request, *args, **kwargs)  # CSVExportMixin streams it
        rows = selectors.MeetingListRows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        shape = MeetingRowShaper(request)
        return self.get_paginated_response([shape(row) for row in page])

    def csv_header(self):
        return list(MEETING_CSV_HEADER)

    def csv_rows(self, queryset):
        shape = MeetingRowShaper(self.request)
        rows = selectors.meeting_list_values(queryset).iterator(chunk_size=CSV_CHUNK_ROWS)
        return (shape.csv_row(row) for row in rows)


@extend_schema_view(
    list=list_schema(
        ArticleSerializer,
        "List articles",
        "Articles newest first (undated ones, such as addresses still being fetched, first "
        "of all). Filter by `status`, `source`, publication dates, `meeting` "
        "(articles reporting it), `topic` (articles mentioning it) and full text `q`.",
    ),
    retrieve=detail_schema(
        ArticleExtractionSerializer, "An article with its status and what was extracted"
    ),
)
class ArticleViewSet(CSVExportMixin, article_views.ArticleViewSet):
    """Articles, with the meetings and mentions extraction found in each.

    Registered from here so that `articles` never imports diplomacy.
    """

    renderer_classes = [ORJSONRenderer, BrowsableAPIRenderer]
    schema = PublicReadAutoSchema()
    filterset_class = ArticleFilterSet
    csv_filename = "articles.csv"
    csv_columns = {
        "id": "id",
        "title": "title",
        "source": "source__slug",
        "source_url": "url",
        "published_at": "published_at",
        "status": "status",
        "error": "error",
        "processed_at": "processed_at",
    }

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ArticleExtractionSerializer
        return super().get_serializer_class()


@extend_schema_view(
    list=list_schema(
        PersonSerializer,
        "List people",
        "People by name. `q` matches names and aliases, also approximately (typos).",
    ),
    retrieve=extend_schema(
        summary="A person",
        description="A person merged into another answers 301 with the survivor's address.",
        responses={200: PersonSerializer, 301: None, **ERROR_RESPONSES},
    ),
)
class PersonViewSet(CurationMixin, ConditionalGetMixin, CSVExportMixin, ReadOnlyViewSet):
    queryset = (
        Person.objects.annotate(
            meeting_count=selectors.visible_meeting_count(Participation, "person")
        )
        .prefetch_related("offices")
        .order_by("name", "pk")
    )
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    lookup_field = "slug"
    csv_filename = "people.csv"
    csv_columns = {
        name: name for name in ("slug", "name", "country", "review_state", "meeting_count")
    }
    curation_actions = {"merge"}

    def retrieve(self, request, *args, **kwargs):
        moved = PersonRedirect.objects.filter(slug=self.kwargs["slug"]).select_related("person")
        redirect = moved.first()
        if redirect is not None and not Person.objects.filter(slug=self.kwargs["slug"]).exists():
            path = reverse("api:person-detail", args=[redirect.person.slug])
            return HttpResponsePermanentRedirect(path)
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Merge a person into another (curators)",
        description="Offices, names, participations and mentions move to `into`; the merged "
        "person's address answers 301 with the survivor's. Returns the survivor.",
        request=PersonMergeSerializer,
        responses={200: PersonSerializer, **CURATION_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def merge(self, request, slug=None):
        source = self.get_object()
        data = PersonMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        survivor = person_merge(
            source,
            data.validated_data["into"],
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
        )
        found = self.get_queryset().get(pk=survivor.pk)
        return Response(PersonSerializer(found, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=list_schema(
        TopicSerializer,
        "List topics",
        "Topics by name, each with how many meetings discussed it.",
    ),
    retrieve=detail_schema(TopicSerializer, "A topic"),
)
class TopicViewSet(ConditionalGetMixin, CSVExportMixin, ReadOnlyViewSet):
    queryset = (
        Topic.objects.select_related("parent")
        .annotate(meeting_count=selectors.visible_meeting_count(MeetingTopic, "topic"))
        .order_by("name", "pk")
    )
    serializer_class = TopicSerializer
    filterset_class = TopicFilterSet
    lookup_field = "slug"
    csv_filename = "topics.csv"
    csv_columns = {
        "slug": "slug",
        "name": "name",
        "parent": "parent__slug",
        "meeting_count": "meeting_count",
    }

    @extend_schema(
        summary="Meetings and articles about a topic per period",
        parameters=[TopicActivityQuerySerializer],
        responses={200: TopicActivitySerializer(many=True), **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "A month",
                response_only=True,
                # One period: the schema generator wraps it in the list.
                value={"period": "2024-04-01", "meetings": 1, "articles": 3},
            )
        ],
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def activity(self, request, slug=None):
        """Count meetings (by start date) and mentioning articles (by publication date)."""
        query = TopicActivityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        topic = self.get_object()
        periods = topic_activity(topic, query.validated_data["interval"])
        return Response(TopicActivitySerializer(periods, many=True).data)


@extend_schema_view(
    list=list_schema(
        LocationSerializer,
        "List places",
        "Venues, cities, regions and countries by name. `within` lists a place and "
        "everything inside it.",
    ),
    retrieve=detail_schema(LocationSerializer, "A place"),
)
class LocationViewSet(ConditionalGetMixin, CSVExportMixin, ReadOnlyViewSet):
    queryset = Location.objects.select_related("parent").order_by("name", "pk")
    serializer_class = LocationSerializer
    filterset_class = LocationFilterSet
    lookup_field = "slug"
    csv_filename = "places.csv"
    csv_columns = {
        "slug": "slug",
        "name": "name",
        "kind": "kind",
        "country": "country",
        "parent": "parent__slug",
    }


@extend_schema_view(
    list=extend_schema(
        summary="Meetings waiting for a curator (curators)",
        description="Newest first, each with the `reason` it is here: `conflict` (evidence "
        "disagrees with a confirmed meeting), `low_confidence`, `duplicate` (a meeting sharing "
        "a participant within 10 days), `discovered_person` (a participant the gazetteer "
        "lacked), `single_report` (one article, weakly). Filter with `reason`.",
        parameters=[ReviewQuerySerializer],
        responses={200: ReviewItemSerializer(many=True), **CURATION_ERRORS},
    )
)
class ReviewViewSet(CurationMixin, viewsets.GenericViewSet):
    """The review queue: meetings that need a curator's eye."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    renderer_classes = [ORJSONRenderer, BrowsableAPIRenderer]
    curation_actions = {"list"}
    serializer_class = ReviewItemSerializer
    filter_backends: list = []
    queryset = Meeting.objects.none()  # the queue comes from its selector

    def list(self, request):
        query = ReviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(review_queue(query.validated_data.get("reason")))
        data = ReviewItemSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


def _merged_into(pk) -> int | None:
    """Return the id of the meeting this id was merged into, or None."""
    if not str(pk).isdigit():
        return None
    return (
        Meeting.objects.filter(pk=int(pk), merged_into__isnull=False)
        .values_list("merged_into_id", flat=True)
        .first()
    )


class DatedConditionalGetMixin(ConditionalGetMixin):
    """ETags that also change with the date: the answer counts days up to today."""

    def etag_for(self, request) -> str:
        return super().etag_for(request).replace('"', f'"{timezone.localdate().isoformat()}-', 1)


@extend_schema_view(
    list=extend_schema(
        summary="List channels",
        description="Recurring lines of contact, by name: pairs of counterpart offices (the "
        "two presidents, the national security adviser and the foreign affairs commission's "
        "director, …) and named mechanisms (working groups, talks). Each row has how many "
        "meetings were held through it, the latest meeting up to today, the days since then "
        "and whether a suspension covers today. `participant` (repeatable: all of them) and "
        "`topic` (repeatable: any of them) look at the channel's meetings.",
        responses={200: ChannelListItemSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="A channel with its meetings, suspensions and the intervals between meetings",
        responses={200: ChannelDetailSerializer, **ERROR_RESPONSES},
    ),
)
class ChannelViewSet(DatedConditionalGetMixin, ReadOnlyViewSet):
    """Channels: pairs of counterpart offices and named mechanisms, with their meetings."""

    queryset = Channel.objects.order_by("name", "pk")
    serializer_class = ChannelDetailSerializer
    filterset_class = ChannelFilterSet
    lookup_field = "slug"

    def get_serializer_class(self):
        return ChannelListItemSerializer if self.action == "list" else ChannelDetailSerializer

    def list(self, request, *args, **kwargs):
        today = timezone.localdate()
        rows = selectors.channel_list_values(self.filter_queryset(self.get_queryset()), today)
        page = self.paginate_queryset(rows)
        shape = ChannelRowShaper(request, today)
        return self.get_paginated_response([shape(row) for row in page])

    def retrieve(self, request, *args, **kwargs):
        today = timezone.localdate()
        history = selectors.channel_history(self.get_object(), today)
        return Response(ChannelRowShaper(request, today).detail(history))


def api_not_found(request, *args, **kwargs):
    """Answer unknown /api/ addresses in the API's JSON error shape, not the HTML 404 page."""
    return JsonResponse({"detail": "Not found."}, status=404)
