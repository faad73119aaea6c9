"""Reads behind curation: the history of curators' actions, the review queue, duplicates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import overload

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL

from diplomacy.choices import PersonReviewState, ReviewState
from diplomacy.models import CurationEvent, Evidence, Meeting, Participation, Person, PersonRedirect
from diplomacy.revision import cached_by_revision

# Duplicates: meetings sharing a participant within this many days of each other.
DUPLICATE_WINDOW = timedelta(days=10)
# A meeting whose best sentence is below this is "low confidence".
LOW_CONFIDENCE = 0.5
# A meeting reported by one article whose best sentence is below this is a "single weak report".
WEAK_REPORT = 0.7
# Reasons a meeting is in the review queue, in the order they are listed.
REVIEW_REASONS = {
    "conflict": "Evidence disagrees with curated values",
    "low_confidence": "Low extraction confidence",
    "duplicate": "Possible duplicate",
    "discovered_person": "Names a person the gazetteer lacked",
    "single_report": "A single weak report",
}
REVIEW_LIMIT = 200


def curation_history(*, meeting: Meeting | None = None, person=None):
    """Return the curators' actions on a meeting or a person, newest first, with the actor."""
    events = CurationEvent.objects.select_related("actor")
    if meeting is not None:
        return events.filter(meeting=meeting)
    return events.filter(person=person)


def meeting_survivor(slug: str) -> Meeting | None:
    """Return the meeting a merged-away meeting's slug now leads to, or None."""
    stub = Meeting.objects.filter(slug=slug, merged_into__isnull=False).only("merged_into_id")
    found = stub.first()
    if found is None:
        return None
    return Meeting.objects.only("slug").filter(pk=found.merged_into_id).first()


def person_survivor(slug: str) -> Person | None:
    """Return the person a merged-away person's slug now leads to, or None."""
    moved = PersonRedirect.objects.filter(slug=slug).select_related("person").first()
    return moved.person if moved is not None else None


def meeting_duplicates(meeting: Meeting, limit: int = 10) -> list[Meeting]:
    """Return visible meetings that may report the same engagement: a shared participant
    within DUPLICATE_WINDOW days, or the same place on the same start date."""
    if meeting.start_date is None:
        return []
    near = Q(
        start_date__gte=meeting.start_date - DUPLICATE_WINDOW,
        start_date__lte=meeting.start_date + DUPLICATE_WINDOW,
    )
    shared = Exists(
        Participation.objects.filter(
            meeting=OuterRef("pk"),
            person_id__in=Participation.objects.filter(meeting=meeting).values("person_id"),
        )
    )
    same_place = Q(location_id=meeting.location_id, start_date=meeting.start_date)
    found = (
        Meeting.objects.visible()
        .exclude(pk=meeting.pk)
        .filter((near & Q(shared)) | same_place if meeting.location_id else near & Q(shared))
        .select_related("location")
        .defer("search_vector")
        .order_by("start_date", "pk")[:limit]
    )
    return list(found)


@dataclass(frozen=True)
class ReviewItem:
    """A meeting waiting for a curator, and why."""

    meeting: Meeting
    reason: str

    @property
    def reason_label(self) -> str:
        return REVIEW_REASONS[self.reason]


# The queue's order: most reports first, then newest (undated last), then the higher id.
# meeting_review_order_idx serves it, so each reason's page stops after its first rows.
REVIEW_ORDER = (
    F("article_count").desc(),
    F("start_date").desc(nulls_last=True),
    F("id").desc(),
)


class ReviewQueue(Sequence[ReviewItem]):
    """The review queue in its order, as (meeting id, reason) pairs. A slice's meetings are
    read when it is taken, in one query: a page of 50 builds 50 meetings, not the 1,000
    candidates the reasons' lists hold between them. `more` says that other meetings wait
    behind the last one."""

    def __init__(self, entries: list[tuple[int, str]], more: bool = False):
        self.entries = entries
        self.more = more

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> ReviewItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[ReviewItem]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._items(self.entries[index])
        return self._items([self.entries[index]])[0]

    def __iter__(self) -> Iterator[ReviewItem]:
        return iter(self[:])

    @staticmethod
    def _items(entries: list[tuple[int, str]]) -> list[ReviewItem]:
        meetings = (
            Meeting.objects.defer("search_vector")
            .select_related("location")
            .in_bulk([pk for pk, _ in entries])
        )
        return [ReviewItem(meetings[pk], reason) for pk, reason in entries if pk in meetings]


def review_queue(reason: str | None = None, limit: int | None = None) -> ReviewQueue:
    """Return meetings a curator should look at, each with its first reason, in REVIEW_ORDER:
    the meetings most reports carry first, then the newest, undated last.

    Each reason's query reads the ids and sort keys of its first `limit` meetings in that
    order; the merged lists are put in the same order again. That order is kept for the data
    revision (paging and switching reasons read it again); the meetings of a page are read
    when it is taken. Rejected and merged meetings never appear; confirmed ones only for
    conflicting evidence. One meeting more than `limit` (REVIEW_LIMIT) is looked for, to tell
    whether more wait: the queue's length is then shown as "200+", which costs a fraction of
    counting every meeting waiting.
    """
    limit = limit or REVIEW_LIMIT
    key = f"review-queue:{reason or 'all'}:{limit}"
    entries = cached_by_revision(key, lambda: _review_entries(reason, limit + 1))
    return ReviewQueue(entries[:limit], more=len(entries) > limit)


def _review_entries(reason: str | None, limit: int) -> list[tuple[int, str]]:
    """Return the queue's first `limit` (meeting id, reason) pairs in REVIEW_ORDER."""
    reasons = [reason] if reason else list(REVIEW_REASONS)
    queries = _review_queries(page=limit)
    seen: dict[int, tuple] = {}
    for name in reasons:
        rows = (
            queries[name].order_by(*REVIEW_ORDER).values_list("pk", "article_count", "start_date")
        )
        for pk, article_count, start_date in rows[:limit]:
            if pk not in seen:
                dated = start_date is not None
                seen[pk] = (article_count, dated, start_date if dated else 0, pk, name)
    # REVIEW_ORDER in Python: most reports, dated before undated, newest, the higher id.
    ordered = sorted(seen.values(), key=lambda row: row[:4], reverse=True)
    return [(row[3], row[4]) for row in ordered[:limit]]


def _review_queries(page: int) -> dict:
    """Return the meetings of each review reason, as querysets that need only give their first
    `page` meetings in REVIEW_ORDER right (the queue's lists)."""
    unreviewed = Meeting.objects.filter(review_state=ReviewState.AUTO)
    return {
        "conflict": Meeting.objects.visible().filter(_evidence_where("conflicting")),
        "low_confidence": unreviewed.filter(
            _evidence_where("confidence < %s", [LOW_CONFIDENCE]),
            _best_confidence_below(LOW_CONFIDENCE),
        ),
        "duplicate": unreviewed.filter(_has_duplicate(page)),
        "discovered_person": unreviewed.filter(_names_discovered_person()),
        "single_report": unreviewed.filter(article_count=1).filter(
            _best_confidence_below(WEAK_REPORT)
        ),
    }


def _evidence_where(condition: str, params: list | None = None) -> Q:
    """The meeting has an evidence sentence matching `condition` (SQL on the evidence table).

    The conditions used here each have a small partial index on the meeting (evidence_
    conflict_idx, evidence_low_confidence_idx). Its distinct meetings are read from it by
    skipping from one meeting to the next (one probe each, where reading every matching
    sentence read hundreds of thousands at a million articles), and come as an array
    (evaluated once), so that the few meetings are then read by their ids and sorted.
    """
    evidence = Evidence._meta.db_table
    sql = f"""
        SELECT unnest(ARRAY(
            WITH RECURSIVE found (meeting_id) AS (
                (SELECT meeting_id FROM {evidence} WHERE {condition}
                 ORDER BY meeting_id LIMIT 1)
                UNION ALL
                SELECT (SELECT e.meeting_id FROM {evidence} AS e
                        WHERE {condition} AND e.meeting_id > found.meeting_id
                        ORDER BY e.meeting_id LIMIT 1)
                FROM found WHERE found.meeting_id IS NOT NULL
            )
            SELECT meeting_id FROM found WHERE meeting_id IS NOT NULL
        ))
    """
    return Q(pk__in=RawSQL(sql, (params or []) * 2))


def _names_discovered_person() -> Q:
    """A participant is a person the gazetteer lacked (review_state auto).

    Read from the few such people through participation_person_idx, once, rather than
    probing every meeting's participants. The ids come as an array (evaluated once) so that
    the few meetings are then read by their ids and sorted, instead of every meeting being
    read and looked up in the ids (50 ms at 50,000 meetings, against 4 ms).
    """
    participation = Participation._meta.db_table
    person = Person._meta.db_table
    sql = (
        f"SELECT unnest(ARRAY(SELECT meeting_id FROM {participation} WHERE person_id IN "
        f"(SELECT id FROM {person} WHERE review_state = %s)))"
    )
    return Q(pk__in=RawSQL(sql, [PersonReviewState.AUTO]))


def _best_confidence_below(threshold: float) -> Q:
    """The meeting's best evidence sentence is below `threshold` (and it has one).

    Written as two EXISTS probes rather than max() over a join, so that a list ordered by
    date stops after its first rows instead of aggregating every meeting's evidence.
    """
    evidence = Evidence.objects.filter(meeting=OuterRef("pk"))
    return Q(Exists(evidence)) & ~Q(Exists(evidence.filter(confidence__gte=threshold)))


# A page of duplicates is looked for among this many times as many of the busiest meetings.
DUPLICATE_REACH = 4


def _has_duplicate(page: int) -> Q:
    """A visible meeting shares a participant within DUPLICATE_WINDOW days.

    Each participant's meetings are put in date order once (a window over the participations
    of visible meetings): another meeting lies within the window exactly when the one just
    before or just after it does. Comparing every pair of a busy person's meetings instead
    grew with the square of their count (0.7 s at 5,000 meetings).

    For a page, only the busiest unreviewed meetings are looked at first: the first
    (page × DUPLICATE_REACH) dated ones in REVIEW_ORDER (read from meeting_review_order_idx),
    each probed in turn for a participant's other visible meeting within the window until a
    page is found. When that finds a page of them, every other duplicate would come after it
    in the queue's order; otherwise the window over every meeting answers. At 50,000 meetings,
    where most are duplicates, a page of 200 is found after some 260 probes.
    """
    params = [ReviewState.REJECTED, DUPLICATE_WINDOW.days, DUPLICATE_WINDOW.days]
    every = _neighbours_sql("'-infinity'")
    sql = f"""
        WITH found AS ({_busiest_duplicates_sql()})
        SELECT id FROM found
        UNION ALL
        SELECT meeting_id FROM ({every}) AS every
        WHERE (SELECT count(*) FROM found) < %s
    """
    busiest = [ReviewState.AUTO, page * DUPLICATE_REACH, ReviewState.REJECTED, page]
    return Q(pk__in=RawSQL(sql, [*busiest, *params, page]))


def _busiest_duplicates_sql() -> str:
    """Return, of the first (second parameter) dated meetings in the review state (first
    parameter) in REVIEW_ORDER, the first (fourth parameter) that have a participant's other
    meeting, neither merged nor in the rejected state (third parameter), within
    DUPLICATE_WINDOW days.

    The meetings are probed one by one in that order, each from the few meetings held within
    the window (meeting_visible_start_idx, read without the table), and the probing stops
    once a page is found."""
    participation = Participation._meta.db_table
    meeting = Meeting._meta.db_table
    days = DUPLICATE_WINDOW.days
    return f"""
        SELECT busiest.id FROM (
            SELECT id, start_date, article_count FROM {meeting}
            WHERE review_state = %s AND merged_into_id IS NULL AND start_date IS NOT NULL
            ORDER BY article_count DESC, start_date DESC NULLS LAST, id DESC LIMIT %s
        ) AS busiest
        WHERE EXISTS (
            SELECT 1 FROM {participation} AS mine
            JOIN {participation} AS theirs
              ON theirs.person_id = mine.person_id AND theirs.meeting_id <> mine.meeting_id
            JOIN {meeting} AS other ON other.id = theirs.meeting_id
            WHERE mine.meeting_id = busiest.id
              AND other.merged_into_id IS NULL AND other.review_state <> %s
              AND other.start_date BETWEEN busiest.start_date - {days}
                                       AND busiest.start_date + {days}
        )
        ORDER BY busiest.article_count DESC, busiest.start_date DESC, busiest.id DESC LIMIT %s
    """


def _neighbours_sql(floor: str) -> str:
    """Return the meetings (on or after `floor`, a date expression) with a participant's
    previous or next visible meeting within the window; three parameters: the rejected state
    and the window's days twice."""
    participation = Participation._meta.db_table
    meeting = Meeting._meta.db_table
    return f"""
        SELECT meeting_id FROM (
            SELECT part.meeting_id, held.start_date, held.review_state,
                   lag(held.start_date) OVER by_person AS previous_date,
                   lead(held.start_date) OVER by_person AS next_date
            FROM {participation} AS part
            JOIN {meeting} AS held ON held.id = part.meeting_id
            WHERE held.merged_into_id IS NULL AND held.review_state <> %s
              AND held.start_date >= {floor}::date - {DUPLICATE_WINDOW.days}
            WINDOW by_person AS (PARTITION BY part.person_id ORDER BY held.start_date, held.id)
        ) AS dated
        WHERE start_date >= {floor}::date
          AND (start_date - previous_date <= %s OR next_date - start_date <= %s)
    """


def article_sentences(article_id: int, limit: int = 200) -> list[Evidence]:
    """Return an article's evidence sentences in text order, one row per sentence."""
    rows = (
        Evidence.objects.filter(article_id=article_id)
        .order_by("start", "pk")
        .distinct("start")
        .only("pk", "start", "quote", "article_id")
    )
    return list(rows[:limit])


def person_search(query: str, limit: int = 8) -> list[Person]:
    """Return people whose name, slug or an alias contains the query, confirmed ones first."""
    query = query.strip()
    if len(query) < 2:
        return []
    matches = Person.objects.annotate(
        alias_text=RawSQL("array_to_string(aliases, ' ')", [])
    ).filter(Q(name__icontains=query) | Q(slug__icontains=query) | Q(alias_text__icontains=query))
    return list(matches.order_by("review_state", "name", "pk")[:limit])
