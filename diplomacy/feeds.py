"""Meeting feeds: Atom for readers, iCalendar for calendars, with the meeting list's filters."""

from datetime import timedelta

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html_join
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from icalendar import Calendar, Event
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import ApiTokenAuthentication
from articles.text import xml_safe
from diplomacy import selectors
from diplomacy.api.rows import MeetingRowShaper
from diplomacy.choices import DatePrecision, MeetingStatus
from diplomacy.filtersets import MeetingFilterSet
from diplomacy.models import Meeting
from diplomacy.selectors.meetings import MEETING_FEED_FIELDS

FEED_SIZE = 100
ICS_STATUS = {
    MeetingStatus.PLANNED: "TENTATIVE",
    MeetingStatus.HELD: "CONFIRMED",
    MeetingStatus.CANCELLED: "CANCELLED",
}
PRECISION_NOTE = {
    DatePrecision.MONTH: "Date known to the month only.",
    DatePrecision.YEAR: "Date known to the year only.",
    DatePrecision.UNKNOWN: "Date uncertain.",
}


def feed_rows(request, filterset: MeetingFilterSet) -> list[dict]:
    """Return the newest meetings matching the filters, shaped like list rows (one query)."""
    rows = selectors.meeting_list_values(filterset.qs, *MEETING_FEED_FIELDS)[:FEED_SIZE]
    shape = MeetingRowShaper(request)
    return [feed_safe(shape(row)) for row in rows]


def feed_safe(value):
    """Return the row with every text stripped of characters XML and iCalendar cannot carry.

    Input is cleaned when saved, but rows written before that (or by raw SQL) must not turn
    the whole feed into a server error.
    """
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {key: feed_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [feed_safe(item) for item in value]
    return value


def participant_line(row: dict) -> str:
    return "; ".join(
        f"{person['name']} ({person['role']})" if person["role"] else person["name"]
        for person in row["participants"]
    )


def place_line(row: dict) -> str:
    """Return the place and its note, without repeating a name the note already gives."""
    name = row["location"]["name"] if row["location"] else ""
    note = row["location_note"]
    if name and note and name.casefold() in note.casefold():
        return note
    return ", ".join(part for part in (name, note) if part)


class MeetingAtomFeed(Feed):
    feed_type = Atom1Feed
    title = "Backchannel: US–China meetings"
    subtitle = "Meetings reported in news and official readouts, newest first."

    def get_object(self, request, rows):
        return rows

    def link(self):
        return reverse("diplomacy:timeline")

    def items(self, rows):
        return rows

    def item_title(self, row):
        return row["title"]

    def item_link(self, row):
        return row["url"]

    def item_description(self, row):
        # Atom's summary is HTML here: format_html_join escapes every value.
        lines = [
            ("When", f"{row['start_date'] or 'date unknown'} ({row['status']})"),
            ("Where", place_line(row)),
            ("Who", participant_line(row)),
            ("Topics", ", ".join(topic["name"] for topic in row["topics"])),
            ("Summary", row["summary"]),
        ]
        return format_html_join(
            "", "<p><strong>{}:</strong> {}</p>", ((k, v) for k, v in lines if v)
        )

    def item_pubdate(self, row):
        return row["first_reported_at"] or row["created_at"]

    def item_updateddate(self, row):
        return row["updated_at"]

    def item_categories(self, row):
        return [topic["slug"] for topic in row["topics"]]


def meetings_calendar(request, rows: list[dict]) -> bytes:
    """Return an iCalendar of the meetings with a date, as all-day events."""
    calendar = Calendar()
    calendar.add("prodid", "-//Backchannel//Meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Backchannel: US–China meetings")
    host = request.get_host().split(":")[0]
    for row in rows:
        if row["start_date"] is None:
            continue
        event = Event()
        event.add("uid", f"meeting-{row['id']}@{host}")
        event.add("summary", row["title"])
        event.add("dtstart", row["start_date"])
        # DTEND of an all-day event is exclusive: the day after the last day.
        event.add("dtend", (row["end_date"] or row["start_date"]) + timedelta(days=1))
        # Without METHOD, DTSTAMP is the time the event's data last changed (RFC 5545 3.8.7.2).
        event.add("dtstamp", row["updated_at"])
        event.add("last-modified", row["updated_at"])
        event.add("status", ICS_STATUS.get(row["status"], "CONFIRMED"))
        event.add("url", row["url"])
        if place := place_line(row):
            event.add("location", place)
        notes = [
            PRECISION_NOTE.get(row["date_precision"], ""),
            participant_line(row),
            row["summary"],
            row["url"],
        ]
        event.add("description", "\n\n".join(note for note in notes if note))
        if row["topics"]:
            event.add("categories", [topic["name"] for topic in row["topics"]])
        calendar.add_component(event)
    return calendar.to_ical()


def reader_refused(request) -> HttpResponse | None:
    """Refuse reading when PUBLIC_READ is off and neither a session nor a token is given."""
    if settings.PUBLIC_READ or request.user.is_authenticated:
        return None
    try:
        if ApiTokenAuthentication().authenticate(request) is not None:
            return None
    except AuthenticationFailed as error:
        return plain_text(str(error.detail), status=401)
    return plain_text("Sign in or send an API token to read this feed.", status=401)


def plain_text(text: str, status: int) -> HttpResponse:
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = "Token"
    return response


def invalid_filters(filterset: MeetingFilterSet) -> HttpResponse:
    lines = [f"{field}: {' '.join(messages)}" for field, messages in filterset.errors.items()]
    return HttpResponseBadRequest(
        "Invalid filters.\n" + "\n".join(lines) + "\n", content_type="text/plain; charset=utf-8"
    )


def conditional(request, response: HttpResponse, rows: list[dict]) -> HttpResponse:
    """Answer 304 when the client already has this exact feed."""
    set_response_etag(response)
    last_modified = max((row["updated_at"] for row in rows), default=None)
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    return get_conditional_response(
        request,
        etag=response["ETag"],
        last_modified=int(last_modified.timestamp()) if last_modified else None,
        response=response,
    )


def filtered_rows(request) -> tuple[list[dict] | None, HttpResponse | None]:
    """Return the feed rows, or the response that refuses the request."""
    if refused := reader_refused(request):
        return None, refused
    try:
        params = request.GET
    except TooManyFieldsSent:
        return None, plain_text("The request has too many parameters.", status=400)
    filterset = MeetingFilterSet(params, queryset=Meeting.objects.visible())
    if not filterset.is_valid():
        return None, invalid_filters(filterset)
    return feed_rows(request, filterset), None


@require_safe
def meetings_atom(request):
    """Serve the newest meetings matching the filters as an Atom feed."""
    rows, refused = filtered_rows(request)
    if refused:
        return refused
    response = MeetingAtomFeed()(request, rows=rows)
    return conditional(request, response, rows)


@require_safe
def meetings_ics(request):
    """Serve the newest dated meetings matching the filters as an iCalendar file."""
    rows, refused = filtered_rows(request)
    if refused:
        return refused
    response = HttpResponse(meetings_calendar(request, rows), content_type="text/calendar")
    response["Content-Disposition"] = 'inline; filename="meetings.ics"'
    return conditional(request, response, rows)
