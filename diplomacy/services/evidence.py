"""Applying one article's extraction: its mentions, and evidence for the meetings it reports."""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import date

from django.db import IntegrityError, connection, transaction

from articles.choices import PublishedSource
from articles.models import Article
from diplomacy.choices import PersonReviewState
from diplomacy.extraction.types import Extraction, MeetingCandidate
from diplomacy.models import Evidence, EvidencePin, Mention, Person
from diplomacy.services.matching import meeting_for_candidate
from diplomacy.services.recompute import meetings_recompute
from diplomacy.services.reference import Ref, Reference, reference_current
from diplomacy.services.resettling import meetings_resettle

# Merges take this PostgreSQL advisory lock, so two workers reporting the same new meeting
# at once cannot both create it. Extraction, and storing an article's mentions, run outside it.
MERGE_LOCK = 7_201_947


def known_publication_date(article: Article) -> date | None:
    """Return the publication date extraction may resolve relative dates against."""
    if article.published_at is None or article.published_source == PublishedSource.UNKNOWN:
        return None
    return article.published_at.date()


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
    # An article a curator's decision touched (merge, split, rejection, edit) keeps each
    # sentence on the meetings it was left on; only sentences never placed are matched.
    pins = _evidence_pins(article)
    rows: dict[tuple[int, int], Evidence] = {}
    vague: set[int] = set()  # meetings not known to the day, or that a vague report joined
    siblings: dict[int, list[MeetingCandidate]] = defaultdict(list)  # meeting -> candidates
    for candidate in extraction.meetings:
        pinned = bool(pins and candidate.evidence) and all(
            max(0, span.start) in pins for span in candidate.evidence
        )
        meeting = None if pinned else meeting_for_candidate(candidate, lookups, published, siblings)
        if meeting is None and not pinned:
            continue
        if meeting is not None:
            affected.add(meeting.pk)
            siblings[meeting.pk].append(candidate)
            if (meeting.date_precision, candidate.date_precision) != ("day", "day"):
                vague.add(meeting.pk)
        for row in _evidence_rows(article, None, candidate, extraction, lookups):
            targets = pins.get(row.start) or {meeting.pk}
            affected |= targets
            _place_row(rows, row, targets)
    Evidence.objects.bulk_create(rows.values())
    reshaped = meetings_recompute(affected, lookups)
    if vague or reshaped:
        affected |= meetings_resettle(
            vague | reshaped, lookups, _publication_dates(article.pk, published)
        )
    return affected


def _evidence_pins(article: Article) -> dict[int, set[int]]:
    """Return the meetings a curator's decisions left each sentence of the article on."""
    pins = defaultdict(set)
    for start, meeting_id in EvidencePin.objects.filter(article=article).values_list(
        "start", "meeting_id"
    ):
        pins[start].add(meeting_id)
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


def _publication_dates(article_id: int, published: date | None):
    """Return a lookup of the date each article was matched with (this one's is `published`)."""
    known: dict[int, date | None] = {article_id: published}

    def published_of(other: int) -> date | None:
        if other not in known:
            article = Article.objects.only("published_at", "published_source").get(pk=other)
            known[other] = known_publication_date(article)
        return known[other]

    return published_of


def _lock_merges() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MERGE_LOCK])


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
