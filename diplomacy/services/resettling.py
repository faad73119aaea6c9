"""Placing vague reports by the rules over all reports, whatever order they arrived in.

A report dated to the day finds its meeting by its date when it arrives. A vague or undated
report ("their talks earlier this month", "the talks had been useful") depends on which meetings
are known when it arrives: before the readout dated to the day it would start a record of its
own, after it join that readout's meeting. So after every article the vague reports of the people
it touched are placed again, as a function of the reports alone:

1. each joins the meeting known to the day that the matching rules rank first, judged by what
   that meeting's reports dated to the day say, not by what vague reports added to it;
2. the rest (no such meeting, or two it cannot tell apart) gather with the vague reports of
   their people, taken most precise first, then by date, publication and content: each joins
   the best-ranked group the merge rules allow, or starts one;
3. each group keeps the vague record holding most of its reports, or gets a new record.

Curated meetings (confirmed, rejected, or with a locked field) neither give nor receive reports
here, and sentences a curator's decision pinned stay where they were left.

In process (`ingest --sync`, tests) this happens before the batch returns; a worker's batch
instead records requests (`resettle_later`), which one task places once the batch committed,
with those of every batch that committed meanwhile (`requests_resettle`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from hashlib import blake2b
from itertools import combinations

import orjson
from django.db import connection

from articles.choices import PublishedSource
from articles.models import Article
from diplomacy import merging
from diplomacy.choices import MeetingKind, ReviewState
from diplomacy.extraction.types import MeetingCandidate, ParticipantClaim
from diplomacy.models import EvidencePin, Meeting, Participation, ResettleRequest
from diplomacy.selectors import tables
from diplomacy.selectors.ingestion import NO_DISTANCE, fetch_rows
from diplomacy.services.matching import date_distance, meeting_create
from diplomacy.services.recompute import date_claim, meetings_recompute
from diplomacy.services.reference import Reference

UNDATED = merging.DateClaim(None, None, "unknown")

# The sentences' rows on the uncurated meetings of pairs of people (a pair of one person twice
# is that person's every meeting), by article and meeting: their ids tell whether the reports
# read from them before still hold (see _read).
_PAIRS_SQL = f"""
WITH meetings AS MATERIALIZED (
    SELECT DISTINCT m.id
    FROM unnest(%(first)s::bigint[], %(second)s::bigint[]) AS pair (first, second)
    JOIN {tables.PARTICIPATION} AS a ON a.person_id = pair.first
    JOIN {tables.PARTICIPATION} AS b ON b.meeting_id = a.meeting_id AND b.person_id = pair.second
    JOIN {tables.MEETING} AS m ON m.id = a.meeting_id
    WHERE m.review_state = %(auto)s AND m.locked_fields = '{{}}' AND m.merged_into_id IS NULL
      AND m.id <> ALL(%(known)s)
)
SELECT e.article_id, e.meeting_id, array_agg(e.id ORDER BY e.id)
FROM {tables.EVIDENCE} AS e
WHERE e.meeting_id IN (SELECT id FROM meetings)
GROUP BY e.article_id, e.meeting_id
ORDER BY e.article_id, min(e.start), e.meeting_id
"""
_MOVE_SQL = f"""
UPDATE {tables.EVIDENCE} AS e SET meeting_id = moving.target
FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::bigint[])
    AS moving (article_id, meeting_id, start, target)
WHERE e.article_id = moving.article_id AND e.meeting_id = moving.meeting_id
  AND e.start = moving.start
"""
# The ids go as one string: a client-side bound array of a hundred thousand numbers costs
# seconds of quoting.
_SENTENCES_SQL = f"""
SELECT id, start, claims::text, confidence FROM {tables.EVIDENCE}
WHERE id = ANY(string_to_array(%s, ',')::bigint[])
"""

# Reports read from sentences, by the ids of the sentences' rows. A row's claims never change
# but when a person is merged into another, and any change to people, places or topics changes
# the reference's version: the reports are kept for one version (people found by the batch
# that wrote them are in its rows alone), and for this many sets of rows, the least recently
# used out first.
READ_CACHE_SIZE = 100_000
READ_CHUNK = 5_000
_read_cache: OrderedDict[tuple[int, ...], list[tuple]] = OrderedDict()
_described: dict[bytes, tuple] = {}  # by a digest of the claims a report makes
_read_version: list[str | None] = [None]


def reports_forget() -> None:
    """Forget the reports read so far (the next resettling reads every one again)."""
    _read_cache.clear()
    _described.clear()


@dataclass(slots=True)  # a placing may hold a hundred thousand
class _Report:
    """What one article says of the meeting its evidence is on."""

    article_id: int
    meeting_id: int
    claims: dict | None = None  # while read from its sentences
    starts: set[int] | tuple[int, ...] = ()
    confidence: float = 0.0
    published: date | None = None
    content_hash: str = ""
    candidate: MeetingCandidate | None = None
    people: frozenset[int] = frozenset()
    place_id: int | None = None
    day: bool = False  # dated to the day
    claim: merging.DateClaim = UNDATED  # the candidate's

    @property
    def dated_to_the_day(self) -> bool:
        return self.day

    def order(self) -> tuple:
        """Most precise first, then by date, publication and content: never by arrival."""
        claim = self.claim
        return (
            -merging.PRECISION_RANK.get(claim.precision, 0),
            claim.start or date.max,
            claim.end or claim.start or date.max,
            self.published or date.max,
            self.content_hash,
            min(self.starts),
        )


@dataclass
class _Meeting:
    """A meeting as a set of reports describe it: kind, date, place and people.

    What the reports claim is kept tallied (alike claims counted once, with how many made
    them), so that a report joining a large group costs what its claims do, not the group.
    """

    reports: list[_Report]
    parents: dict
    pk: int | None = None
    kind: str = MeetingKind.MEETING
    claim: merging.DateClaim = UNDATED
    location_id: int | None = None
    people: frozenset[int] = frozenset()
    articles: set[int] = field(default_factory=set)
    _kinds: Counter = field(default_factory=Counter)
    _dates: set = field(default_factory=set)
    _places: Counter = field(default_factory=Counter)

    def settle(self) -> _Meeting:
        """Derive the fields from the reports, as a recompute would."""
        reports, self.reports = self.reports, []
        for report in reports:
            self._tally(report)
        return self._derive()

    def join(self, report: _Report) -> None:
        self._tally(report)
        self._derive()

    def _tally(self, report: _Report) -> None:
        self.reports.append(report)
        self.articles.add(report.article_id)
        self.people |= report.people
        self._kinds[(report.candidate.kind, report.confidence)] += 1
        self._dates.add((report.claim, report.candidate.status, report.confidence))
        if report.place_id is not None:
            self._places[(report.place_id, "", report.confidence)] += 1

    def _derive(self) -> _Meeting:
        self.kind = merging.best_kind([(*kind, n) for kind, n in self._kinds.items()])
        self.claim = merging.best_date(list(self._dates)) or UNDATED
        places = [(*place, n) for place, n in self._places.items()]
        place = merging.best_location(places, self.parents)
        self.location_id = place[0] if place else None
        return self

    @property
    def length(self) -> timedelta:
        """How many days past its first its dates reach."""
        span = self.claim.interval()
        return span[1] - span[0] if span else timedelta(0)

    def order(self) -> tuple:
        start = self.claim.start or date.max
        return (start, self.kind, self.location_id or 0, self.pk or 0)


# One placing of waiting requests at a time (a transaction-scoped advisory lock's key).
_REQUESTS_LOCK = 0x5245_5345_5454_4C45  # "RESETTLE"
# A request is stamped each time a batch makes it; it is taken away only if no batch stamped
# it again while it was being placed. Reading requests takes no lock, so a batch never waits
# for a placing to end.
_REQUEST_SQL = f"""
INSERT INTO {ResettleRequest._meta.db_table} (meeting_id, requested_at)
SELECT unnest(%s::bigint[]), clock_timestamp()
ON CONFLICT (meeting_id) DO UPDATE SET requested_at = EXCLUDED.requested_at
"""
_WAITING_SQL = f"SELECT meeting_id, requested_at FROM {ResettleRequest._meta.db_table}"
_DONE_SQL = f"""
DELETE FROM {ResettleRequest._meta.db_table} AS request
USING unnest(%s::bigint[], %s::timestamptz[]) AS done (meeting_id, requested_at)
WHERE request.meeting_id = done.meeting_id AND request.requested_at = done.requested_at
"""


def resettle_later(touched: set[int]) -> None:
    """Ask for the vague reports of these meetings' people to be placed again, by the next
    `requests_resettle` (in this transaction: they wait only once it commits)."""
    with connection.cursor() as cursor:
        cursor.execute(_REQUEST_SQL, [sorted(touched)])


class PlacingElsewhere(Exception):
    """Another transaction holds the turn to place requests: it takes these after its round
    (see processing.reports_resettle_waiting)."""


def requests_resettle(lookups: Reference) -> set[int] | None:
    """Place the vague reports every waiting request asks for, and take the requests away;
    return the meetings whose evidence changed, or None when no request waits. Raise
    PlacingElsewhere, at once, when another transaction holds the turn. Run inside a
    transaction: the turn is held until it ends."""
    if not _turn_taken():
        raise PlacingElsewhere
    waiting = fetch_rows(_WAITING_SQL, [])
    if not waiting:
        return None
    moved = meetings_resettle({pk for pk, _ in waiting}, lookups, stored_dates_only)
    with connection.cursor() as cursor:
        cursor.execute(_DONE_SQL, [list(column) for column in zip(*waiting, strict=True)])
    return moved


def _turn_taken() -> bool:
    """Take the one turn to place requests if it is free; never wait for it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_REQUESTS_LOCK])
        return cursor.fetchone()[0]


def stored_dates_only(article_id: int) -> None:
    """An article's publication date is the stored one (inferred ones are stored by the time
    a request is placed); without one, it has none."""
    return None


def meetings_resettle(touched: set[int], lookups: Reference, published_of) -> set[int]:
    """Place again the vague reports that a change to the `touched` meetings can move.

    A report of one or two people can only be of a meeting that has them all, one of more
    people of a meeting with two of them, and one of one person of any meeting of theirs. So a
    change moves only reports that name a pair of a touched meeting's people (or one of them,
    for a report of one person). They are read from the meetings of each such pair (of its
    one person, for a meeting of one), and with them the meetings of every pair that reports
    of one person, or of three and more, name, so that these are placed together.

    `published_of(article_id)` gives the publication date a report was matched with, for an
    article whose date is not stored. Return the meetings whose evidence changed (recomputed
    already).
    """
    people: dict[int, set[int]] = defaultdict(set)
    for meeting_id, person_id in Participation.objects.filter(meeting_id__in=touched).values_list(
        "meeting_id", "person_id"
    ):
        people[meeting_id].add(person_id)
    return pairs_resettle(_pairs(people.values()), lookups, published_of)[0]


def pairs_in_use() -> list[tuple[int, int]]:
    """Return, in order, the pairs of people of every uncurated meeting (a person with
    themselves for a meeting of one): each scope resettling reads reports by."""
    people: dict[int, set[int]] = defaultdict(set)
    uncurated = Participation.objects.filter(
        meeting__review_state=ReviewState.AUTO,
        meeting__locked_fields=[],
        meeting__merged_into__isnull=True,
    )
    for meeting_id, person_id in uncurated.values_list("meeting_id", "person_id").iterator():
        people[meeting_id].add(person_id)
    return sorted(_pairs(people.values()))


def pairs_resettle(
    pairs: set[tuple[int, int]], lookups: Reference, published_of
) -> tuple[set[int], set[tuple[int, int]]]:
    """Place again the vague reports of these pairs of people (see meetings_resettle).

    Return the meetings whose evidence changed (recomputed already), and the pairs whose
    reports were placed: these, and those their reports of one person, or of three and more,
    took in.
    """
    if not pairs:
        return set(), pairs
    reports = _reports(pairs, lookups)
    loaded = set(pairs)
    while True:
        # Reports of three or more people may belong with any two of them: take in the vague
        # reports of every pair they name, so that they are placed together. Until no report
        # names another pair: a scope cut short would place a report by some of the reports
        # it is placed with, and the next change, reaching it from elsewhere, by others.
        named = _named(pairs)
        movable = [r for r in reports.values() if _movable(r, pairs, named)]
        wider = pairs | _pairs(r.people for r in movable if len(r.people) != 2)
        if wider == pairs:
            break
        reports |= _reports(wider - loaded, lookups, known=reports.keys())
        loaded |= wider
        pairs = wider
    named = _named(pairs)
    movable = [r for r in reports.values() if _movable(r, pairs, named)]
    _leave_pinned(movable)
    movable = [r for r in movable if r.candidate is not None]
    if not movable:
        return set(), pairs
    _describe_articles(movable, published_of)
    targets = _targets(movable, reports, lookups)
    moved = _move(movable, targets, reports)
    # A recompute leaves a field no claim speaks of as it was: a record that lost the report
    # that dated or placed it must not keep that date or place.
    Meeting.objects.filter(pk__in=moved).update(
        start_date=None,
        end_date=None,
        date_precision="unknown",
        location=None,
        location_note="",
        announced=None,
    )
    meetings_recompute(moved, lookups)
    return moved, pairs


def _pairs(groups) -> set[tuple[int, int]]:
    """Return the pairs of people in each group, or (person, person) for a group of one."""
    pairs = set()
    for group in groups:
        ordered = sorted(group)
        if len(ordered) == 1:
            pairs.add((ordered[0], ordered[0]))
        pairs.update(combinations(ordered, 2))
    return pairs


def _named(pairs: set[tuple[int, int]]) -> set[int]:
    return {person for pair in pairs for person in pair}


def _movable(report: _Report, pairs: set[tuple[int, int]], named: set[int]) -> bool:
    """Return whether a change to the meetings of these pairs of people can move the report."""
    if report.dated_to_the_day or not report.people:
        return False
    people = sorted(report.people)
    if len(people) == 1:
        return people[0] in named
    return any(pair in pairs for pair in combinations(people, 2))


def _reports(pairs, lookups, known=()) -> dict[tuple[int, int, int], _Report]:
    """Return the reports on uncurated meetings of these pairs of people, by (article, meeting,
    part); meetings whose reports are `known` already are left out."""
    ordered = sorted(pairs)
    rows = fetch_rows(
        _PAIRS_SQL,
        {
            "first": [first for first, _ in ordered],
            "second": [second for _, second in ordered],
            "known": sorted({key[1] for key in known}),
            "auto": ReviewState.AUTO,
        },
    )
    read = _read([tuple(ids) for _, _, ids in rows], lookups)
    reports = {}
    for article_id, meeting_id, ids in rows:
        for part, (starts, confidence, day, candidate, people, place_id, claim) in enumerate(
            read[tuple(ids)]
        ):
            reports[(article_id, meeting_id, part)] = _Report(
                article_id,
                meeting_id,
                starts=starts,
                confidence=confidence,
                day=day,
                candidate=candidate,
                people=people,
                place_id=place_id,
                claim=claim,
            )
    return reports


def _read(sets: list[tuple[int, ...]], lookups: Reference) -> dict[tuple[int, ...], list]:
    """Return the reports each set of sentences' rows (one article's on one meeting) makes,
    read now or kept from before: for each, its starts, its confidence, whether it is dated to
    the day, its candidate (None when it names no one), people, place and date."""
    if _read_version[0] != lookups.version:
        _read_cache.clear()
        _described.clear()
        _read_version[0] = lookups.version
    found, missing = {}, []
    for ids in sets:
        reports = _read_cache.get(ids)
        if reports is None:
            missing.append(ids)
        else:
            _read_cache.move_to_end(ids)
            found[ids] = reports
    # A few thousand sets at a time: their rows' claims are held only while they are read.
    for chunk in range(0, len(missing), READ_CHUNK):
        reading = missing[chunk : chunk + READ_CHUNK]
        ids_text = ",".join(str(pk) for ids in reading for pk in ids)
        rows, decoded = {}, {}  # the rows of one meeting mostly claim the same: decoded once
        for pk, start, text, confidence in fetch_rows(_SENTENCES_SQL, [ids_text]):
            claims = decoded.get(text)
            if claims is None:
                claims = decoded[text] = orjson.loads(text)
            rows[pk] = (start, claims, confidence)
        for ids in reading:
            sentences = sorted((rows[pk] for pk in ids), key=lambda row: row[0])
            found[ids] = _read_cache[ids] = [_describe(r, lookups) for r in _split(sentences)]
    while len(_read_cache) > READ_CACHE_SIZE:
        _read_cache.popitem(last=False)
    if len(_described) > READ_CACHE_SIZE:  # the kept reports hold their own; the rest go
        _described.clear()
    return found


def _split(sentences) -> list[_Report]:
    """Return the reports an article's sentences on one meeting make, in the order of their
    first sentence.

    Two candidates of one article that arrived on one meeting say different things (another
    date, kind or set of people): their sentences are told apart by what they claim, so that
    each is placed on its own, as it would have been had they arrived apart.
    """
    reports: list[_Report] = []
    # Sentences that claim the very same (one parsed dict) go where the first of them went:
    # the first report that agreed with it still does, and none before it has come to.
    joined: dict[int, _Report] = {}
    for start, claims, confidence in sentences:
        report = joined.get(id(claims)) or next(
            (r for r in reports if _agrees(r.claims, claims)), None
        )
        if report is None:
            report = _Report(0, 0, claims={}, starts=set())
            reports.append(report)
        joined[id(claims)] = report
        for name, value in claims.items():
            report.claims.setdefault(name, value)
        report.starts.add(start)
        report.confidence = max(report.confidence, confidence)
    return reports


def _dated_to_the_day(claims: dict) -> bool:
    return bool(claims.get("date")) and claims["date"].get("precision") == "day"


def _agrees(claims: dict, more: dict) -> bool:
    return all(claims.get(name, value) == value for name, value in more.items())


def _describe(report: _Report, lookups: Reference) -> tuple:
    """Return what resettling needs of a report read from its sentences: its starts, its
    confidence, whether it is dated to the day, its candidate (None when it names no one
    the reference knows: nothing to place it by, so it stays), people, place and date."""
    claims = orjson.dumps(report.claims, option=orjson.OPT_SORT_KEYS)
    key = blake2b(claims, digest_size=16).digest()
    claimed = _described.get(key)
    if claimed is None:  # reports alike share one description
        candidate = _candidate(report.claims)
        people = frozenset(
            lookups.people[p.slug].pk for p in candidate.participants if p.slug in lookups.people
        )
        location = lookups.locations.get(candidate.location or "")
        claimed = _described[key] = (
            _dated_to_the_day(report.claims),
            candidate if people else None,
            people,
            location.pk if location else None,
            merging.DateClaim(candidate.start_date, candidate.end_date, candidate.date_precision),
        )
    return (tuple(sorted(report.starts)), report.confidence, *claimed)


def _describe_articles(reports, published_of) -> None:
    """Fill in each report's publication date and its article's content hash."""
    articles = Article.objects.filter(pk__in={r.article_id for r in reports}).values_list(
        "pk", "published_at", "published_source", "content_hash"
    )
    known = {pk: (at, source, digest) for pk, at, source, digest in articles}
    for report in reports:
        at, source, digest = known.get(report.article_id, (None, PublishedSource.UNKNOWN, ""))
        given = at is not None and source != PublishedSource.UNKNOWN
        report.published = at.date() if given else published_of(report.article_id)
        report.content_hash = digest or ""


def _leave_pinned(reports: list[_Report]) -> None:
    """Keep sentences a curator's decision pinned on the meetings they were left on."""
    pinned = set(
        EvidencePin.objects.filter(article_id__in={r.article_id for r in reports}).values_list(
            "article_id", flat=True
        )
    )
    for report in reports:
        if report.article_id in pinned:
            report.candidate = None


def _targets(movable, reports, lookups: Reference) -> dict[int, int]:
    """Return the meeting each movable report belongs on, creating vague records as needed."""
    places = _Places(lookups.parents)
    anchors = _anchors(reports.values(), places, {r.people for r in movable})
    moving = {id(r) for r in movable}
    staying = [r for r in reports.values() if id(r) not in moving]
    # An article's candidates are meetings its extraction told apart: one report of an article
    # per meeting, or they would move as one from then on.
    occupied = {(r.article_id, r.meeting_id) for r in staying}
    targets: dict[int, int] = {}  # by id() of the report
    homeless: dict[bool, list[_Report]] = defaultdict(list)  # calls apart
    by_person: dict[int, set[int]] = defaultdict(set)  # the anchors (by number) of a person
    for number, anchor in enumerate(anchors):
        for person in anchor.people:
            by_person[person].add(number)
    # Anchors are known to the day: each has a start, and they come in its order.
    starts = [anchor.claim.start or date.max for anchor in anchors]
    reach = max((anchor.length for anchor in anchors), default=timedelta(0))
    for report in sorted(movable, key=_Report.order):
        numbers = _near(report, _having(report.people, by_person), starts, reach)
        home = _home(report, [anchors[n] for n in numbers], occupied)
        if home is not None:
            targets[id(report)] = home.pk
            occupied.add((report.article_id, home.pk))
        else:
            homeless[report.candidate.kind == MeetingKind.CALL].append(report)
    keeping = {r.meeting_id for r in staying}
    for bucket in sorted(homeless):
        for group in _gather(homeless[bucket], places):
            pk = _record_for(group, keeping, lookups)
            keeping.add(pk)
            for report in group.reports:
                targets[id(report)] = pk
    return targets


def _anchors(reports, places: _Places, claimed: set[frozenset[int]]) -> list[_Meeting]:
    """Return the meetings known to the day, as their reports dated to the day describe them;
    only those with the people of one of the `claimed` sets (no report of others fits them)."""
    dated: dict[int, list[_Report]] = defaultdict(list)
    by_person: dict[int, set[int]] = defaultdict(set)  # the dated meetings of a person
    for report in reports:
        if report.candidate is not None and report.dated_to_the_day:
            dated[report.meeting_id].append(report)
            for person in report.people:
                by_person[person].add(report.meeting_id)
    wanted = set().union(*(_having(people, by_person) for people in claimed))
    anchors = [_Meeting(dated[pk], places, pk).settle() for pk in wanted]
    return sorted(anchors, key=_Meeting.order)


def _near(report: _Report, numbers: list[int], starts: list[date], reach: timedelta) -> list[int]:
    """Return the anchors (by number, in order) whose dates may overlap the report's, given
    the longest `reach` of an anchor's dates: all of them for an undated report; the others
    could not be of its meeting."""
    span = report.claim.interval()
    if span is None:
        return numbers
    first = bisect_left(numbers, span[0] - reach, key=starts.__getitem__)
    return numbers[first : bisect_right(numbers, span[1], key=starts.__getitem__)]


def _having(people: frozenset[int], by_person: dict[int, set[int]]) -> list[int]:
    """Return, in order, the keys (of meetings, or anchors' numbers) whose people include these
    as _people_fit asks: each of one or two, any two of more."""
    if len(people) <= 2:
        return sorted(set.intersection(*(by_person.get(p, set()) for p in people)))
    counts = Counter(n for p in people for n in by_person.get(p, ()))
    return sorted(n for n, count in counts.items() if count >= 2)


def _fits(report: _Report, meeting: _Meeting, places: _Places) -> bool:
    """Return whether the merge rules allow the report to be of this meeting."""
    return (
        merging.kinds_compatible(report.candidate.kind, meeting.kind)
        and _people_fit(report.people, meeting.people)
        and merging.dates_overlap(report.claim, meeting.claim)
        and merging.status_fits(report.candidate.status, meeting.claim, report.published)
        and places.compatible(report.place_id, meeting.location_id)
    )


class _Places(dict):
    """The places' parents, with which two places the merge rules let be one remembered."""

    def __init__(self, parents: dict):
        super().__init__(parents)
        self._compatible: dict[tuple, bool] = {}

    def compatible(self, first: int | None, second: int | None) -> bool:
        known = self._compatible.get((first, second))
        if known is None:
            known = merging.places_compatible(first, second, self)
            self._compatible[(first, second)] = known
        return known


def _people_fit(claimed: frozenset[int], present: frozenset[int]) -> bool:
    """One or two people: the meeting has each; more: it has any two of them."""
    if len(claimed) <= 2:
        return claimed <= present
    return len(claimed & present) >= 2


def _rank(report: _Report, meeting: _Meeting) -> tuple:
    """The matching's ranking: a place both name first, then the closest date."""
    place_agrees = report.place_id is not None and meeting.location_id is not None
    return (not place_agrees, date_distance(report.claim, meeting.claim, report.published))


def _home(report: _Report, anchors: list[_Meeting], occupied: set) -> _Meeting | None:
    """Return the meeting known to the day the report is of, or None; an undated report does
    not choose between two that nothing tells apart."""
    places = anchors[0].parents if anchors else _Places({})
    ranked = [(_rank(report, a), a) for a in anchors if _fits(report, a, places)]
    ranked.sort(key=lambda item: item[0])  # stable: anchors come in their own order
    if report.claim.start is None and len(ranked) > 1 and _tied(ranked, report.published):
        return None
    free = (a for _, a in ranked if (report.article_id, a.pk) not in occupied)
    return next(free, None)


def _tied(ranked, published: date | None) -> bool:
    """Return whether the two best are as close to publication and as agreed on place (or
    any two are, without a publication date), as the matching decides."""
    if ranked[0][0] != ranked[1][0]:
        return False
    return published is None or ranked[0][0][1] != NO_DISTANCE


def _gather(reports: list[_Report], places: _Places) -> list[_Meeting]:
    """Group vague reports by the merge rules (the same people, or two of three or more), in
    their canonical order."""
    groups: list[_Meeting] = []
    by_person: dict[int, set[int]] = defaultdict(set)  # the groups (by number) of a person
    for report in reports:
        fitting = [
            (_rank(report, groups[number]), number)
            for number in _having(report.people, by_person)
            if _fits(report, groups[number], places)
            and report.article_id not in groups[number].articles
        ]
        if fitting:
            number = min(fitting)[1]
            groups[number].join(report)
        else:
            number = len(groups)
            groups.append(_Meeting([report], places).settle())
        for person in report.people:
            by_person[person].add(number)
    return groups


def _record_for(group: _Meeting, keeping: set[int], lookups: Reference) -> int:
    """Return the vague record holding most of the group's reports and nothing else, or a new
    record when there is none."""
    counts = Counter(r.meeting_id for r in group.reports if r.meeting_id not in keeping)
    if counts:
        return min(counts, key=lambda pk: (-counts[pk], pk))
    first = group.reports[0]
    people = [
        lookups.people[p.slug] for p in first.candidate.participants if p.slug in lookups.people
    ]
    return meeting_create(first.candidate, people, lookups).pk


def _move(movable, targets, reports) -> set[int]:
    """Move each report's sentences to its target; return the meetings that changed.

    A sentence is on a meeting once: a report waits while another report of its article with
    the same sentence is still to leave the target. Each round moves, in one statement, the
    reports nothing waits for at its start.
    """
    waiting = [r for r in sorted(movable, key=_Report.order) if targets[id(r)] != r.meeting_id]
    articles = {r.article_id for r in waiting}
    at: dict[tuple[int, int], set[int]] = defaultdict(set)  # (article, start) -> meetings
    for report in reports.values():
        if report.article_id in articles:
            for start in report.starts:
                at[(report.article_id, start)].add(report.meeting_id)
    moved: set[int] = set()
    while waiting:
        blocked, going, arriving = [], [], set()
        for report in waiting:
            target = targets[id(report)]
            sentences = [(report.article_id, start) for start in report.starts]
            if any(target in at[s] or (s, target) in arriving for s in sentences):
                blocked.append(report)
                continue
            arriving.update((s, target) for s in sentences)
            going.append(report)
        if not going:
            break  # two reports would swap places: leave them where they are
        rows = [
            (r.article_id, r.meeting_id, start, targets[id(r)]) for r in going for start in r.starts
        ]
        with connection.cursor() as cursor:
            cursor.execute(_MOVE_SQL, [list(column) for column in zip(*rows, strict=True)])
        for article_id, meeting_id, start, target in rows:
            at[(article_id, start)] ^= {meeting_id, target}
            moved |= {meeting_id, target}
        waiting = blocked
    return moved


def _candidate(claims: dict) -> MeetingCandidate:
    """Rebuild what a report claimed of a meeting from its evidence rows' claims."""
    claimed = date_claim(claims["date"]) if claims.get("date") else None
    location = claims.get("location") or {}
    return MeetingCandidate(
        kind=claims.get("kind", "meeting"),
        status=claims.get("status", "held"),
        participants=[
            ParticipantClaim(p["slug"], p.get("role", ""), p.get("side", ""))
            for p in claims.get("participants", [])
        ],
        start_date=claimed.start if claimed else None,
        end_date=claimed.end if claimed else None,
        date_precision=claimed.precision if claimed else "unknown",
        location=location.get("slug"),
        topics=list(claims.get("topics", [])),
    )
