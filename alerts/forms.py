from urllib.parse import urlencode

from django import forms
from django.http import QueryDict

from alerts.choices import Delivery
from alerts.filters import WATCH_FILTERS
from alerts.models import Watch

FILTERS_HELP = (
    "The timeline's filters, as in its address: e.g. topic=taiwan&participant=wang-yi. "
    "Empty: every new meeting."
)


class WatchForm(forms.Form):
    """A watch's fields as a page shows them; the service checks them all."""

    name = forms.CharField(max_length=200)
    filters = forms.CharField(
        max_length=2000, required=False, help_text=FILTERS_HELP, widget=forms.TextInput
    )
    delivery = forms.ChoiceField(
        choices=Delivery.choices, widget=forms.RadioSelect, initial=Delivery.EMAIL
    )
    webhook_url = forms.CharField(
        label="Webhook URL", max_length=500, required=False, widget=forms.URLInput
    )
    secret = forms.CharField(
        label="Webhook secret",
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="At least 16 characters; signs each body. Never shown again: "
        "leave empty to keep the current one.",
    )

    def clean_filters(self):
        return QueryDict(self.cleaned_data["filters"].strip().lstrip("?"))

    def values(self) -> dict:
        """Return the cleaned fields in the service's names; an empty secret is left out."""
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "filters": data["filters"],
            "delivery": data["delivery"],
            "webhook_url": data["webhook_url"],
        }
        if data["secret"]:
            values["webhook_secret"] = data["secret"]
        return values

    def add_service_errors(self, errors: dict) -> None:
        """Show the service's refusals on the fields they name (filters one by one)."""
        for field, message in errors.items():
            if field == "filters" and isinstance(message, dict):
                for name, problems in message.items():
                    self.add_error("filters", f"{name}: {' '.join(problems)}")
            else:
                self.add_error(field if field in self.fields else None, message)


def watch_initial(watch: Watch) -> dict:
    return {
        "name": watch.name,
        "filters": filters_text(watch.filters),
        "delivery": watch.delivery,
        "webhook_url": watch.webhook_url,
    }


def filters_text(filters: dict) -> str:
    return urlencode([(name, value) for name, values in filters.items() for value in values])


def initial_from_query(query: QueryDict) -> dict:
    """Pre-fill a new watch from a page's filters (the "Watch these results" link)."""
    pairs = [
        (name, value) for name in WATCH_FILTERS for value in query.getlist(name) if value.strip()
    ]
    named = ", ".join(value for _, value in pairs[:3])
    return {
        "filters": urlencode(pairs),
        "name": f"Meetings: {named}" if named else "Every new meeting",
        "delivery": Delivery.EMAIL,
    }
