"""The analyst dashboard: server-rendered pages over meetings, topics and people.

The article pages are in `articles.views`; what extraction found in an article is added to
them by diplomacy's templates and template tags.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_htmx.http import push_url

from articles.models import Article
from articles.pages import is_partial, readable
from diplomacy import charts, selectors
from diplomacy.choices import MeetingKind, MeetingStatus
from diplomacy.curation_views import curation_context, history_rows
from diplomacy.filtersets import MeetingFilterSet
from diplomacy.formatting import export_links, format_date_range, period_label
from diplomacy.forms import ALL_DATES, SearchForm
from diplomacy.models import Channel, Meeting, Person, Topic
from diplomacy.network_views import person_network
from diplomacy.revision import cached_by_revision, data_revision
from diplomacy.roles import can_curate

TIMELINE_PAGE_SIZE = 50
CARD_CACHE_SECONDS = 600
LIST_PAGE_SIZE = 20
SEARCH_PAGE_SIZE = 20
SEARCH_MEETINGS_SHOWN = 5
# Meetings in a channel page's table at a time (its time axis draws them all).
CHANNEL_TABLE_PAGE_SIZE = 50
# Articles and sentences listed per government's readout on a meeting page (`?readouts=all`
# lists them all).
READOUT_LIMIT = 10
# A slug no meeting has, replaced in a reversed URL (slugs are URL-safe as they are).
MEETING_SLUG_PLACEHOLDER = "meeting-slug-placeholder"

FILTER_LABELS = {
    "topic": "Topic",
    "participant": "Participant",
    "location": "Place",
    "kind": "Kind",
    "status": "Status",
    "channel": "Channel",
    "date_from": "From",
    "date_to": "To",
    "q": "Text",
    "ordering": "Order",
}
FILTER_PARAMS = (
    "topic",
    "participant",
    "location",
    "kind",
    "status",
    "channel",
    "date_from",
    "date_to",
    "q",
)


def query_url(path: str, params: QueryDict, **changes) -> str:
    """Return `path` with the non-empty parameters, `changes` applied, and the page dropped.

    A change of None removes the parameter; a list replaces all its values.
    """
    pairs: dict[str, list[str]] = {
        key: [value for value in params.getlist(key) if value.strip()]
        for key in params
        if key != "page"
    }
    for key, value in changes.items():
        if value is None:
            pairs.pop(key, None)
        else:
            pairs[key] = list(value) if isinstance(value, list | tuple) else [str(value)]
    query = urlencode([(key, value) for key, values in pairs.items() for value in values])
    return f"{path}?{query}" if query else path


# Timeline ---------------------------------------------------------------------------------


@readable
def timeline(request: HttpRequest) -> HttpResponse:
    """List meetings newest first, grouped by month, filtered like the API."""
    filterset = MeetingFilterSet(request.GET, queryset=Meeting.objects.visible())
    problems = [
        f"{FILTER_LABELS.get(name, name)}: {message} This filter was ignored."
        for name, errors in filterset.errors.items()
        for message in errors
    ]
    cleaned = filterset.form.cleaned_data
    date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
    if date_from and date_to and date_from > date_to:
        problems.append("The “from” date is after the “to” date, so no meeting can match.")
    oldest_first = list(cleaned.get("ordering") or []) == ["start_date"]
    meetings = selectors.meeting_timeline(filterset.qs, oldest_first=oldest_first, cards=False)
    page = Paginator(meetings, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    path = reverse("diplomacy:timeline")
    # Cards, the month strip and the form's options are cached for this revision of the data.
    revision = data_revision()
    strip = cached_by_revision(
        "timeline-strip:" + query_url(path, request.GET),
        lambda: _month_strip(path, request.GET, filterset),
        revision,
    )
    context = {
        "revision": revision,
        "page_obj": page,
        "groups": _group_by_period(_with_cards(page.object_list, revision)),
        "problems": problems,
        "chips": _filter_chips(path, request.GET, cleaned),
        "strip": strip,
        "filtered": any(request.GET.getlist(name) for name in FILTER_PARAMS),
        "canonical_url": query_url(path, request.GET),
        "clear_url": path,
        "exports": export_links(_valid_filters(request.GET, filterset)),
    }
    if is_partial(request):
        response = render(request, "diplomacy/_timeline_results.html", context)
        push_url(response, query_url(path, request.GET, page=request.GET.get("page") or None))
    else:
        context.update(_filter_form_context(request.GET, revision))
        response = render(request, "diplomacy/timeline.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _valid_filters(params: QueryDict, filterset: MeetingFilterSet) -> list[tuple[str, str]]:
    """Return the filters the timeline applied as (name, value) pairs: invalid ones are ignored
    by the page, so its export links leave them out too."""
    return [
        (name, value)
        for name in (*FILTER_PARAMS, "ordering")
        if name not in filterset.errors
        for value in params.getlist(name)
        if value.strip()
    ]


def _with_cards(meetings, revision: int) -> list[Meeting]:
    """Give each meeting its rendered card (`card_html`), cached for this revision of the data.

    The cards of a page are read from the cache in one round trip and the missing ones
    written in another: with the cache in Redis, a round trip per card (fifty a page) cost
    more than rendering them. The meetings come with their dates alone; what a card shows is
    read for the meetings whose card is missing.
    """
    meetings = list(meetings)
    keys = {meeting.pk: f"meeting-card:{meeting.pk}:{revision}" for meeting in meetings}
    found = cache.get_many(keys.values())
    missing = [pk for pk, key in keys.items() if key not in found]
    full = selectors.meeting_timeline(Meeting.objects.filter(pk__in=missing)) if missing else []
    rendered = {}
    for meeting in full:
        card = render_to_string("diplomacy/_meeting_card.html", {"meeting": meeting})
        found[keys[meeting.pk]] = rendered[keys[meeting.pk]] = card
    for meeting in meetings:
        # Rendered by the template engine, which escaped every value in it.
        meeting.card_html = mark_safe(found.get(keys[meeting.pk], ""))
    if rendered:
        cache.set_many(rendered, CARD_CACHE_SECONDS)
    return meetings


def _group_by_period(meetings) -> list[tuple[str, list[Meeting]]]:
    groups: list[tuple[str, list[Meeting]]] = []
    for meeting in meetings:
        label = period_label(meeting.start_date, meeting.date_precision)
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(meeting)
    return groups


def _filter_chips(path: str, params: QueryDict, cleaned: dict) -> list[dict]:
    """Return the active filters, each with the address that removes it."""
    chips = []
    for name in ("topic", "participant", "channel"):
        slugs = params.getlist(name)
        for item in cleaned.get(name) or []:
            rest = [slug for slug in slugs if slug != item.slug]
            chips.append(
                {
                    "label": FILTER_LABELS[name],
                    "value": item.name,
                    "url": query_url(path, params, **{name: rest}),
                }
            )
    if cleaned.get("location"):
        chips.append(
            {
                "label": "Place",
                "value": cleaned["location"].name,
                "url": query_url(path, params, location=None),
            }
        )
    for name, choices in (("kind", MeetingKind), ("status", MeetingStatus)):
        values = cleaned.get(name) or []
        for value in values:
            rest = [other for other in params.getlist(name) if other != value]
            chips.append(
                {
                    "label": FILTER_LABELS[name],
                    "value": choices(value).label,
                    "url": query_url(path, params, **{name: rest}),
                }
            )
    for name in ("date_from", "date_to"):
        if cleaned.get(name):
            chips.append(
                {
                    "label": FILTER_LABELS[name],
                    "value": format_date_range(cleaned[name], cleaned[name], "day"),
                    "url": query_url(path, params, **{name: None}),
                }
            )
    if (cleaned.get("q") or "").strip():
        chips.append(
            {"label": "Text", "value": cleaned["q"].strip(), "url": query_url(path, params, q=None)}
        )
    return chips


def _month_strip(path: str, params: QueryDict, filterset: MeetingFilterSet):
    """Draw the meetings per month of the filtered set, leaving out the date range itself."""
    queryset = Meeting.objects.visible()
    for name, value in filterset.form.cleaned_data.items():
        if name not in ("date_from", "date_to", "ordering"):
            queryset = filterset.filters[name].filter(queryset, value)
    counts = selectors.meeting_month_counts(queryset)
    date_from = filterset.form.cleaned_data.get("date_from")
    date_to = filterset.form.cleaned_data.get("date_to")

    def url_for(month: date) -> str:
        end = charts.month_end(month)
        if date_from == month and date_to == end:  # clicking the chosen month clears it
            return query_url(path, params, date_from=None, date_to=None)
        return query_url(path, params, date_from=month.isoformat(), date_to=end.isoformat())

    def selected(month: date) -> bool:
        if not (date_from or date_to):
            return False
        return (date_from is None or date_from <= charts.month_end(month)) and (
            date_to is None or date_to >= month
        )

    return charts.month_strip(charts.month_bars(counts, url_for, selected))


def _filter_form_context(params: QueryDict, revision: int) -> dict:
    choices = selectors.timeline_filter_choices(revision)
    sides = {"US": "United States", "CN": "China", "TW": "Taiwan"}
    people_groups: dict[str, list[dict]] = {label: [] for label in [*sides.values(), "Others"]}
    for person in choices["people"]:
        people_groups[sides.get(person["country"], "Others")].append(person)
    return {
        "topic_choices": choices["topics"],
        "people_groups": [(label, people) for label, people in people_groups.items() if people],
        "location_choices": choices["locations"],
        "kind_choices": MeetingKind.choices,
        "status_choices": MeetingStatus.choices,
        # What the rendered option lists depend on besides the data (their cache key).
        "options_key": "|".join(
            (
                ",".join(sorted(params.getlist("topic"))),
                params.get("participant", ""),
                params.get("location", ""),
            )
        ),
        "selected": {
            "topic": set(params.getlist("topic")),
            "participant": params.get("participant", ""),
            "location": params.get("location", ""),
            "kind": set(params.getlist("kind")),
            "status": set(params.getlist("status")),
            "date_from": params.get("date_from", ""),
            "date_to": params.get("date_to", ""),
            "q": params.get("q", ""),
        },
    }


# Meeting ----------------------------------------------------------------------------------


@readable
def meeting(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a meeting's facts, each with the sentences that support it."""
    curator = can_curate(request.user)
    found = selectors.meeting_detail(slug, include_rejected=curator)
    if found is None or found.merged_into_id is not None:
        survivor = selectors.meeting_survivor(slug)
        if survivor is not None:
            return redirect(survivor, permanent=True)
        raise Http404("No such meeting.")
    # One row more than is shown tells whether the list is cut, whatever the stored counter says.
    rows = selectors.meeting_evidence(found, selectors.EVIDENCE_LIMIT + 1)
    truncated = len(rows) > selectors.EVIDENCE_LIMIT
    rows = rows[: selectors.EVIDENCE_LIMIT]
    facts = selectors.evidence_by_fact(rows)
    curating = {}
    if curator:
        curating = curation_context(found, rows)
    if request.user.is_authenticated:
        events = list(selectors.curation_history(meeting=found)[:50])
        curating["events"] = history_rows(events, curator=curator)
    return render(
        request,
        "diplomacy/meeting.html",
        {
            **curating,
            "curator": curator,
            "meeting": found,
            "participations": sorted(
                found.participations.all(), key=lambda p: (p.side, p.person.name)
            ),
            "facts": facts,
            "evidence_shown": len(rows),
            "evidence_truncated": truncated,
            "conflicts": [row for row in rows if row.conflicting],
            "disagreements": [fact for fact in facts.values() if fact.disagree],
            "history": selectors.status_history(rows),
            "sources": selectors.meeting_sources(rows),
            "related": selectors.meetings_related(found),
            # Each government's readout lists its first sentences unless all are asked for.
            "readout_limit": None if request.GET.get("readouts") == "all" else READOUT_LIMIT,
        },
    )


# Topics -----------------------------------------------------------------------------------


@readable
def topics(request: HttpRequest) -> HttpResponse:
    """List every topic with its number of meetings."""
    return render(request, "diplomacy/topics.html", {"topics": selectors.topic_list()})


@readable
def topic(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a topic's activity, meetings, people and neighbouring topics."""
    found = get_object_or_404(Topic.objects.select_related("parent"), slug=slug)
    page = Paginator(selectors.topic_meetings(found), LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    activity = selectors.topic_activity(found)
    return render(
        request,
        "diplomacy/topic.html",
        {
            "topic": found,
            "page_obj": page,
            "activity": activity,
            "chart": charts.activity_chart(activity),
            "people": selectors.topic_people(found),
            "cooccurring": selectors.topic_cooccurring(found),
            "articles": selectors.articles_mentioning(found),
            "timeline_url": query_url(reverse("diplomacy:timeline"), QueryDict(), topic=slug),
            "exports": export_links([("topic", found.slug)]),
        },
    )


# People -----------------------------------------------------------------------------------


@readable
def person(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a person's offices, meetings and most frequent counterparts."""
    found = Person.objects.prefetch_related("offices").filter(slug=slug).first()
    if found is None:
        survivor = selectors.person_survivor(slug)
        if survivor is None:
            raise Http404("No such person.")
        return redirect(survivor, permanent=True)
    page = Paginator(selectors.person_meetings(found), LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    history = {}
    if request.user.is_authenticated:
        events = list(selectors.curation_history(person=found)[:50])
        history["events"] = history_rows(events, curator=can_curate(request.user))
    activity = selectors.person_activity(found)
    return render(
        request,
        "diplomacy/person.html",
        {
            **history,
            **person_network(found),
            "activity": activity,
            "chart": charts.activity_chart(activity, subject=found.name),
            "exports": export_links([("participant", found.slug)]),
            "curator": can_curate(request.user),
            "person": found,
            "aliases": [alias for alias in found.aliases if alias != found.name],
            "offices": sorted(
                found.offices.all(), key=lambda o: o.start_date or date.min, reverse=True
            ),
            "page_obj": page,
            "counterparts": selectors.person_counterparts(found),
            "topics": selectors.person_topics(found),
            "timeline_url": query_url(reverse("diplomacy:timeline"), QueryDict(), participant=slug),
        },
    )


# Channels ---------------------------------------------------------------------------------


@readable
def channels(request: HttpRequest) -> HttpResponse:
    """List every channel (office pairs, then mechanisms) with its meetings, the latest one,
    and whether it is suspended."""
    today = timezone.localdate()
    rows = list(
        selectors.channel_list_values(Channel.objects.order_by("-kind", "name", "pk"), today)
    )
    for row in rows:
        row["days_since_last"] = selectors.days_between(row["last_meeting_date"], today)
    return render(request, "diplomacy/channels.html", {"channels": rows, "today": today})


@readable
def channel(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a channel's meetings on a time axis, the gaps between them, topics and people.

    The axis draws every meeting; the table, its text alternative, shows a page of them.
    """
    found = get_object_or_404(Channel, slug=slug)
    today = timezone.localdate()
    history = selectors.channel_history(found, today)
    # Reverse once, not once per meeting: the meeting page URL differs only by its slug.
    url_template = reverse("diplomacy:meeting", args=[MEETING_SLUG_PLACEHOLDER])
    for row in history.meetings:
        row["url"] = url_template.replace(MEETING_SLUG_PLACEHOLDER, row["slug"])
    page = Paginator(history.meetings, CHANNEL_TABLE_PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row["kind_label"] = MeetingKind(row["kind"]).label
        row["gap"] = history.gaps.get(row["id"])
    return render(
        request,
        "diplomacy/channel.html",
        {
            "channel": found,
            "history": history,
            "page_obj": page,
            "chart": cached_by_revision(
                f"channel-chart:{found.pk}:{today.isoformat()}",
                lambda: charts.channel_chart(history.meetings, history.suspensions, today),
                latest_only=True,
            ),
            "today": today,
            "timeline_url": query_url(reverse("diplomacy:timeline"), QueryDict(), channel=slug),
            "exports": export_links([("channel", found.slug)]),
        },
    )


def search_window(request: HttpRequest, asked) -> dict:
    """Return the dates the search page looks for articles in, and links to the others.

    `asked` is what the form read from `since`: ALL_DATES, a day, or None for the newest
    articles (every date, and nothing to say, when the archive holds no more than those).
    """
    path = reverse("diplomacy:search")
    window = {
        "since": None,
        "window": "all" if asked == ALL_DATES else "",
        "window_articles": selectors.SEARCH_WINDOW_ARTICLES,
        "all_dates_url": query_url(path, request.GET, since=ALL_DATES),
        "newest_url": query_url(path, request.GET, since=None),
    }
    if isinstance(asked, date):
        window.update(since=asked, window="since")
    elif asked is None:
        since = selectors.search_window_start()
        if since is not None:
            window.update(since=since, window="newest")
    return window


# Articles ---------------------------------------------------------------------------------


@require_POST
def article_reprocess(request: HttpRequest, article_id: int) -> HttpResponse:
    """Queue extraction of an article again (curators and staff)."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("articles:article", args=[article_id]))
    if not can_curate(request.user):
        raise PermissionDenied("Only curators can re-run extraction.")
    get_object_or_404(Article.objects.only("id"), pk=article_id)
    # Imported here: the extraction services load the gazetteer matcher, which pages need not.
    from diplomacy.services import article_reprocess as reprocess

    if reprocess(article_id):
        messages.success(request, "Extraction will run again on this article.")
    else:
        messages.warning(
            request, "Extraction could not be re-run: the article has no text yet or is running."
        )
    return redirect("articles:article", article_id=article_id)


# Search -----------------------------------------------------------------------------------


@readable
def search(request: HttpRequest) -> HttpResponse:
    """Search articles and meetings by full text, best matches first.

    Articles are searched among the newest (SEARCH_WINDOW_ARTICLES) unless the visitor asks
    for every date or a day to start from; meetings always over every date.
    """
    form = SearchForm(request.GET)
    valid = form.is_valid()
    q = form.cleaned_data["q"] if valid else ""
    context: dict = {"form": form, "q": q}
    if q:
        query = selectors.text_query(q)
        context.update(search_window(request, form.cleaned_data["since"] if valid else None))
        ranked = selectors.article_search(q, context["since"])
        page = Paginator(ranked, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        articles = selectors.articles_by_id(list(page.object_list))
        snippets = selectors.article_headlines([a.pk for a in articles], q)
        context.update(
            page_obj=page,
            articles=[(a, snippets.get(a.pk, "")) for a in articles],
            capped=len(ranked) >= selectors.SEARCH_CANDIDATES,
            candidates=selectors.SEARCH_CANDIDATES,
        )
        if page.number == 1:
            matches = selectors.meeting_search(query)
            meetings = selectors.meetings_by_id(matches[:SEARCH_MEETINGS_SHOWN])
            meeting_snippets = selectors.meeting_headlines([m.pk for m in meetings], query)
            context.update(
                meetings=[(m, meeting_snippets.get(m.pk, "")) for m in meetings],
                meeting_count=len(matches)
                if len(matches) < selectors.SEARCH_CANDIDATES
                else selectors.meeting_matches(query).count(),
                timeline_url=query_url(reverse("diplomacy:timeline"), QueryDict(), q=q),
            )
        context["exports"] = export_links([("q", q)])
    return render(request, "diplomacy/search.html", context)
