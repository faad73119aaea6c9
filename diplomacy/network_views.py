"""Who met whom: the network page, and the network section of a person's page."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from articles.pages import readable
from diplomacy import charts, selectors
from diplomacy.api.rows import SLUG_PLACEHOLDER
from diplomacy.filtersets import NetworkFilterSet
from diplomacy.models import Channel, Meeting, Person
from diplomacy.revision import data_revision

# Officials of each side drawn before "show all": enough for the busiest pairs, few enough
# for a phone's width and height.
NETWORK_PER_SIDE = 12
PERSON_NETWORK_PER_SIDE = 8
NETWORK_FILTERS = ("topic", "channel", "date_from", "date_to", "person")
NETWORK_LABELS = {
    "topic": "Topic",
    "channel": "Channel",
    "date_from": "From",
    "date_to": "To",
    "person": "Person",
}


def network_filters(params, filterset: NetworkFilterSet) -> list[tuple[str, str]]:
    """Return the filters in use as (name, value) pairs, leaving out those that are invalid
    (the page ignores them, so its links must too)."""
    filterset.is_valid()
    return [
        (name, value)
        for name in NETWORK_FILTERS
        if name not in filterset.errors
        for value in params.getlist(name)
        if value.strip()
    ]


def meetings_of_pair(
    timeline: str, filters: list[tuple[str, str]], us_slug: str, cn_slug: str
) -> str:
    """Return the timeline of the meetings behind one edge: the same filters, with both
    officials (and the person whose network it is) as participants."""
    pairs = [("participant" if name == "person" else name, value) for name, value in filters]
    for slug in (us_slug, cn_slug):
        if ("participant", slug) not in pairs:
            pairs.append(("participant", slug))
    return f"{timeline}?{urlencode(pairs)}"


def network_section(
    network: selectors.Network,
    filters: list[tuple[str, str]],
    per_side: int | None,
    ego: str = "",
) -> dict:
    """Return what the network template draws: the chart, the pairs and what was left out."""
    shown = network.trimmed(per_side, keep=ego) if per_side else network
    names = {node.slug: node for node in network.nodes}
    # Addresses are built from one reversed path each: "show all" draws thousands of them.
    timeline = reverse("diplomacy:timeline")
    person_page = Person(slug=SLUG_PLACEHOLDER).get_absolute_url()
    edge_urls = {
        (edge.source, edge.target): meetings_of_pair(timeline, filters, edge.source, edge.target)
        for edge in shown.edges
    }

    def person_url(slug: str) -> str:
        return person_page.replace(SLUG_PLACEHOLDER, quote(slug))

    return {
        "network": shown,
        "network_chart": charts.network_chart(
            shown, lambda us, cn: edge_urls[us, cn], person_url, ego=ego
        ),
        "network_pairs": [
            {
                "us": names[edge.source],
                "us_url": person_url(edge.source),
                "cn": names[edge.target],
                "cn_url": person_url(edge.target),
                "meeting_count": edge.meeting_count,
                "url": edge_urls[edge.source, edge.target],
            }
            for edge in shown.edges
        ],
        "network_hidden": len(network.nodes) - len(shown.nodes),
        "network_total": len(network.nodes),
        "network_meeting_count": network.meeting_count,
    }


@readable
def network(request: HttpRequest) -> HttpResponse:
    """Draw the US and PRC officials who met, filtered like the timeline."""
    params = _non_empty(request.GET)
    filterset = NetworkFilterSet(params, queryset=Meeting.objects.visible())
    filters = network_filters(params, filterset)
    show_all = request.GET.get("all") == "1"
    path = reverse("diplomacy:network")
    query = urlencode(filters)
    person = filterset.form.cleaned_data.get("person")
    revision = data_revision()
    context = network_section(
        selectors.meeting_network_cached(filterset.qs, filters, revision),
        filters,
        None if show_all else NETWORK_PER_SIDE,
        ego=person.slug if person else "",
    )
    context.update(
        problems=[
            f"{NETWORK_LABELS.get(name, name)}: {message} This filter was ignored."
            for name, errors in filterset.errors.items()
            for message in errors
        ],
        person=person,
        filtered=bool(filters),
        show_all=show_all,
        can_trim=any(
            len(context["network"].side(side)) > NETWORK_PER_SIDE
            for side in selectors.NETWORK_SIDES.values()
        ),
        all_url=f"{path}?{urlencode([*filters, ('all', '1')])}",
        fewer_url=f"{path}?{query}" if query else path,
        without_person_url=_without(path, filters, "person"),
        api_url=reverse("api:network") + (f"?{query}" if query else ""),
        **_form_context(request.GET, revision),
    )
    return render(request, "diplomacy/network.html", context)


def _non_empty(params: QueryDict) -> QueryDict:
    """Return the parameters without empty values: the form sends "Any" as an empty one."""
    kept = QueryDict(mutable=True)
    for key in params:
        values = [value for value in params.getlist(key) if value.strip()]
        if values:
            kept.setlist(key, values)
    return kept


def _without(path: str, filters: list[tuple[str, str]], name: str) -> str:
    query = urlencode([(key, value) for key, value in filters if key != name])
    return f"{path}?{query}" if query else path


def _form_context(params, revision: int) -> dict:
    choices = selectors.timeline_filter_choices(revision)
    return {
        "topic_choices": choices["topics"],
        "channel_choices": list(Channel.objects.order_by("name").values("slug", "name")),
        "selected": {
            "topic": set(params.getlist("topic")),
            "channel": params.get("channel", ""),
            "date_from": params.get("date_from", ""),
            "date_to": params.get("date_to", ""),
            "person": params.get("person", ""),
        },
    }


def person_network(person: Person) -> dict:
    """Return the network section of a person's page: the people at their meetings."""
    meetings = Meeting.objects.visible().filter(participations__person=person)
    context = network_section(
        selectors.meeting_network(meetings),
        [("person", person.slug)],
        PERSON_NETWORK_PER_SIDE,
        ego=person.slug,
    )
    query = urlencode({"person": person.slug})
    context["network_url"] = f"{reverse('diplomacy:network')}?{query}"
    context["all_url"] = f"{context['network_url']}&all=1"
    return context
