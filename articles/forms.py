"""The ingest form: a pasted text or an address, with optional metadata."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone

from articles.services import EARLIEST_PUBLICATION, MAX_TITLE_CHARS


class IngestForm(forms.Form):
    """Paste a text or give its address; the rest is optional."""

    body = forms.CharField(
        label="Text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text="Paste the article or readout as plain text.",
    )
    url = forms.URLField(
        label="Or its address (URL)",
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="Without text, the page is fetched and its main text extracted.",
    )
    title = forms.CharField(label="Title", required=False, max_length=MAX_TITLE_CHARS)
    published_at = forms.DateField(
        label="Publication date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text="Relative dates in the text (“next Tuesday”) are resolved against it.",
    )
    source = forms.CharField(
        label="Source",
        required=False,
        max_length=200,
        help_text="The publisher, e.g. “Ministry of Foreign Affairs” or “Reuters”.",
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if len(body) > settings.ARTICLE_MAX_CHARS:
            raise forms.ValidationError(
                f"The text has {len(body):,} characters; the limit is "
                f"{settings.ARTICLE_MAX_CHARS:,}. Split it into several articles."
            )
        return body

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Give an http or https address.")
        return url

    def clean_published_at(self):
        published = self.cleaned_data["published_at"]
        if published is None:
            return None
        if published < EARLIEST_PUBLICATION:
            raise forms.ValidationError("The publication date is before 1900.")
        if published > timezone.now().date() + timezone.timedelta(days=1):
            raise forms.ValidationError("The publication date is in the future.")
        return published

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("body") and not cleaned.get("url"):
            self.add_error("body", "Paste the text, or give its address below.")
        return cleaned
