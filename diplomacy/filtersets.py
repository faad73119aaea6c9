"""One FilterSet per model, shared by the API and the dashboard pages."""

import django_filters
from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef

from diplomacy.choices import LocationKind, MeetingKind, MeetingStatus
from diplomacy.models import Location, Meeting, MeetingTopic, Participation, Person, Topic


def text_query(value: str) -> SearchQuery:
    """Return a web-style full-text query ("quoted phrases", -exclusions, OR)."""
    return SearchQuery(value, search_type="websearch", config="english")


class MeetingFilterSet(django_filters.FilterSet):
    topic = django_filters.ModelMultipleChoiceFilter(
        queryset=Topic.objects.all(),
        to_field_name="slug",
        method="filter_topic",
        label="Topic (slug; several match any)",
    )
    participant = django_filters.ModelMultipleChoiceFilter(
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
    date_from = django_filters.DateFilter(method="filter_date_from", label="On or after")
    date_to = django_filters.DateFilter(method="filter_date_to", label="On or before")
    q = django_filters.CharFilter(method="filter_text", label="Text", max_length=200)
    ordering = django_filters.OrderingFilter(fields=(("start_date", "start_date"),))

    class Meta:
        model = Meeting
        fields = ["topic", "participant", "location", "kind", "status", "date_from", "date_to"]

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
