"""Writes for diplomacy: turn an article's extraction into evidence-backed meetings."""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from articles.choices import ArticleStatus, PublishedSource
from articles.models import Article
from articles.services import announce, article_set_status
from diplomacy import merging
from diplomacy.choices import PersonReviewState, ReviewState
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
# at once cannot both create it. Extraction itself runs outside the lock.
MERGE_LOCK = 7_201_947
# Errors worth retrying: the database went away or a deadlock was broken.
TRANSIENT_ERRORS = (OperationalError,)
# Titles name the US side first, then China, then Taiwan.
SIDE_ORDER = {"us": 0, "cn": 1, "tw": 2}


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
            _lock_merges()
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


class _Lookups:
    """Slug → row maps for one article, read once."""

    def __init__(self, extraction: Extraction):
        people = {m.slug for m in extraction.mentions if m.kind == "person" and m.slug}
        people |= {p.slug for c in extraction.meetings for p in c.participants}
        self.people = {p.slug: p for p in Person.objects.filter(slug__in=people)}
        for new in extraction.new_people:
            if new.slug not in self.people and new.slug in people:
                self.people[new.slug] = _person_discovered(new)
        self.locations = {loc.slug: loc for loc in Location.objects.all()}
        self.parents = {loc.pk: loc.parent_id for loc in self.locations.values()}
        self.topics = {topic.slug: topic for topic in Topic.objects.all()}


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
    affected = set(Evidence.objects.filter(article=article).values_list("meeting_id", flat=True))
    Evidence.objects.filter(article=article).delete()
    Mention.objects.filter(article=article).delete()
    lookups = _Lookups(extraction)
    _store_mentions(article, extraction, lookups)

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
    meetings_recompute(affected)
    return affected


def _store_mentions(article: Article, extraction: Extraction, lookups: _Lookups) -> None:
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
                person=lookups.people.get(slug) if mention.kind == "person" else None,
                location=lookups.locations.get(slug) if mention.kind == "location" else None,
                topic=lookups.topics.get(slug) if mention.kind == "topic" else None,
                value=(mention.value or "")[:100],
            )
        )
    Mention.objects.bulk_create(mentions)


def _candidate_claims(candidate: MeetingCandidate, lookups: _Lookups) -> dict:
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
    candidate: MeetingCandidate, lookups: _Lookups, published: date | None
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
    queryset = Meeting.objects.visible()
    if people:
        needed = min(2, len(people))
        queryset = queryset.annotate(
            shared=Count("participations", filter=Q(participations__person__in=people))
        ).filter(shared__gte=needed)
    else:
        queryset = queryset.filter(participations__isnull=True)
    span = claim.interval()
    if span is not None:
        # Only meetings whose dates could agree are worth comparing: undated ones, open
        # windows ("in the coming days") that start in time, and overlapping ranges.
        overlapping = Meeting.objects.overlapping(span[0], span[1]).values("pk")
        queryset = queryset.filter(
            Q(start_date__isnull=True)
            | Q(end_date__isnull=True, start_date__lte=span[1])
            | Q(pk__in=overlapping)
        )
    compatible = []
    for meeting in queryset.order_by(F("start_date").desc(nulls_last=True), "-id")[:200]:
        existing = merging.DateClaim(meeting.start_date, meeting.end_date, meeting.date_precision)
        place_id = location.pk if location else None
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


def _date_distance(claim, existing, published) -> int:
    reference = claim.start or published
    if reference is None or existing.start is None:
        return 10_000
    return abs((existing.start - reference).days)


def meeting_create(candidate: MeetingCandidate, people: list[Person], lookups) -> Meeting:
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


def meetings_recompute(meeting_ids: set[int]) -> None:
    """Derive each meeting's fields from its evidence; drop extracted meetings left bare."""
    if not meeting_ids:
        return
    places = Places()
    evidence = defaultdict(list)
    for row in (
        Evidence.objects.filter(meeting_id__in=meeting_ids)
        .select_related("article")
        .only(
            "meeting_id",
            "claims",
            "confidence",
            "conflicting",  # read by _flag_conflicts: deferring it costs a query per row
            "article__published_at",
            "article__created_at",
        )
    ):
        evidence[row.meeting_id].append(row)
    meetings = Meeting.objects.filter(pk__in=meeting_ids)
    bare = [m.pk for m in meetings if not evidence[m.pk] and m.review_state == ReviewState.AUTO]
    Meeting.objects.filter(pk__in=bare).delete()
    for meeting in meetings:
        if meeting.pk not in bare:
            _recompute(meeting, evidence[meeting.pk], places)
    _refresh_counts(meeting_ids)


def _locked(meeting: Meeting, field: str) -> bool:
    return meeting.review_state == ReviewState.CONFIRMED or field in meeting.locked_fields


class Places:
    """Location ids by slug and parent ids by id, read once."""

    def __init__(self):
        rows = Location.objects.values_list("id", "slug", "parent_id")
        self.ids = {slug: pk for pk, slug, _ in rows}
        self.parents = {pk: parent for pk, _, parent in rows}


def _recompute(meeting: Meeting, rows: list[Evidence], places_index: Places) -> None:
    claims = [(row.claims, row.confidence) for row in rows]
    statuses = [c["status"] for c, _ in claims if "status" in c]
    kinds = [(c["kind"], conf) for c, conf in claims if "kind" in c]
    dates = [
        (_date_claim(c["date"]), c.get("status", ""), conf) for c, conf in claims if "date" in c
    ]
    places = [
        (places_index.ids[c["location"]["slug"]], c["location"]["note"], conf)
        for c, conf in claims
        if c.get("location") and c["location"].get("slug") in places_index.ids
    ]
    notes = [c["location"]["note"] for c, _ in claims if c.get("location")]
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
        chosen_place = merging.best_location(places, places_index.parents)
        if chosen_place:
            put("location_id", chosen_place[0])
            put("location_note", chosen_place[1][:300])
        elif notes:
            put("location_note", notes[0][:300])
    announced = [c["announced"] for c, _ in claims if "announced" in c]
    if announced and not _locked(meeting, "announced"):
        put("announced", merging.best_announced(announced))
    first = min((row.article.published_at or row.article.created_at for row in rows), default=None)
    put("first_reported_at", first)
    if not _locked(meeting, "participants"):
        _sync_participants(meeting, claims)
    if not _locked(meeting, "topics"):
        _sync_topics(meeting, claims)
    if not _locked(meeting, "title"):
        _retitle(meeting, put)
    if changed:
        meeting.save(update_fields=[*changed, "updated_at"])
    if meeting.review_state == ReviewState.CONFIRMED:
        _flag_conflicts(meeting, rows)


def _date_claim(claim: dict) -> merging.DateClaim:
    end = claim.get("end")
    return merging.DateClaim(
        date.fromisoformat(claim["start"]),
        date.fromisoformat(end) if end else None,
        claim["precision"],
    )


def _sync_participants(meeting: Meeting, claims) -> None:
    wanted: dict[str, dict] = {}
    for claim, _ in claims:
        for participant in claim.get("participants", []):
            wanted.setdefault(participant["slug"], participant)
    people = {p.slug: p for p in Person.objects.filter(slug__in=wanted)}
    current = {p.person.slug: p for p in meeting.participations.select_related("person")}
    meeting.participations.exclude(person__slug__in=wanted).delete()
    Participation.objects.bulk_create(
        [
            Participation(meeting=meeting, person=people[slug], role=p["role"], side=p["side"])
            for slug, p in wanted.items()
            if slug in people and slug not in current
        ],
        ignore_conflicts=True,
    )


def _sync_topics(meeting: Meeting, claims) -> None:
    wanted = {slug for claim, _ in claims for slug in claim.get("topics", [])}
    topics = Topic.objects.filter(slug__in=wanted)
    meeting.meeting_topics.exclude(topic__slug__in=wanted).delete()
    MeetingTopic.objects.bulk_create(
        [MeetingTopic(meeting=meeting, topic=topic) for topic in topics], ignore_conflicts=True
    )


def _retitle(meeting: Meeting, put) -> None:
    participations = sorted(
        meeting.participations.select_related("person"),
        key=lambda p: (SIDE_ORDER.get(p.side, len(SIDE_ORDER)), p.pk),
    )
    people = [(p.person.name, p.person.country) for p in participations]
    first_topic = meeting.meeting_topics.select_related("topic").order_by("id").first()
    location = Location.objects.filter(pk=meeting.location_id).first()
    put(
        "title",
        merging.meeting_title(
            people,
            meeting.kind,
            location.name if location else None,
            first_topic.topic.name if first_topic else None,
        ),
    )


def _flag_conflicts(meeting: Meeting, rows: list[Evidence]) -> None:
    """Mark evidence whose claims disagree with a curated meeting's values."""
    for row in rows:
        claims = row.claims
        conflicting = (
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
        if row.conflicting != conflicting:
            Evidence.objects.filter(pk=row.pk).update(conflicting=conflicting)


def _refresh_counts(meeting_ids: set[int]) -> None:
    evidence = Evidence.objects.filter(meeting=OuterRef("pk")).order_by()
    Meeting.objects.filter(pk__in=meeting_ids).update(
        evidence_count=Coalesce(
            Subquery(evidence.values("meeting").annotate(n=Count("id")).values("n")), 0
        ),
        article_count=Coalesce(
            Subquery(
                evidence.values("meeting").annotate(n=Count("article", distinct=True)).values("n")
            ),
            0,
        ),
    )
