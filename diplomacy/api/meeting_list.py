"""The meeting list's common filters, read without building MeetingFilterSet.

Building the FilterSet (a deep copy of its filters and of its form's fields), validating its
form (a query per slug filter) and compiling the queryset it returns cost several times the
SQL of a small list. A request whose parameters are all in PLAIN_PARAMETERS, each value in the
plain form the FilterSet accepts (a known slug, one of the choices, an ISO date, one of the two
orders), is read here and answered by `selectors.meeting_list.PlainMeetingList`. Anything else
(another filter, an unknown slug, a date written another way, an empty value) returns None and
goes through the FilterSet, which selects the same meetings and words the errors: this reading
only ever accepts what the FilterSet accepts too, and means the same by it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from django.db import connections, router
from django.http import QueryDict

from accounts.replicas import reading_from_replica
from diplomacy.choices import MeetingKind, MeetingStatus
from diplomacy.models import Meeting
from diplomacy.revision import cached_by_revision
from diplomacy.selectors.meeting_list import (
    FEW_MEETINGS,
    FilterSlugs,
    MeetingListFilter,
    filter_slugs,
)

# `page` and `page_size` are the paginator's, `format` is DRF's: read where they always are.
PLAIN_PARAMETERS = frozenset(
    {
        "topic",
        "participant",
        "kind",
        "status",
        "date_from",
        "date_to",
        "ordering",
        "page",
        "page_size",
        "format",
    }
)
KINDS = frozenset(MeetingKind.values)
STATUSES = frozenset(MeetingStatus.values)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
OLDEST_FIRST = {"start_date": True, "-start_date": False}

# The primary's slugs at the latest revision seen by this process: (revision, slugs).
_latest_slugs: tuple[int, FilterSlugs] | None = None


def filter_slugs_at(revision: int) -> FilterSlugs:
    """Return the filters' slugs, read again only when the data revision moves on.

    Kept in the process, since every request needs them. Read from a replica, they go
    through `cached_by_revision`, which keeps what a lagging replica gave apart and briefly.
    Read inside a transaction, they are not kept: they may hold its own writes, which a
    rollback takes back without moving the revision on.
    """
    global _latest_slugs
    if reading_from_replica():
        return cached_by_revision("meeting-filter-slugs", filter_slugs, revision)
    if connections[router.db_for_read(Meeting)].in_atomic_block:
        return filter_slugs()
    latest = _latest_slugs
    if latest is not None and latest[0] == revision:
        return latest[1]
    slugs = filter_slugs()
    _latest_slugs = (revision, slugs)
    return slugs


class NotPlain(ValueError):
    """A parameter the FilterSet must read: another filter, or a value not in plain form."""


def plain_filter(params: QueryDict, slugs: Callable[[], FilterSlugs]) -> MeetingListFilter | None:
    """Return what these parameters select, or None when the FilterSet must read them.

    `slugs` is called only when a slug filter is given, and only when every parameter is
    plain, so a request going to the FilterSet costs no lookup here.
    """
    try:
        return _read(params, slugs)
    except NotPlain:
        return None


def _read(params: QueryDict, slugs: Callable[[], FilterSlugs]) -> MeetingListFilter:
    if not params.keys() <= PLAIN_PARAMETERS:
        raise NotPlain
    ordering = params.get("ordering", "-start_date")  # the last value, as a form field reads
    if ordering not in OLDEST_FIRST:
        raise NotPlain
    kinds = _choices(params.getlist("kind"), KINDS)
    statuses = _choices(params.getlist("status"), STATUSES)
    date_from = _iso_date(params.get("date_from"))
    date_to = _iso_date(params.get("date_to"))
    topics, people = params.getlist("topic"), params.getlist("participant")
    known = slugs() if topics or people else FilterSlugs({}, {})
    people_ids = _ids(people, known.people)
    counted = sorted((known.meetings_of.get(pk, 0), pk) for pk in people_ids)
    return MeetingListFilter(
        topics=_ids(topics, known.topics),
        people=people_ids,
        few=counted[0][1] if counted and counted[0][0] <= FEW_MEETINGS else None,
        kinds=kinds,
        statuses=statuses,
        date_from=date_from,
        date_to=date_to,
        oldest_first=OLDEST_FIRST[ordering],
    )


def _ids(values: list[str], known: dict[str, int]) -> tuple[int, ...]:
    try:
        return tuple(known[value] for value in values)
    except KeyError:
        raise NotPlain from None


def _choices(values: list[str], allowed: frozenset[str]) -> tuple[str, ...]:
    if not allowed.issuperset(values):
        raise NotPlain
    return tuple(values)


def _iso_date(value: str | None) -> date | None:
    if value is None:
        return None
    if not ISO_DATE.fullmatch(value):
        raise NotPlain
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotPlain from None
