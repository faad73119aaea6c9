from urllib.parse import urlencode

from django import template
from django.urls import reverse

from alerts.filters import WATCH_FILTERS

register = template.Library()


@register.inclusion_tag("alerts/_watch_button.html", takes_context=True)
def watch_button(context, **subject):
    """A "Watch these results" link that opens the watch form with the page's filters
    (and the page's own subject, e.g. topic=<slug> on a topic page)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    pairs = [(name, value) for name, value in subject.items() if value]
    if request is not None:
        pairs += [
            (name, value)
            for name in WATCH_FILTERS
            for value in request.GET.getlist(name)
            if value.strip() and (name, value) not in pairs
        ]
    url = reverse("alerts:watch-new") + ("?" + urlencode(pairs) if pairs else "")
    return {"show": bool(user and user.is_authenticated), "url": url}
