"""Applying articles' extractions: their mentions, and evidence for the meetings they report.

A batch of articles is applied in one transaction: the reference read once, mentions and
evidence written in bulk, meetings recomputed once at the end. Meetings are shared, so two
transactions could each record the same new meeting; each takes, before it merges, advisory
locks on what its reports could create (see `merge_lock_keys`), and row locks on the meetings
it recomputes, so that a recompute always counts every committed report.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
from collections import defaultdict
from contextvars import ContextVar
from datetime import date
from itertools import combinations
from operator import attrgetter

from django.db import IntegrityError, connection, models, transaction
from django.db.models.signals import post_save

from articles.choices import PublishedSource
from articles.models import Article
from diplomacy import merging
from diplomacy.choices import PersonReviewState
from diplomacy.extraction.types import Extraction, MeetingCandidate
from diplomacy.models import Evidence, EvidencePin, Meeting, Mention, Person
from diplomacy.selectors import tables
from diplomacy.services import resettling
from diplomacy.services.matching import meeting_for_candidate
from diplomacy.services.recompute import meetings_recompute
from diplomacy.services.reference import Ref, Reference, reference_current

# A report dated within this many days locks the weeks it spans; a wider or undated one locks
# everything its people could record (see merge_lock_keys).
WEEK_LOCKS_UP_TO_DAYS = 62


def known_publication_date(article: Article) -> date | None:
    """Return the publication date extraction may resolve relative dates against."""
    if article.published_at is None or article.published_source == PublishedSource.UNKNOWN:
        return None
    return article.published_at.date()


def article_apply_extraction(article: Article, extraction: Extraction) -> set[int]:
    """Replace the article's mentions and evidence with this extraction; return meeting ids."""
    return articles_apply_extractions([(article, extraction)])


def articles_apply_extractions(
    items: list[tuple[Article, Extraction]], *, resettle: bool = True
) -> set[int]:
    """Replace each article's mentions and evidence with its extraction; return meeting ids.

    Articles are matched in id order, each seeing the meetings the ones before it recorded;
    the meetings that existed before the batch are recomputed once, at the end, and vague
    reports resettled then, or, without `resettle`, asked to be (resettling.resettle_later).
    Run inside a transaction.
    """
    items = sorted(items, key=lambda item: item[0].pk)
    lookups = _lookups([extraction for _, extraction in items])
    _replace_mentions(items, lookups)
    # Mentions are the articles' own; evidence and meetings are shared. Articles that report
    # no meeting, and never did, merge nothing.
    previous = _evidence_meetings([article.pk for article, _ in items])
    merged = [(a, e) for a, e in items if a.pk in previous or e.meetings]
    if not merged:
        return set()
    _lock_merges(merge_lock_keys([c for _, e in merged for c in e.meetings], lookups))
    affected = set().union(*previous.values())
    if previous:
        Evidence.objects.filter(article_id__in=list(previous)).delete()
    batch = _Batch(lookups, _evidence_pins([article.pk for article, _ in merged]))
    with _meetings_created() as created:
        for article, extraction in merged:
            batch.add(article, extraction, created)
        batch.flush()
        affected |= batch.affected
        # Meetings recorded by this batch are current already; the others are locked (in id
        # order, so that two batches never wait for each other in a cycle) and recomputed once.
        existing = affected - created
        _lock_meetings(existing)
        batch.reshaped |= meetings_recompute(existing, lookups)
        # Vague reports of these people are placed again when the batch added one, or changed
        # a meeting's kind, date, place or people (see meetings_resettle).
        changed = batch.vague | batch.reshaped
        if changed and resettle:
            affected |= resettling.meetings_resettle(changed, lookups, batch.published_of)
        elif changed:
            resettling.resettle_later(changed)
    return affected


def reports_resettle_all(progress=None) -> int:
    """Place every vague report again by the current rules (after the rules change, or on a
    corpus copied in without them); return how many meetings changed.

    Pair of people by pair (see resettling.pairs_in_use), each with the pairs its reports
    take in, in its own transaction under the lock an undated report of that pair takes
    while it is applied, so that articles may go on being applied meanwhile; a pair placed
    with an earlier one is not placed again. `progress(done, total)` follows the pairs.
    """
    pairs = resettling.pairs_in_use()
    placed: set[tuple[int, int]] = set()
    changed = 0
    for done, (first, second) in enumerate(pairs, 1):
        if (first, second) not in placed:
            with transaction.atomic():
                _lock_merges({_key(f"meeting:{_group(first, second)}"): True})
                moved, scope = resettling.pairs_resettle(
                    {(first, second)}, reference_current(), resettling.stored_dates_only
                )
            changed += len(moved)
            placed |= scope
        if progress is not None:
            progress(done, len(pairs))
    return changed


class _Batch:
    """Evidence rows placed for a batch's articles, written when a recompute needs them."""

    def __init__(self, lookups: Reference, pins: dict[int, dict[int, set[int]]]):
        self.lookups = lookups
        self.pins = pins
        self.rows: list[Evidence] = []
        self.affected: set[int] = set()
        self.vague: set[int] = set()  # meetings not known to the day, or a vague report joined
        self.reshaped: set[int] = set()  # meetings whose kind, date, place or people changed
        self.published: dict[int, date | None] = {}

    def add(self, article: Article, extraction: Extraction, created: set[int]) -> None:
        """Match the article's candidates and place its evidence rows."""
        published = known_publication_date(article) or extraction.published
        self.published[article.pk] = published
        # An article a curator's decision touched (merge, split, rejection, edit) keeps each
        # sentence on the meetings it was left on; only sentences never placed are matched.
        pins = self.pins.get(article.pk, {})
        rows: dict[tuple[int, int], Evidence] = {}
        touched: set[int] = set()
        siblings: dict[int, list[MeetingCandidate]] = defaultdict(list)  # meeting -> candidates
        for candidate in extraction.meetings:
            pinned = bool(pins and candidate.evidence) and all(
                max(0, span.start) in pins for span in candidate.evidence
            )
            meeting = (
                None
                if pinned
                else meeting_for_candidate(candidate, self.lookups, published, siblings)
            )
            if meeting is None and not pinned:
                continue
            if meeting is not None:
                touched.add(meeting.pk)
                siblings[meeting.pk].append(candidate)
                if (meeting.date_precision, candidate.date_precision) != ("day", "day"):
                    self.vague.add(meeting.pk)
            for row in _evidence_rows(article, None, candidate, extraction, self.lookups):
                targets = pins.get(row.start) or {meeting.pk}
                touched |= targets
                _place_row(rows, row, targets)
        self.rows.extend(rows.values())
        self.affected |= touched
        # A meeting this batch recorded is matched by the next articles on what its evidence
        # says: bring it up to date now (it is new, so its evidence is this batch's only).
        fresh = touched & created
        if fresh:
            self.flush()
            self.reshaped |= meetings_recompute(fresh, self.lookups)

    def flush(self) -> None:
        copy_rows(Evidence, self.rows)
        self.rows = []

    def published_of(self, article_id: int) -> date | None:
        """Return the date an article was matched with (read for articles outside the batch)."""
        if article_id not in self.published:
            article = Article.objects.only("published_at", "published_source").get(pk=article_id)
            self.published[article_id] = known_publication_date(article)
        return self.published[article_id]


_created: ContextVar[set[int] | None] = ContextVar("meetings_created_here", default=None)


@contextlib.contextmanager
def _meetings_created():
    """Collect the ids of the meetings recorded (by matching) inside the block."""
    created: set[int] = set()
    token = _created.set(created)
    try:
        yield created
    finally:
        _created.reset(token)


def _note_created_meeting(sender, instance, created: bool, **kwargs) -> None:
    collected = _created.get()
    if created and collected is not None:
        collected.add(instance.pk)


post_save.connect(_note_created_meeting, sender=Meeting, dispatch_uid="evidence.created_meeting")


def _evidence_meetings(article_ids: list[int]) -> dict[int, set[int]]:
    """Return the meetings each article's evidence is on now (articles without evidence left
    out)."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = Evidence.objects.filter(article_id__in=article_ids).order_by()
    for article_id, meeting_id in rows.values_list("article_id", "meeting_id").distinct():
        found[article_id].add(meeting_id)
    return found


def _evidence_pins(article_ids: list[int]) -> dict[int, dict[int, set[int]]]:
    """Return the meetings a curator's decisions left each sentence of each article on."""
    pins: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    rows = EvidencePin.objects.filter(article_id__in=article_ids)
    for article_id, start, meeting_id in rows.values_list("article_id", "start", "meeting_id"):
        pins[article_id][start].add(meeting_id)
    return pins


def _place_row(rows: dict[tuple[int, int], Evidence], row: Evidence, targets) -> None:
    """Put a copy of an evidence row on each target meeting, merging with a row of the same
    sentence there (two candidates of this article may describe one meeting)."""
    for target in targets:
        placed = copy.copy(row)
        placed.meeting_id = target
        key = (target, placed.start)
        if key in rows:
            rows[key].fields = sorted(set(rows[key].fields) | set(placed.fields))
            rows[key].claims = {**placed.claims, **rows[key].claims}
        else:
            rows[key] = placed


def merge_lock_keys(candidates: list[MeetingCandidate], lookups: Reference) -> dict[int, bool]:
    """Return the advisory lock keys that merging these candidates takes: {key: exclusive}.

    Two transactions could each record one meeting that the other would have joined only when
    each candidate matches the other's new meeting: then they share two people (or name the
    same single person, or nobody) and their dates overlap. So a candidate locks each pair of
    its people (its person, or "nobody") together with each week its date spans; an undated or
    widely dated one, which matches any date, locks the pair as a whole, which the dated ones
    take shared. Keys are hashed to 64 bits: a collision only makes one batch wait.
    """
    keys: dict[int, bool] = {}
    for candidate in candidates:
        people = sorted(
            {lookups.people[p.slug].pk for p in candidate.participants if p.slug in lookups.people}
        )
        groups = [_group(a, b) for a, b in combinations(people, 2)] or [
            _group(people[0], people[0]) if people else "nobody"
        ]
        weeks = _weeks(candidate)
        for group in groups:
            whole = _key(f"meeting:{group}")
            if weeks is None:
                keys[whole] = True
                continue
            keys.setdefault(whole, False)
            for week in weeks:
                keys[_key(f"meeting:{group}:{week}")] = True
    return keys


def _group(first: int, second: int) -> str:
    """Name a pair of people in lock keys (a person alone: their id)."""
    return str(first) if first == second else f"{first}-{second}"


def _weeks(candidate: MeetingCandidate) -> list[int] | None:
    """Return the weeks (numbered from Monday 1 January of year 1) the candidate's date spans,
    or None when it is undated or spans more than WEEK_LOCKS_UP_TO_DAYS."""
    span = merging.DateClaim(
        candidate.start_date, candidate.end_date, candidate.date_precision
    ).interval()
    if span is None or (span[1] - span[0]).days > WEEK_LOCKS_UP_TO_DAYS:
        return None
    first = (span[0] - date.min).days // 7
    last = (max(span[1], span[0]) - date.min).days // 7
    return list(range(first, last + 1))


def _key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), signed=True)


def _lock_merges(keys: dict[int, bool]) -> None:
    """Take the keys' transaction-scoped advisory locks in key order, so that two batches
    never wait for each other in a cycle."""
    if not keys:
        return
    ordered = sorted(keys)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(CASE WHEN exclusive THEN pg_advisory_xact_lock(key)"
            " ELSE pg_advisory_xact_lock_shared(key) END)"
            " FROM unnest(%s::bigint[], %s::boolean[]) AS k(key, exclusive)",
            [ordered, [keys[key] for key in ordered]],
        )


def _lock_meetings(meeting_ids: set[int]) -> None:
    """Lock the meetings about to be recomputed, in id order: a concurrent batch that added
    evidence to one recomputes it after this transaction commits, and so counts this one's."""
    if not meeting_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {tables.MEETING} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
            [sorted(meeting_ids)],
        )


def _lookups(extractions: list[Extraction]) -> Reference:
    """Return the reference for a batch, with the officials its articles discovered added."""
    reference = reference_current()
    new: dict = {}
    for extraction in extractions:
        named = {m.slug for m in extraction.mentions if m.kind == "person" and m.slug}
        named |= {p.slug for c in extraction.meetings for p in c.participants}
        for person in extraction.new_people:
            if person.slug in named and person.slug not in reference.people:
                new.setdefault(person.slug, person)
    if not new:
        return reference
    return reference.with_people([_person_ref(person_discover(p)) for p in new.values()])


def _person_ref(person: Person) -> Ref:
    return Ref(person.pk, person.slug, person.name, person.country)


def person_discover(new) -> Person:
    """Create an official the gazetteer lacked, for curators to confirm; return the person."""
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


def _replace_mentions(items: list[tuple[Article, Extraction]], lookups: Reference) -> None:
    """Replace the articles' mentions: one delete and one COPY for the batch."""
    Mention.objects.filter(article_id__in=[article.pk for article, _ in items]).delete()
    rows = []
    for article, extraction in items:
        rows += _mentions(article, extraction, lookups)
    copy_values(Mention._meta.db_table, _MENTION_COLUMNS, rows)


def copy_rows(model, rows: list) -> None:
    """Insert unsaved model instances with COPY: a batch's thousands of evidence rows, which
    an INSERT would send as that many quoted parameters. No signals are sent and the
    instances get no ids (nothing here needs them)."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    values = [_copy_value(field) for field in fields]
    columns = [field.column for field in fields]
    copy_values(model._meta.db_table, columns, [[value(row) for value in values] for row in rows])


def copy_values(table: str, columns, rows: list) -> None:
    """Insert rows of the columns' values with COPY."""
    if not rows:
        return
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


# Fields whose attribute is written as it is: psycopg adapts the numbers, strings, booleans
# and None they hold. Any other (JSON, arrays, dates set on saving) is prepared by the field.
_AS_IS = {
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _copy_value(field):
    """Return how to read a field's value to copy from an instance."""
    if field.get_internal_type() in _AS_IS and type(field).pre_save is models.Field.pre_save:
        return attrgetter(field.attname)
    return lambda row: field.get_db_prep_save(field.pre_save(row, True), connection)


# A mention row as _mentions makes it (every column of Mention but the id): a batch holds
# thousands, built without model instances.
_MENTION_COLUMNS = (
    "article_id",
    "kind",
    "text",
    "start",
    "end",
    "person_id",
    "location_id",
    "topic_id",
    "value",
)


def _mentions(article: Article, extraction: Extraction, lookups: Reference) -> list[tuple]:
    """Return the rows (_MENTION_COLUMNS) of the article's mentions, each span of a kind once."""
    seen = set()
    rows = []
    for mention in extraction.mentions:
        key = (mention.kind, mention.start, mention.end)
        if key in seen or mention.end <= mention.start:
            continue
        seen.add(key)
        slug = mention.slug or ""
        rows.append(
            (
                article.pk,
                mention.kind,
                mention.text[:300],
                mention.start,
                mention.end,
                _pk(lookups.people, slug) if mention.kind == "person" else None,
                _pk(lookups.locations, slug) if mention.kind == "location" else None,
                _pk(lookups.topics, slug) if mention.kind == "topic" else None,
                (mention.value or "")[:100],
            )
        )
    return rows


def _pk(refs: dict[str, Ref], slug: str) -> int | None:
    ref = refs.get(slug)
    return ref.pk if ref else None


def candidate_claims(candidate: MeetingCandidate, lookups: Reference) -> dict:
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
    claims = candidate_claims(candidate, lookups)
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
