"""One FilterSet per model, shared by the API and the dashboard pages."""

import django_filters
from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, F, OuterRef, Q
from drf_spectacular.utils import extend_schema_field

from articles.choices import ArticleStatus
from articles.models import Article, Source
from diplomacy.choices import (
    ChannelKind,
    LocationKind,
    MeetingKind,
    MeetingStatus,
    PersonReviewState,
)
from diplomacy.models import (
    Channel,
    Evidence,
    Location,
    Meeting,
    MeetingChannel,
    MeetingTopic,
    Mention,
    Office,
    Participation,
    Person,
    Topic,
)

NAME_QUERY_MAX_CHARS = 200
WITHIN_LABEL = "Inside this place at any depth (slug; the place itself included)"


def text_query(value: str) -> SearchQuery:
    """Return a web-style full-text query ("quoted phrases", -exclusions, OR)."""
    return SearchQuery(value, search_type="websearch", config="english")


def name_matches(prefix: str, value: str) -> Q:
    """Match a name containing the text, or close to it (pg_trgm, so typos still find it)."""
    return Q(**{f"{prefix}__icontains": value}) | Q(**{f"{prefix}__trigram_similar": value})


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Order with undated rows last either way, ties broken by id so pages never overlap.

    Without an `ordering` parameter the `default` order applies, so every consumer of the
    FilterSet lists rows the same way.
    """

    def __init__(self, *args, default: str, **kwargs):
        self.default = default
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        params = [param for param in value or [] if param] or [self.default]
        ordering = []
        for param in params:
            descending = param.startswith("-")
            field = F(self.get_ordering_value(param).removeprefix("-"))
            ordering.append(
                field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
            )
        ordering.append("-pk" if params[-1].startswith("-") else "pk")
        return queryset.order_by(*ordering)


class MeetingFilterSet(django_filters.FilterSet):
    # field_name names the relation filtered, so the OpenAPI schema can type the parameter.
    topic = django_filters.ModelMultipleChoiceFilter(
        field_name="topics",
        queryset=Topic.objects.all(),
        to_field_name="slug",
        method="filter_topic",
        label="Topic (slug; several match any)",
    )
    participant = django_filters.ModelMultipleChoiceFilter(
        field_name="participants",
        queryset=Person.objects.all(),
        to_field_name="slug",
        method="filter_participant",
        label="Participant (slug; several must all take part)",
    )
    location = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(),
        to_field_name="slug",
        method="filter_location",
        label="Place (slug; a country or region includes the places inside it)",
    )
    kind = django_filters.MultipleChoiceFilter(choices=MeetingKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=MeetingStatus.choices)
    channel = django_filters.ModelMultipleChoiceFilter(
        field_name="channels",
        queryset=Channel.objects.all(),
        to_field_name="slug",
        method="filter_channel",
        label="Channel (slug; several match any)",
    )
    date_from = django_filters.DateFilter(method="filter_date_from", label="On or after")
    date_to = django_filters.DateFilter(method="filter_date_to", label="On or before")
    q = django_filters.CharFilter(method="filter_text", label="Text", max_length=200)
    ordering = NullsLastOrderingFilter(
        fields=(("start_date", "start_date"),),
        default="-start_date",
        label="Order by start date (start_date, or -start_date for newest first)",
    )

    class Meta:
        model = Meeting
        fields = [
            "topic",
            "participant",
            "location",
            "kind",
            "status",
            "channel",
            "date_from",
            "date_to",
        ]

    def filter_channel(self, queryset, name, channels):
        if not channels:
            return queryset
        links = MeetingChannel.objects.filter(meeting=OuterRef("pk"), channel__in=channels)
        return queryset.filter(Exists(links))

    def filter_topic(self, queryset, name, topics):
        if not topics:
            return queryset
        links = MeetingTopic.objects.filter(meeting=OuterRef("pk"), topic__in=topics)
        return queryset.filter(Exists(links))

    def filter_participant(self, queryset, name, people):
        for person in people:
            queryset = queryset.filter(
                Exists(Participation.objects.filter(meeting=OuterRef("pk"), person=person))
            )
        return queryset

    def filter_location(self, queryset, name, location):
        if location is None:
            return queryset
        if location.kind in (LocationKind.VENUE,):
            return queryset.filter(location=location)
        return queryset.filter(location__in=Location.objects.within(location))

    def filter_date_from(self, queryset, name, value):
        return queryset.overlapping(date_from=value)

    def filter_date_to(self, queryset, name, value):
        return queryset.overlapping(date_to=value)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(search_vector=text_query(value))


class NetworkFilterSet(MeetingFilterSet):
    """The meetings behind the network: the timeline's topic, channel and date filters, and
    one person whose meetings alone are drawn (their ego network)."""

    # Set to None: the network keeps only the filters above, not the rest of the timeline's.
    participant = None
    location = None
    kind = None
    status = None
    q = None
    ordering = None
    person = django_filters.ModelChoiceFilter(
        field_name="participants",
        queryset=Person.objects.all(),
        to_field_name="slug",
        method="filter_person",
        label="Person (slug): only the meetings this person took part in",
    )

    class Meta:
        model = Meeting
        fields = ["topic", "channel", "date_from", "date_to", "person"]

    def filter_person(self, queryset, name, person):
        if person is None:
            return queryset
        return self.filter_participant(queryset, name, [person])


class ChannelFilterSet(django_filters.FilterSet):
    """Channels by kind, and by who took part in and what was discussed at their meetings."""

    kind = django_filters.MultipleChoiceFilter(choices=ChannelKind.choices)
    participant = django_filters.ModelMultipleChoiceFilter(
        field_name="meetings__participants",
        queryset=Person.objects.all(),
        to_field_name="slug",
        method="filter_participant",
        label="Participant (slug; several must all have taken part in its meetings)",
    )
    topic = django_filters.ModelMultipleChoiceFilter(
        field_name="meetings__topics",
        queryset=Topic.objects.all(),
        to_field_name="slug",
        method="filter_topic",
        label="Topic (slug; several match any): discussed at one of its meetings",
    )

    class Meta:
        model = Channel
        fields = ["kind", "participant", "topic"]

    @staticmethod
    def _channel_meetings():
        return MeetingChannel.objects.filter(
            channel=OuterRef("pk"), meeting__in=Meeting.objects.visible()
        )

    def filter_participant(self, queryset, name, people):
        for person in people:
            queryset = queryset.filter(
                Exists(self._channel_meetings().filter(meeting__participations__person=person))
            )
        return queryset

    def filter_topic(self, queryset, name, topics):
        if not topics:
            return queryset
        return queryset.filter(
            Exists(self._channel_meetings().filter(meeting__meeting_topics__topic__in=topics))
        )


class ArticleFilterSet(django_filters.FilterSet):
    """Articles by processing status, source, publication date, text and what they mention.

    It lives here rather than in `articles` because the meeting and topic filters reach into
    diplomacy, which `articles` must not import.
    """

    status = django_filters.MultipleChoiceFilter(choices=ArticleStatus.choices)
    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.all(), to_field_name="slug", label="Source (slug)"
    )
    published_from = django_filters.DateFilter(
        field_name="published_at", lookup_expr="date__gte", label="Published on or after"
    )
    published_to = django_filters.DateFilter(
        field_name="published_at", lookup_expr="date__lte", label="Published on or before"
    )
    meeting = django_filters.ModelChoiceFilter(
        field_name="evidence__meeting",
        # A rejected meeting is not shown to readers: its id must answer as an unknown one,
        # not reveal which articles reported it.
        queryset=Meeting.objects.visible(),
        method="filter_meeting",
        label="Meeting (id): articles that report it",
    )
    topic = django_filters.ModelMultipleChoiceFilter(
        field_name="mentions__topic",
        queryset=Topic.objects.all(),
        to_field_name="slug",
        method="filter_topic",
        label="Topic (slug; several match any): articles that mention it",
    )
    q = django_filters.CharFilter(method="filter_text", label="Text", max_length=200)

    class Meta:
        model = Article
        fields = ["status", "source", "published_from", "published_to", "meeting", "topic"]

    def filter_meeting(self, queryset, name, meeting):
        return queryset.filter(
            Exists(Evidence.objects.filter(article=OuterRef("pk"), meeting=meeting))
        )

    def filter_topic(self, queryset, name, topics):
        if not topics:
            return queryset
        return queryset.filter(
            Exists(Mention.objects.filter(article=OuterRef("pk"), topic__in=topics))
        )

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(search_vector=text_query(value))


class PersonFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_name", label="Name (or close to it)", max_length=NAME_QUERY_MAX_CHARS
    )
    country = django_filters.CharFilter(
        method="filter_country", label="Country (ISO 3166 alpha-2)", max_length=2
    )
    role = django_filters.CharFilter(
        method="filter_role", label="Office role key, e.g. foreign-minister", max_length=60
    )
    review_state = django_filters.ChoiceFilter(choices=PersonReviewState.choices)

    class Meta:
        model = Person
        fields = ["q", "country", "role", "review_state"]

    def filter_name(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(name_matches("name", value) | Q(aliases__icontains=value))

    def filter_country(self, queryset, name, value):
        return queryset.filter(country__iexact=value.strip())

    def filter_role(self, queryset, name, value):
        return queryset.filter(
            Exists(Office.objects.filter(person=OuterRef("pk"), role=value.strip()))
        )


class TopicFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_name", label="Name (or close to it)", max_length=NAME_QUERY_MAX_CHARS
    )
    parent = django_filters.ModelChoiceFilter(
        queryset=Topic.objects.all(), to_field_name="slug", label="Parent topic (slug)"
    )

    class Meta:
        model = Topic
        fields = ["q", "parent"]

    def filter_name(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(name_matches("name", value) | Q(keywords__icontains=value))


class LocationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_name", label="Name (or close to it)", max_length=NAME_QUERY_MAX_CHARS
    )
    kind = django_filters.MultipleChoiceFilter(choices=LocationKind.choices)
    country = django_filters.CharFilter(
        method="filter_country", label="Country (ISO 3166 alpha-2)", max_length=2
    )
    parent = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(), to_field_name="slug", label="Parent place (slug)"
    )
    within = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(),
        to_field_name="slug",
        method="filter_within",
        label=WITHIN_LABEL,
    )

    class Meta:
        model = Location
        fields = ["q", "kind", "country", "parent", "within"]

    def filter_name(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(name_matches("name", value) | Q(aliases__icontains=value))

    def filter_country(self, queryset, name, value):
        return queryset.filter(country__iexact=value.strip())

    @extend_schema_field({"type": "string", "description": WITHIN_LABEL})
    def filter_within(self, queryset, name, location):
        return queryset.filter(pk__in=Location.objects.within(location))
