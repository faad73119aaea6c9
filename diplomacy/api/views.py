"""API viewsets: declarations over the FilterSets, serializers and list selectors."""

from django.db.models import Prefetch
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from articles.api import views as article_views
from articles.api.serializers import ArticleSerializer, ErrorSerializer
from diplomacy import selectors
from diplomacy.api.base import (
    CSV_CHUNK_ROWS,
    CURATION_ERRORS,
    ERROR_RESPONSES,
    ConditionalGetMixin,
    CSVExportMixin,
    CurationMixin,
    PublicReadAutoSchema,
    ReadOnlyViewSet,
    detail_schema,
    list_schema,
)
from diplomacy.api.curation import (
    CurationEventSerializer,
    MeetingCurationMixin,
    MeetingEditSerializer,
    PersonCurationMixin,
    PersonMergeSerializer,
)
from diplomacy.api.meeting_list import filter_slugs_at, plain_filter
from diplomacy.api.renderers import CSVRenderer, ORJSONRenderer
from diplomacy.api.rows import MEETING_CSV_HEADER, MeetingRowShaper
from diplomacy.api.serializers import (
    ArticleExtractionSerializer,
    EvidenceItems,
    EvidenceSerializer,
    LocationSerializer,
    MeetingDetailSerializer,
    MeetingListItemSerializer,
    MeetingReadoutsSerializer,
    PersonSerializer,
    TopicActivityQuerySerializer,
    TopicActivitySerializer,
    TopicSerializer,
)
from diplomacy.filtersets import (
    ArticleFilterSet,
    LocationFilterSet,
    MeetingFilterSet,
    PersonFilterSet,
    TopicFilterSet,
)
from diplomacy.models import (
    Location,
    Meeting,
    MeetingTopic,
    Participation,
    Person,
    Topic,
)
from diplomacy.revision import data_revision
from diplomacy.roles import can_curate
from diplomacy.selectors import MeetingEvidenceIds, topic_activity
from diplomacy.selectors.meeting_list import PlainMeetingList
from diplomacy.services import person_merge


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
class MeetingViewSet(
    MeetingCurationMixin, CurationMixin, ConditionalGetMixin, CSVExportMixin, ReadOnlyViewSet
):
    """Meetings between the two sides, each claim traced to the sentences supporting it."""

    queryset = Meeting.objects.visible()
    serializer_class = MeetingDetailSerializer
    filterset_class = MeetingFilterSet
    csv_filename = "meetings.csv"
    curation_actions = {"partial_update", "merge", "split", "history", "undo"}
    # The curation actions see rejected and merged meetings too; reads never do.
    detail_actions = {"retrieve", "partial_update", "merge", "split", "undo"}

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
            {"both_sides": bool(readouts), "readouts": [item.as_item() for item in readouts]}
        )

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == CSVRenderer.format:
            return super().list(request, *args, **kwargs)  # CSVExportMixin streams it
        shape = MeetingRowShaper(request)
        rows = self.plain_rows(request)
        if rows is not None:
            page = self.paginate_queryset(rows)
            return self.get_paginated_response([shape.list_item(row) for row in page])
        rows = selectors.MeetingListRows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([shape(row) for row in page])

    def plain_rows(self, request) -> PlainMeetingList | None:
        """Return the rows of the common filters read without the FilterSet, or None when the
        FilterSet must read the parameters (diplomacy/api/meeting_list.py)."""
        selected = plain_filter(request.query_params, lambda: filter_slugs_at(data_revision()))
        if selected is None:
            return None
        return PlainMeetingList(selected, expected=self.requested_page(request))

    def requested_page(self, request) -> tuple[int, int] | None:
        """Return the offset and size of the page the paginator will read, when the page is
        a plain number (anything else is the paginator's to resolve or refuse)."""
        size = self.paginator.get_page_size(request)
        number = request.query_params.get(self.paginator.page_query_param) or "1"
        if not size or not (number.isascii() and number.isdigit() and len(number) <= 9):
            return None
        if int(number) < 1:
            return None
        return (int(number) - 1) * size, size

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
class PersonViewSet(
    PersonCurationMixin, CurationMixin, ConditionalGetMixin, CSVExportMixin, ReadOnlyViewSet
):
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
    curation_actions = {"merge", "aliases", "confirm"}

    def retrieve(self, request, *args, **kwargs):
        try:
            return super().retrieve(request, *args, **kwargs)
        except Http404:
            # Looked for only when missing, so a live person's detail costs no extra query.
            survivor = selectors.person_survivor(self.kwargs["slug"])
            if survivor is None:
                raise
            return HttpResponsePermanentRedirect(reverse("api:person-detail", args=[survivor.slug]))

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


def _merged_into(pk) -> int | None:
    """Return the id of the meeting this id was merged into, or None."""
    if not str(pk).isdigit():
        return None
    return (
        Meeting.objects.filter(pk=int(pk), merged_into__isnull=False)
        .values_list("merged_into_id", flat=True)
        .first()
    )


@csrf_exempt  # it changes nothing; a write to an unknown address is a JSON 404, not a CSRF page
def api_not_found(request, *args, **kwargs):
    """Answer unknown /api/ addresses in the API's JSON error shape, not the HTML 404 page."""
    return JsonResponse({"detail": "Not found."}, status=404)
