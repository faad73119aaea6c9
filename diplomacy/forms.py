"""Forms of the dashboard: the search box and a curator's edit of a meeting."""

from __future__ import annotations

from datetime import date

from django import forms

from diplomacy.choices import DatePrecision, MeetingKind, MeetingStatus
from diplomacy.models import Location, Meeting

ALL_DATES = "all"


class SearchForm(forms.Form):
    """The search box; `since` is "all" (every date) or a day to search articles from, and
    otherwise the page searches the newest articles only."""

    q = forms.CharField(label="Search", required=False, max_length=200, strip=True)
    since = forms.CharField(required=False, strip=True)

    def clean_since(self):
        """Return ALL_DATES, a date, or None (the default window); an unreadable value is
        the default rather than an error."""
        value = self.cleaned_data["since"]
        if value == ALL_DATES:
            return ALL_DATES
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None


class MeetingEditForm(forms.Form):
    """A curator's edit of a meeting's own fields; only the fields changed are saved."""

    title = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=MeetingKind.choices)
    status = forms.ChoiceField(choices=MeetingStatus.choices)
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_precision = forms.ChoiceField(choices=DatePrecision.choices, label="Date known to the")
    location = forms.SlugField(
        required=False,
        max_length=200,
        help_text="A place's slug; empty for none.",
        widget=forms.TextInput(attrs={"list": "location-slugs", "autocomplete": "off"}),
    )
    announced = forms.NullBooleanField(label="Announced beforehand")
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(required=False, max_length=2000, label="Reason (for the history)")

    @classmethod
    def for_meeting(cls, meeting: Meeting) -> MeetingEditForm:
        return cls(
            initial={
                "title": meeting.title,
                "kind": meeting.kind,
                "status": meeting.status,
                "start_date": meeting.start_date,
                "end_date": meeting.end_date,
                "date_precision": meeting.date_precision,
                "location": meeting.location.slug if meeting.location_id else "",
                "announced": meeting.announced,
                "summary": meeting.summary,
            }
        )

    def clean_location(self):
        slug = self.cleaned_data["location"]
        if not slug:
            return None
        found = Location.objects.filter(slug=slug).first()
        if found is None:
            raise forms.ValidationError(f"No place {slug!r}.")
        return found

    def changes(self, meeting: Meeting) -> dict:
        """Return the cleaned fields whose values differ from the meeting's."""
        current = self.for_meeting(meeting).initial
        changed = {}
        for field in current:
            value = self.cleaned_data.get(field)
            before = current[field]
            if field == "location":
                before = meeting.location
            if field == "summary":
                value, before = (value or "").replace("\r\n", "\n"), before or ""
            if value != before:
                changed[field] = value
        return changed
