"""Channels through the API: recurring lines of contact with their meetings."""

from django.core.paginator import InvalidPage, Paginator
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from diplomacy import selectors
from diplomacy.api.base import (
    ERROR_RESPONSES,
    DatedConditionalGetMixin,
    ReadOnlyViewSet,
)
from diplomacy.api.rows import ChannelMeetingsPage, ChannelRowShaper
from diplomacy.api.serializers import (
    MeetingListItemSerializer,
)
from diplomacy.choices import (
    ChannelKind,
    Side,
)
from diplomacy.filtersets import (
    ChannelFilterSet,
)
from diplomacy.models import (
    Channel,
)

# Meetings in a channel's detail at a time, oldest first.
CHANNEL_MEETINGS_PAGE_SIZE = 100

# Channels -----------------------------------------------------------------------------------


class ChannelMeetingBriefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    start_date = serializers.DateField()
    url = serializers.URLField(help_text="The meeting's page on the site.")


class ChannelListItemSerializer(serializers.Serializer):
    """The shape of a channel list row (built in one query, rendered with orjson)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    us_role = serializers.CharField(help_text="US office role key (office pairs), else empty.")
    cn_role = serializers.CharField(help_text="Chinese office role key (office pairs), else empty.")
    start_date = serializers.DateField(allow_null=True)
    description = serializers.CharField()
    meeting_count = serializers.IntegerField()
    last_meeting = ChannelMeetingBriefSerializer(
        allow_null=True, help_text="The latest meeting held, up to today."
    )
    days_since_last = serializers.IntegerField(
        allow_null=True, help_text="Days from the latest meeting to today."
    )
    suspended = serializers.BooleanField(help_text="A suspension covers today.")
    url = serializers.URLField(help_text="The channel's page on the site.")


class ChannelSuspensionSerializer(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True, help_text="Null while still suspended.")
    side = serializers.ChoiceField(choices=Side.choices, help_text="The side that suspended it.")
    note = serializers.CharField()


class ChannelIntervalSerializer(serializers.Serializer):
    start_date = serializers.DateField(help_text="The earlier meeting.")
    end_date = serializers.DateField(help_text="The next meeting.")
    days = serializers.IntegerField()
    suspended = serializers.BooleanField(help_text="A suspension overlapped the interval.")


class ChannelDetailSerializer(ChannelListItemSerializer):
    aliases = serializers.ListField(child=serializers.CharField())
    suspensions = ChannelSuspensionSerializer(many=True)
    meetings = MeetingListItemSerializer(
        many=True,
        help_text=f"Oldest first, {CHANNEL_MEETINGS_PAGE_SIZE} at a time (`page`, from 1).",
    )
    meetings_next = serializers.URLField(
        allow_null=True, help_text="The next page of meetings, null on the last."
    )
    meetings_previous = serializers.URLField(
        allow_null=True, help_text="The previous page of meetings, null on the first."
    )
    intervals = ChannelIntervalSerializer(
        many=True,
        help_text="Between consecutive held meetings: those ending at a meeting of this page.",
    )


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
        description=f"`meetings` holds {CHANNEL_MEETINGS_PAGE_SIZE} meetings at a time, oldest "
        "first: `page` picks the page, and `meetings_next` and `meetings_previous` link to the "
        "pages around. `meeting_count` counts them all.",
        parameters=[
            OpenApiParameter(
                "page", int, description="The page of meetings (from 1).", required=False
            )
        ],
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
        page = meetings_page(request, history.meetings)
        return Response(ChannelRowShaper(request, today).detail(history, page))


def meetings_page(request, meetings: list[dict]) -> ChannelMeetingsPage:
    """Return the page of a channel's meetings that `page` asks for, with their list rows.

    Only that page's rows are built (participants, topics, place): a channel can have
    hundreds of meetings. An unknown page is a 404, as on the lists.
    """
    paginator = Paginator(meetings, CHANNEL_MEETINGS_PAGE_SIZE)
    try:
        page = paginator.page(request.query_params.get("page") or 1)
    except InvalidPage as error:
        raise NotFound(f"Invalid page: {error}") from error
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", page.number + 1) if page.has_next() else None
    previous_url = None
    if page.has_previous():
        number = page.number - 1
        previous_url = (
            replace_query_param(url, "page", number)
            if number > 1
            else remove_query_param(url, "page")
        )
    rows = selectors.meeting_rows([row["id"] for row in page.object_list])
    return ChannelMeetingsPage(rows=rows, next_url=next_url, previous_url=previous_url)
