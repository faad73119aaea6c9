"""Curation through the API: editing, merging and splitting meetings, their history and undo,
people's aliases and confirmation, and the review queue (curators only)."""

from django.utils.http import parse_etags
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from accounts.authentication import ApiTokenAuthentication
from diplomacy.api.base import (
    CURATION_ERRORS,
    CurationMixin,
    PreconditionFailed,
)
from diplomacy.api.renderers import ORJSONRenderer
from diplomacy.api.serializers import (
    MeetingDetailSerializer,
    PersonSerializer,
    absolute_page_url,
)
from diplomacy.choices import (
    DatePrecision,
    MeetingKind,
    MeetingStatus,
    ReviewState,
)
from diplomacy.models import (
    CurationEvent,
    Evidence,
    Location,
    Meeting,
    Person,
    Topic,
)
from diplomacy.selectors.curation import REVIEW_REASONS, curation_history, review_queue
from diplomacy.services import (
    curation_undo,
    meeting_curate,
    meeting_merge,
    meeting_split,
    person_alias_add,
    person_confirm,
)
from diplomacy.services.curation import LOCKABLE

# Curation -----------------------------------------------------------------------------------

REASON_FIELD = serializers.CharField(
    required=False, allow_blank=True, max_length=2000, help_text="Why, for the history."
)


class MeetingEditSerializer(serializers.Serializer):
    """Input of PATCH /meetings/{id}/: any of these; each field given is locked."""

    title = serializers.CharField(required=False, max_length=300)
    kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False)
    status = serializers.ChoiceField(choices=MeetingStatus.choices, required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    location = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        help_text="A place's slug, or null.",
    )
    announced = serializers.BooleanField(required=False, allow_null=True)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    participants = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Person.objects.all(),
        many=True,
        required=False,
        help_text="Every participant's slug: the list replaces the current one.",
    )
    topics = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Topic.objects.all(),
        many=True,
        required=False,
        help_text="Every topic's slug: the list replaces the current one.",
    )
    review_state = serializers.ChoiceField(choices=ReviewState.choices, required=False)
    locked_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=LOCKABLE),
        required=False,
        help_text="The locks to keep: a lock left out is released and its field recomputed "
        "from the evidence; a lock added keeps the current value.",
    )
    reason = REASON_FIELD

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["Not an editable field."] for name in sorted(unknown)}
            )
        if not attrs:
            raise serializers.ValidationError("Give at least one field to change.")
        return attrs


class MeetingMergeSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(
        queryset=Meeting.objects.all(), help_text="The id of the meeting that survives."
    )
    reason = REASON_FIELD


class MeetingSplitSerializer(serializers.Serializer):
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        help_text="Ids of the evidence items to move (some, not all, of the meeting's).",
    )
    into = serializers.PrimaryKeyRelatedField(
        queryset=Meeting.objects.all(),
        required=False,
        allow_null=True,
        help_text="An existing meeting to move them to; a new meeting when left out.",
    )
    reason = REASON_FIELD


class PersonMergeSerializer(serializers.Serializer):
    into = serializers.CharField(help_text="The slug (or numeric id) of the person who survives.")
    reason = REASON_FIELD

    def validate_into(self, value):
        people = Person.objects.all()
        found = (
            people.filter(pk=int(value)).first()
            if value.isdigit()
            else people.filter(slug=value).first()
        )
        if found is None:
            raise serializers.ValidationError(f"No person {value!r}.")
        return found


class ReasonSerializer(serializers.Serializer):
    """Input of undo and confirm: only an optional reason."""

    reason = REASON_FIELD


class PersonAliasSerializer(serializers.Serializer):
    alias = serializers.CharField(
        max_length=200, help_text="The name as written in the sentence; it must occur there."
    )
    evidence = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The id of the evidence sentence that uses the name (from a meeting's detail).",
    )
    reason = REASON_FIELD

    def validate_evidence(self, value):
        found = Evidence.objects.only("pk", "quote").filter(pk=value).first()
        if found is None:
            raise serializers.ValidationError(f"No evidence sentence {value}.")
        return found


class CurationEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    changes = serializers.JSONField(
        help_text="Changed fields as {field: [before, after]}, and what a merge or split moved."
    )
    meeting = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    person = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = CurationEvent
        fields = [
            "id",
            "action",
            "actor",
            "created_at",
            "meeting",
            "person",
            "changes",
            "reason",
            "undoes",
        ]
        read_only_fields = fields
        extra_kwargs = {"undoes": {"help_text": "The id of the action an undo reversed."}}


class ReviewItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="meeting.pk")
    slug = serializers.CharField(source="meeting.slug")
    title = serializers.CharField(source="meeting.title")
    start_date = serializers.DateField(source="meeting.start_date", allow_null=True)
    review_state = serializers.CharField(source="meeting.review_state")
    article_count = serializers.IntegerField(
        source="meeting.article_count", help_text="How many articles report it (the order)."
    )
    reason = serializers.ChoiceField(choices=sorted(REVIEW_REASONS), help_text="Why it is here.")
    reason_label = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The meeting's page on the site.")

    def get_url(self, item) -> str:
        return absolute_page_url(self, item.meeting)


class ReviewQuerySerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=sorted(REVIEW_REASONS), required=False, help_text="Only meetings here for this."
    )


class MeetingCurationMixin:
    """The curators' writes on a meeting: PATCH, merge, split, and the history of them."""

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
        summary="Undo a curator's action on a meeting (curators)",
        description="Restores the values the action replaced and records the undo in the "
        "history. Only the newest action can be undone: edits, locks, unlocks, confirmations, "
        "rejections and reopenings. Answers 409, changing nothing, for a merge or a split, for "
        "an older action, when the values changed since, or when newer evidence speaks to the "
        "fields it touched. Returns the meeting.",
        request=ReasonSerializer,
        responses={200: MeetingDetailSerializer, **CURATION_ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        url_path=r"history/(?P<event_id>[0-9]{1,18})/undo",
        url_name="history-undo",
    )
    def undo(self, request, pk=None, event_id=None):
        meeting = self.get_object()
        event = CurationEvent.objects.filter(pk=int(event_id), meeting=meeting).first()
        if event is None:
            raise NotFound("This meeting has no such action in its history.")
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        curation_undo(event, actor=request.user, reason=data.validated_data.get("reason", ""))
        return self.detail_response(meeting.pk)


class PersonCurationMixin:
    """The curators' writes on a person besides merging: an alias, a confirmation."""

    def person_response(self, person):
        found = self.get_queryset().get(pk=person.pk)
        return Response(PersonSerializer(found, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Add an alias read in an evidence sentence (curators)",
        description="The alias must occur in the sentence given by `evidence` (case and spacing "
        "aside); extraction recognises it from then on. Returns the person.",
        request=PersonAliasSerializer,
        responses={200: PersonSerializer, **CURATION_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def aliases(self, request, slug=None):
        person = self.get_object()
        data = PersonAliasSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person_alias_add(
            person,
            data.validated_data["alias"],
            data.validated_data["evidence"],
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
        )
        return self.person_response(person)

    @extend_schema(
        summary="Confirm an official discovered in the texts (curators)",
        description="A person extraction found but the gazetteer lacked (`review_state` "
        "`auto`) becomes `confirmed`, and leaves the review queue's `discovered_person` reason. "
        "A person already confirmed answers 409. Returns the person.",
        request=ReasonSerializer,
        responses={200: PersonSerializer, **CURATION_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def confirm(self, request, slug=None):
        person = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person_confirm(person, actor=request.user, reason=data.validated_data.get("reason", ""))
        return self.person_response(person)


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
