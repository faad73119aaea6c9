"""Writes for diplomacy: turn an article's extraction into evidence-backed meetings."""

from __future__ import annotations

import contextlib
import copy
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from articles.choices import ArticleStatus, PublishedSource
from articles.models import Article
from articles.services import announce, article_set_status
from diplomacy import merging
from diplomacy.choices import MeetingKind, MeetingStatus, PersonReviewState, ReviewState
from diplomacy.extraction import extract
from diplomacy.extraction.types import Extraction, MeetingCandidate
from diplomacy.gazetteer import gazetteer_current
from diplomacy.models import (
    Evidence,
    Location,
    Meeting,
    MeetingTopic,
    Mention,
    Participation,
    Person,
    Topic,
)
from diplomacy.revision import revision_bump

logger = logging.getLogger(__name__)

# Merges take this PostgreSQL advisory lock, so two workers reporting the same new meeting
# at once cannot both create it. Extraction, and storing an article's mentions, run outside it.
MERGE_LOCK = 7_201_947
# Errors worth retrying: the database went away or a deadlock was broken.
TRANSIENT_ERRORS = (OperationalError,)
# Titles name the US side first, then China, then Taiwan.
SIDE_ORDER = {"us": 0, "cn": 1, "tw": 2}
# Meetings a candidate is compared with, best first; the distance of an undated one.
MATCH_CANDIDATES = 200
NO_DISTANCE = 10_000


def article_process(article_id: int) -> str | None:
    """Extract meetings from a stored article and merge them into the timeline.

    Claims the article with a conditional update so that only one worker processes it;
    returns the final status, or None when there was nothing to do.
    """
    stale = timezone.now() - timedelta(seconds=settings.INGEST_STALE_AFTER)
    claimed = (
        Article.objects.filter(pk=article_id, content_hash__isnull=False)
        .filter(
            Q(status=ArticleStatus.PENDING)
            | Q(status=ArticleStatus.PROCESSING, status_changed_at__lt=stale)
        )
        .update(
            status=ArticleStatus.PROCESSING,
            attempts=F("attempts") + 1,
            status_changed_at=timezone.now(),
            error="",
        )
    )
    if not claimed:
        return None
    article = Article.objects.get(pk=article_id)
    try:
        extraction = extract(article.body, known_publication_date(article), gazetteer_current())
        with transaction.atomic():
            article_apply_extraction(article, extraction)
            done = {"extractor_version": extraction.version}
            if article.published_at is None and extraction.published is not None:
                done["published_at"] = _noon(extraction.published)
                done["published_source"] = PublishedSource.INFERRED
            article_set_status(article.pk, ArticleStatus.DONE, **done)
            revision_bump()
        return ArticleStatus.DONE
    except TRANSIENT_ERRORS:
        # Leave it for a retry (or the sweeper); the transaction rolled back cleanly.
        _set_status_quietly(article.pk, ArticleStatus.PENDING, "Database unavailable; will retry.")
        raise
    except Exception as error:
        logger.exception("Extraction failed for article %s", article.pk)
        article_set_status(article.pk, ArticleStatus.FAILED, f"{type(error).__name__}: {error}")
        return ArticleStatus.FAILED


def _set_status_quietly(article_id: int, status: str, error: str) -> None:
    # If even this fails, the sweeper finds the article still processing and re-enqueues it.
    with contextlib.suppress(TRANSIENT_ERRORS):
        article_set_status(article_id, status, error)


def known_publication_date(article: Article) -> date | None:
    """Return the publication date extraction may resolve relative dates against."""
    if article.published_at is None or article.published_source == PublishedSource.UNKNOWN:
        return None
    return article.published_at.date()


def _noon(day: date):
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12), timezone.UTC)


def _lock_merges() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MERGE_LOCK])


def article_reprocess(article_id: int, sync: bool = False) -> bool:
    """Run extraction on an article again (queued, or here with `sync`).

    Return False when it has no text yet or is being processed right now.
    """
    updated = (
        Article.objects.filter(pk=article_id, content_hash__isnull=False)
        .exclude(status=ArticleStatus.PROCESSING)
        .update(status=ArticleStatus.PENDING, status_changed_at=timezone.now(), error="")
    )
    if updated:
        article = Article.objects.get(pk=article_id)
        transaction.on_commit(lambda: announce(article, sync=sync))
    return bool(updated)


@dataclass(frozen=True)
class Ref:
    """A person, place or topic as ingestion uses it: id, slug, name and place parent."""

    pk: int
    slug: str
    name: str
    country: str = ""
    parent_id: int | None = None
    # Position in the database's order of names (topics are attached in that order).
    rank: int = 0


class Reference:
    """People, places and topics by slug, and places' parents: what merging looks up."""

    def __init__(self, version: str | None, rows):
        self.version = version
        self.people: dict[str, Ref] = {}
        self.locations: dict[str, Ref] = {}
        self.topics: dict[str, Ref] = {}
        tables = {"person": self.people, "location": self.locations, "topic": self.topics}
        for rank, (kind, pk, slug, name, country, parent_id) in enumerate(rows):
            tables[kind][slug] = Ref(pk, slug, name, country, parent_id, rank)
        self.locations_by_id = {ref.pk: ref for ref in self.locations.values()}
        self.parents = {ref.pk: ref.parent_id for ref in self.locations.values()}

    def with_people(self, people: list[Ref]) -> Reference:
        """Return a copy that also knows these people (found while applying one article)."""
        known = copy.copy(self)
        known.people = {**self.people, **{person.slug: person for person in people}}
        return known


# The rows a Reference holds, and a fingerprint of them: any added, removed or renamed person,
# place or topic changes it. One statement, so rows and fingerprint come from one snapshot.
_REFERENCE_ROWS = f"""
    SELECT 'person' AS kind, id, slug, name, country, NULL::bigint AS parent_id
    FROM {Person._meta.db_table}
    UNION ALL SELECT 'location', id, slug, name, country, parent_id FROM {Location._meta.db_table}
    UNION ALL SELECT 'topic', id, slug, name, '', parent_id FROM {Topic._meta.db_table}
"""
_FINGERPRINT = "SELECT md5(string_agg(r::text, ',' ORDER BY r.kind, r.id)) FROM reference AS r"
_REFERENCE_VERSION_SQL = f"WITH reference AS ({_REFERENCE_ROWS}) {_FINGERPRINT}"
_REFERENCE_LOAD_SQL = (
    f"WITH reference AS ({_REFERENCE_ROWS}) "
    f"SELECT *, ({_FINGERPRINT}) FROM reference ORDER BY kind, name, id"
)
_reference: Reference | None = None


def reference_current() -> Reference:
    """Return people, places and topics, read again only when they changed.

    Every call asks for the fingerprint (one small query), so an article applied after a
    curator added a topic or renamed a person sees the change, and rows rolled back with a
    failed transaction are never kept.
    """
    global _reference
    with connection.cursor() as cursor:
        cursor.execute(_REFERENCE_VERSION_SQL)
        (version,) = cursor.fetchone()
        cached = _reference
        if cached is not None and cached.version == version:
            return cached
        cursor.execute(_REFERENCE_LOAD_SQL)
        rows = cursor.fetchall()
    _reference = Reference(rows[0][-1] if rows else None, [row[:-1] for row in rows])
    return _reference


def _lookups(extraction: Extraction) -> Reference:
    """Return the reference for one article, with the officials it discovered added."""
    reference = reference_current()
    named = {m.slug for m in extraction.mentions if m.kind == "person" and m.slug}
    named |= {p.slug for c in extraction.meetings for p in c.participants}
    new: dict = {}
    for person in extraction.new_people:
        if person.slug in named and person.slug not in reference.people:
            new.setdefault(person.slug, person)
    if not new:
        return reference
    return reference.with_people([_person_ref(_person_discovered(p)) for p in new.values()])


def _person_ref(person: Person) -> Ref:
    return Ref(person.pk, person.slug, person.name, person.country)


def _person_discovered(new) -> Person:
    """Create an official the gazetteer lacked, for curators to confirm."""
    person = Person.objects.filter(slug=new.slug).first()
    if person is None:
        try:
            with transaction.atomic():
                person = Person.objects.create(
                    name=new.name,
                    slug=new.slug,
                    country=new.country[:2],
                    review_state=PersonReviewState.AUTO,
                )
        except IntegrityError:
            person = Person.objects.get(slug=new.slug)
    return person


def article_apply_extraction(article: Article, extraction: Extraction) -> set[int]:
    """Replace the article's mentions and evidence with this extraction; return meeting ids."""
    lookups = _lookups(extraction)
    Mention.objects.filter(article=article).delete()
    _store_mentions(article, extraction, lookups)
    # Mentions are the article's own; evidence and meetings are shared, so from here on one
    # merge at a time. An article that reports no meeting, and never did, merges nothing.
    affected = set(
        Evidence.objects.filter(article=article).order_by().values_list("meeting_id", flat=True)
    )
    if not affected and not extraction.meetings:
        return affected
    _lock_merges()
    if affected:
        Evidence.objects.filter(article=article).delete()

    published = known_publication_date(article) or extraction.published
    rows: dict[tuple[int, int], Evidence] = {}
    for candidate in extraction.meetings:
        meeting = meeting_for_candidate(candidate, lookups, published)
        if meeting is None:
            continue
        affected.add(meeting.pk)
        for row in _evidence_rows(article, meeting, candidate, extraction, lookups):
            key = (meeting.pk, row.start)
            if key in rows:  # two candidates of this article describe one meeting
                rows[key].fields = sorted(set(rows[key].fields) | set(row.fields))
                rows[key].claims = {**row.claims, **rows[key].claims}
            else:
                rows[key] = row
    Evidence.objects.bulk_create(rows.values())
    meetings_recompute(affected, lookups)
    return affected


def _store_mentions(article: Article, extraction: Extraction, lookups: Reference) -> None:
    seen = set()
    mentions = []
    for mention in extraction.mentions:
        key = (mention.kind, mention.start, mention.end)
        if key in seen or mention.end <= mention.start:
            continue
        seen.add(key)
        slug = mention.slug or ""
        mentions.append(
            Mention(
                article=article,
                kind=mention.kind,
                text=mention.text[:300],
                start=mention.start,
                end=mention.end,
                person_id=_pk(lookups.people, slug) if mention.kind == "person" else None,
                location_id=_pk(lookups.locations, slug) if mention.kind == "location" else None,
                topic_id=_pk(lookups.topics, slug) if mention.kind == "topic" else None,
                value=(mention.value or "")[:100],
            )
        )
    Mention.objects.bulk_create(mentions)


def _pk(refs: dict[str, Ref], slug: str) -> int | None:
    ref = refs.get(slug)
    return ref.pk if ref else None


def _candidate_claims(candidate: MeetingCandidate, lookups: Reference) -> dict:
    """Return every value the candidate claims, keyed by evidence field."""
    claims: dict = {
        "kind": candidate.kind,
        "status": candidate.status,
        "participants": [
            {"slug": p.slug, "role": p.role, "side": p.side}
            for p in candidate.participants
            if p.slug in lookups.people
        ],
        "topics": [slug for slug in candidate.topics if slug in lookups.topics],
    }
    if candidate.start_date is not None:
        # A vague window ("in the coming days") keeps an open end; a dated claim a closed one.
        end = candidate.end_date or (
            None if candidate.date_precision == "unknown" else candidate.start_date
        )
        claims["date"] = {
            "start": candidate.start_date.isoformat(),
            "end": end.isoformat() if end else None,
            "precision": candidate.date_precision,
        }
    if candidate.location in lookups.locations:
        claims["location"] = {"slug": candidate.location, "note": candidate.location_note}
    elif candidate.location_note:
        claims["location"] = {"slug": None, "note": candidate.location_note}
    return claims


def _evidence_rows(article, meeting, candidate, extraction, lookups) -> list[Evidence]:
    claims = _candidate_claims(candidate, lookups)
    rows = []
    for index, span in enumerate(candidate.evidence):
        start, end = max(0, span.start), min(len(article.body), span.end)
        if end <= start:
            continue
        span_claims = {field: claims[field] for field in span.fields if field in claims}
        if candidate.announced is not None and ("status" in span.fields or index == 0):
            span_claims["announced"] = candidate.announced
        rows.append(
            Evidence(
                article=article,
                meeting=meeting,
                quote=article.body[start:end][:2000],
                start=start,
                end=end,
                fields=sorted(span.fields),
                claims=span_claims,
                confidence=span.confidence,
                extractor_version=extraction.version,
            )
        )
    return rows


def meeting_for_candidate(
    candidate: MeetingCandidate, lookups: Reference, published: date | None
) -> Meeting | None:
    """Return the meeting this candidate reports: an existing match or a new meeting."""
    people = [lookups.people[p.slug] for p in candidate.participants if p.slug in lookups.people]
    if not people and not candidate.topics and candidate.location not in lookups.locations:
        return None  # nothing to recognise the meeting by
    match = meeting_match(candidate, people, lookups, published)
    if match is not None:
        return match
    return meeting_create(candidate, people, lookups)


def meeting_match(candidate, people, lookups, published) -> Meeting | None:
    claim = merging.DateClaim(candidate.start_date, candidate.end_date, candidate.date_precision)
    location = lookups.locations.get(candidate.location or "")
    place_id = location.pk if location else None
    compatible = []
    for meeting in _match_candidates(candidate, claim, people, place_id, lookups, published):
        existing = merging.DateClaim(meeting.start_date, meeting.end_date, meeting.date_precision)
        if not (
            merging.kinds_compatible(candidate.kind, meeting.kind)
            and merging.places_compatible(place_id, meeting.location_id, lookups.parents)
            and merging.status_fits(candidate.status, existing, published)
        ):
            continue
        if claim.start is not None:
            if not merging.dates_overlap(claim, existing):
                continue
        elif not merging.near_publication(existing, published):
            continue
        # A place both name ("at Woodside" and Filoli) is the strongest sign after the people.
        place_agrees = place_id is not None and meeting.location_id is not None
        compatible.append((not place_agrees, _date_distance(claim, existing, published), meeting))
    if not compatible:
        return None
    compatible.sort(key=lambda item: item[:2])
    undated = claim.start is None and published is None
    if undated and compatible[0][0] and len(compatible) > 1:
        return None  # nothing tells these meetings apart: do not guess
    return compatible[0][2]


def _match_candidates(candidate, claim, people, place_id, lookups, published):
    """Return the meetings meeting_match compares, best first by its own ranking.

    The conditions are the merge rules in SQL (meeting_match checks them again) and the order
    is meeting_match's, so that the first 200 hold the best match even for two officials who
    share thousands of meetings. Plain SQL: Django took longer to compile it than to run it.
    """
    where, params = ["m.review_state <> %s"], [ReviewState.REJECTED]
    if candidate.kind == MeetingKind.MEETING:  # merging.kinds_compatible
        where.append("m.kind <> %s")
        params.append(MeetingKind.CALL)
    elif candidate.kind == MeetingKind.CALL:
        where.append("m.kind = %s")
        params.append(MeetingKind.CALL)
    else:
        where.append("m.kind IN (%s, %s)")
        params += [candidate.kind, MeetingKind.MEETING]
    if len(people) in (1, 2):
        # Meetings of each: merging the people's index ranges beats counting over their rows.
        for person in people:
            where.append(f"m.id IN (SELECT meeting_id FROM {_PARTICIPATION} WHERE person_id = %s)")
            params.append(person.pk)
    elif people:  # any two of them
        where.append(
            f"m.id IN (SELECT meeting_id FROM {_PARTICIPATION} WHERE person_id = ANY(%s)"
            " GROUP BY meeting_id HAVING count(*) >= 2)"
        )
        params.append([person.pk for person in people])
    else:
        where.append(f"NOT EXISTS (SELECT FROM {_PARTICIPATION} WHERE meeting_id = m.id)")
    if place_id is not None:  # merging.places_compatible
        where.append("(m.location_id IS NULL OR m.location_id = ANY(%s))")
        params.append(sorted(merging.places_related(place_id, lookups.parents)))
    span = claim.interval()
    if span is None and published is not None:  # undated: merging.near_publication
        span = (published - merging.UNDATED_WINDOW, published + merging.UNDATED_WINDOW)
    if span is not None:  # merging.dates_overlap
        where.append("(m.start_date IS NULL OR (span.first_day <= %s AND span.last_day >= %s))")
        params += [span[1], span[0]]
    if published is not None and candidate.status == MeetingStatus.PLANNED:  # status_fits
        where.append("(m.start_date IS NULL OR span.last_day >= %s)")
        params.append(published - timedelta(days=3))
    elif published is not None and candidate.status == MeetingStatus.HELD:
        where.append("(m.start_date IS NULL OR span.first_day <= %s)")
        params.append(published + timedelta(days=1))
    order = ["m.start_date DESC NULLS LAST", "m.id DESC"]
    reference = claim.start or published
    if reference is not None:  # _date_distance
        order.insert(0, "coalesce(abs(m.start_date - %s), %s)")
        params += [reference, NO_DISTANCE]
    if place_id is not None:  # place_agrees
        order.insert(0, "m.location_id IS NULL")
    sql = (
        "SELECT m.id, m.kind, m.start_date, m.end_date, m.date_precision, m.location_id"
        f" FROM {Meeting._meta.db_table} AS m CROSS JOIN LATERAL ({_SPAN}) AS span"
        f" WHERE {' AND '.join(where)} ORDER BY {', '.join(order)} LIMIT %s"
    )
    return Meeting.objects.raw(sql, [*params, MATCH_CANDIDATES])


_PARTICIPATION = Participation._meta.db_table
# merging.DateClaim.interval in SQL: the days a meeting's date allows, a month from its first
# day to its last, a year from 1 January to 31 December, a vague window without an end for
# OPEN_WINDOW. Null for an undated meeting, which agrees with any date.
_SPAN = f"""
    SELECT
        CASE m.date_precision
            WHEN 'month' THEN date_trunc('month', m.start_date::timestamp)::date
            WHEN 'year' THEN date_trunc('year', m.start_date::timestamp)::date
            ELSE m.start_date
        END AS first_day,
        CASE m.date_precision
            WHEN 'day' THEN greatest(coalesce(m.end_date, m.start_date), m.start_date)
            WHEN 'month' THEN (date_trunc('month', coalesce(m.end_date, m.start_date)::timestamp)
                               + interval '1 month - 1 day')::date
            WHEN 'year' THEN (date_trunc('year', coalesce(m.end_date, m.start_date)::timestamp)
                              + interval '1 year - 1 day')::date
            ELSE coalesce(m.end_date, m.start_date + {merging.OPEN_WINDOW.days})
        END AS last_day
"""


def _date_distance(claim, existing, published) -> int:
    reference = claim.start or published
    if reference is None or existing.start is None:
        return NO_DISTANCE
    return abs((existing.start - reference).days)


def meeting_create(candidate: MeetingCandidate, people: list[Ref], lookups) -> Meeting:
    location = lookups.locations.get(candidate.location or "")
    topic = lookups.topics.get(candidate.topics[0]) if candidate.topics else None
    title = merging.meeting_title(
        [(p.name, p.country) for p in people],
        candidate.kind,
        location.name if location else None,
        topic.name if topic else None,
    )
    stem = slugify(f"{title} {candidate.start_date or ''}")[:280] or "meeting"
    slug, suffix = stem, 2
    while Meeting.objects.filter(slug=slug).exists():
        slug, suffix = f"{stem}-{suffix}", suffix + 1
    return Meeting.objects.create(
        title=title,
        slug=slug,
        kind=candidate.kind,
        status=candidate.status,
        review_state=ReviewState.AUTO,
    )


def meetings_recompute(meeting_ids: set[int], lookups: Reference | None = None) -> None:
    """Derive each meeting's fields from its evidence; drop extracted meetings left bare."""
    if not meeting_ids:
        return
    reference = lookups or reference_current()
    ids = sorted(meeting_ids)
    claims = _claims_by_meeting(ids)
    totals = _totals_by_meeting(ids)
    meetings = list(Meeting.objects.filter(pk__in=ids))
    bare = [m.pk for m in meetings if m.pk not in claims and m.review_state == ReviewState.AUTO]
    if bare:
        Meeting.objects.filter(pk__in=bare).delete()
    kept = [meeting for meeting in meetings if meeting.pk not in bare]
    participants, topics = _links_by_meeting([meeting.pk for meeting in kept])
    for meeting in kept:
        _recompute(
            meeting,
            claims.get(meeting.pk, []),
            totals.get(meeting.pk, {}),
            reference,
            participants.get(meeting.pk, []),
            topics.get(meeting.pk, []),
        )


# The reads of a recompute are plain SQL: they run for every article, and Django took longer
# to compile them than PostgreSQL to answer.
_EVIDENCE = Evidence._meta.db_table


@dataclass(frozen=True)
class _Claim:
    """Evidence rows of one meeting that claim the same values with the same confidence."""

    claims: dict
    confidence: float
    conflicting: bool
    reports: int
    first: list[int]  # (article id, start) of the earliest row, in evidence's own order


def _claims_by_meeting(meeting_ids: list[int]) -> dict[int, list[_Claim]]:
    """Group each meeting's evidence by what it claims, earliest first.

    A busy meeting has thousands of rows but few distinct claims. Coming in the order of their
    earliest row (Evidence's ordering), the groups settle ties as reading every row did.
    """
    rows = _fetch(
        "SELECT meeting_id, claims, confidence, conflicting, count(*),"
        f" min(ARRAY[article_id, start]) FROM {_EVIDENCE} WHERE meeting_id = ANY(%s)"
        " GROUP BY meeting_id, claims, confidence, conflicting",
        [meeting_ids],
    )
    groups = defaultdict(list)
    for meeting_id, claims, *counted in sorted(rows, key=lambda row: row[-1]):
        groups[meeting_id].append(_Claim(json.loads(claims), *counted))
    return groups


def _totals_by_meeting(meeting_ids: list[int]) -> dict[int, dict]:
    """Return each meeting's evidence and article counts and when it was first reported."""
    rows = _fetch(
        "SELECT e.meeting_id, count(*), count(DISTINCT e.article_id),"
        " min(coalesce(a.published_at, a.created_at))"
        f" FROM {_EVIDENCE} AS e JOIN {Article._meta.db_table} AS a ON a.id = e.article_id"
        " WHERE e.meeting_id = ANY(%s) GROUP BY e.meeting_id",
        [meeting_ids],
    )
    fields = ("evidence_count", "article_count", "first_reported_at")
    return {meeting_id: dict(zip(fields, values, strict=True)) for meeting_id, *values in rows}


class _Link(NamedTuple):
    """A participation or a meeting's topic, with the person's or topic's slug and name."""

    pk: int
    slug: str
    name: str
    country: str
    side: str


def _links_by_meeting(meeting_ids: list[int]):
    """Return each meeting's participants and its topics."""
    rows = _fetch(
        "SELECT 'person', p.meeting_id, p.id, x.slug, x.name, x.country, p.side"
        f" FROM {Participation._meta.db_table} AS p"
        f" JOIN {Person._meta.db_table} AS x ON x.id = p.person_id WHERE p.meeting_id = ANY(%s)"
        " UNION ALL SELECT 'topic', t.meeting_id, t.id, x.slug, x.name, '', ''"
        f" FROM {MeetingTopic._meta.db_table} AS t"
        f" JOIN {Topic._meta.db_table} AS x ON x.id = t.topic_id WHERE t.meeting_id = ANY(%s)",
        [meeting_ids, meeting_ids],
    )
    links = {"person": defaultdict(list), "topic": defaultdict(list)}
    for kind, meeting_id, *link in rows:
        links[kind][meeting_id].append(_Link(*link))
    return links["person"], links["topic"]


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _locked(meeting: Meeting, field: str) -> bool:
    return meeting.review_state == ReviewState.CONFIRMED or field in meeting.locked_fields


def _recompute(meeting, claims: list[_Claim], totals, reference, participants, topics) -> None:
    statuses = [c.claims["status"] for c in claims if "status" in c.claims]
    kinds = [(c.claims["kind"], c.confidence, c.reports) for c in claims if "kind" in c.claims]
    dates = [
        (_date_claim(c.claims["date"]), c.claims.get("status", ""), c.confidence)
        for c in claims
        if "date" in c.claims
    ]
    located = [c for c in claims if c.claims.get("location")]
    places = [
        (reference.locations[slug].pk, c.claims["location"]["note"], c.confidence, c.reports)
        for c in located
        if (slug := c.claims["location"].get("slug")) in reference.locations
    ]
    notes = [c.claims["location"]["note"] for c in located]
    changed = set()

    def put(field, value):
        if getattr(meeting, field) != value:
            setattr(meeting, field, value)
            changed.add(field)

    if statuses and not _locked(meeting, "status"):
        put("status", merging.best_status(statuses))
    if kinds and not _locked(meeting, "kind"):
        put("kind", merging.best_kind(kinds))
    chosen_date = merging.best_date(dates)
    if chosen_date and not _locked(meeting, "dates"):
        put("start_date", chosen_date.start)
        put("end_date", chosen_date.end)
        put("date_precision", chosen_date.precision)
    if not _locked(meeting, "location"):
        chosen_place = merging.best_location(places, reference.parents)
        if chosen_place:
            put("location_id", chosen_place[0])
            put("location_note", chosen_place[1][:300])
        elif notes:
            put("location_note", notes[0][:300])
    announced = [c.claims["announced"] for c in claims if "announced" in c.claims]
    if announced and not _locked(meeting, "announced"):
        put("announced", merging.best_announced(announced))
    put("first_reported_at", totals.get("first_reported_at"))
    if not _locked(meeting, "participants"):
        participants = _sync_participants(meeting, claims, participants, reference)
    if not _locked(meeting, "topics"):
        topics = _sync_topics(meeting, claims, topics, reference)
    if not _locked(meeting, "title"):
        _retitle(meeting, participants, topics, reference, put)
    _save(meeting, changed, totals)
    if meeting.review_state == ReviewState.CONFIRMED:
        _flag_conflicts(meeting, claims)


def _save(meeting: Meeting, changed: set[str], totals: dict) -> None:
    """Write the changed fields; counts alone are written without touching updated_at."""
    counts = []
    for field in ("evidence_count", "article_count"):
        if getattr(meeting, field) != totals.get(field, 0):
            setattr(meeting, field, totals.get(field, 0))
            counts.append(field)
    if changed:
        meeting.save(update_fields=[*changed, *counts, "updated_at"])
    elif counts:
        Meeting.objects.filter(pk=meeting.pk).update(**{f: getattr(meeting, f) for f in counts})


def _date_claim(claim: dict) -> merging.DateClaim:
    end = claim.get("end")
    return merging.DateClaim(
        date.fromisoformat(claim["start"]),
        date.fromisoformat(end) if end else None,
        claim["precision"],
    )


def _sync_participants(meeting, claims: list[_Claim], current: list[_Link], reference):
    """Make the meeting's participants those its evidence names; return them as now stored."""
    wanted: dict[str, dict] = {}
    for claim in claims:  # the earliest report of a person gives their role and side
        for participant in claim.claims.get("participants", []):
            wanted.setdefault(participant["slug"], participant)
    people = _refs(Person, wanted, reference.people)
    present = {link.slug for link in current}
    gone = [link.pk for link in current if link.slug not in wanted]
    new = [
        Participation(meeting=meeting, person_id=people[slug].pk, role=p["role"], side=p["side"])
        for slug, p in wanted.items()
        if slug in people and slug not in present
    ]
    if gone:
        Participation.objects.filter(pk__in=gone).delete()
    if not new:
        return [link for link in current if link.slug in wanted]
    Participation.objects.bulk_create(new, ignore_conflicts=True)
    # Read them again: ignore_conflicts leaves the new rows without ids, and ids order the title.
    return _links_by_meeting([meeting.pk])[0][meeting.pk]


def _sync_topics(meeting, claims: list[_Claim], current: list[_Link], reference):
    """Make the meeting's topics those its evidence names; return them, or the oldest ones."""
    wanted = {slug for claim in claims for slug in claim.claims.get("topics", [])}
    topics = _refs(Topic, wanted, reference.topics)
    present = {link.slug for link in current}
    gone = [link.pk for link in current if link.slug not in wanted]
    # Added in the database's order of names, as Topic's ordering did: the first is the title's.
    new = sorted((ref for slug, ref in topics.items() if slug not in present), key=_by_rank)
    if gone:
        MeetingTopic.objects.filter(pk__in=gone).delete()
    kept = [link for link in current if link.slug in wanted]
    if not new:
        return kept
    MeetingTopic.objects.bulk_create(
        [MeetingTopic(meeting=meeting, topic_id=ref.pk) for ref in new], ignore_conflicts=True
    )
    # The title names the oldest topic: one kept is older than any added now.
    return kept or _links_by_meeting([meeting.pk])[1][meeting.pk]


def _by_rank(ref: Ref) -> int:
    return ref.rank


def _refs(model, slugs, known: dict[str, Ref]) -> dict[str, Ref]:
    """Return the rows of these slugs, from the reference unless it lacks one.

    Evidence may name a person or topic added since the reference was read: then all of them
    are read from the database, ranked by name there.
    """
    if all(slug in known for slug in slugs):
        return {slug: known[slug] for slug in slugs}
    rows = model.objects.filter(slug__in=slugs).order_by("name", "id")
    return {
        slug: Ref(pk, slug, name, rank=rank)
        for rank, (pk, slug, name) in enumerate(rows.values_list("id", "slug", "name"))
    }


def _retitle(meeting: Meeting, participants, topics, reference, put) -> None:
    seats = sorted(participants, key=lambda p: (SIDE_ORDER.get(p.side, len(SIDE_ORDER)), p.pk))
    people = [(p.name, p.country) for p in seats]
    first_topic = min(topics, key=lambda t: t.pk, default=None)
    put(
        "title",
        merging.meeting_title(
            people,
            meeting.kind,
            _location_name(meeting.location_id, reference),
            first_topic.name if first_topic else None,
        ),
    )


def _location_name(location_id: int | None, reference: Reference) -> str | None:
    if location_id is None:
        return None
    if location_id in reference.locations_by_id:
        return reference.locations_by_id[location_id].name
    return Location.objects.filter(pk=location_id).values_list("name", flat=True).first()


def _flag_conflicts(meeting: Meeting, claims: list[_Claim]) -> None:
    """Mark evidence whose claims disagree with a curated meeting's values.

    The flag depends on the claims alone, so rows are updated by claims, at most two updates.
    """
    flips: dict[bool, list[dict]] = {True: [], False: []}
    for claim in claims:
        conflicting = _conflicts(meeting, claim.claims)
        if claim.conflicting != conflicting:
            flips[conflicting].append(claim.claims)
    for conflicting, values in flips.items():
        if values:
            Evidence.objects.filter(
                meeting=meeting, conflicting=not conflicting, claims__in=values
            ).update(conflicting=conflicting)


def _conflicts(meeting: Meeting, claims: dict) -> bool:
    return (
        (
            "status" in claims
            and claims["status"] != meeting.status
            and not (claims["status"] == "planned" and meeting.status == "held")
        )
        or ("kind" in claims and not merging.kinds_compatible(claims["kind"], meeting.kind))
        or (
            "date" in claims
            and meeting.start_date is not None
            and not merging.dates_overlap(
                _date_claim(claims["date"]),
                merging.DateClaim(meeting.start_date, meeting.end_date, meeting.date_precision),
            )
        )
    )
