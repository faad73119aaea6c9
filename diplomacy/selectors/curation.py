"""Reads behind curation: the history of curators' actions, the review queue, duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.expressions import RawSQL

from diplomacy.choices import PersonReviewState, ReviewState
from diplomacy.models import CurationEvent, Evidence, Meeting, Participation, Person, PersonRedirect

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


def review_queue(reason: str | None = None, limit: int = REVIEW_LIMIT) -> list[ReviewItem]:
    """Return meetings a curator should look at, newest first, each with its first reason.

    Rejected and merged meetings never appear; confirmed ones only for conflicting evidence.
    """
    reasons = [reason] if reason else list(REVIEW_REASONS)
    queries = _review_queries()
    seen: dict[int, ReviewItem] = {}
    for name in reasons:
        for found in queries[name].defer("search_vector").select_related("location")[:limit]:
            seen.setdefault(found.pk, ReviewItem(found, name))
    # Newest first, undated last.
    items = sorted(
        seen.values(),
        key=lambda item: (
            item.meeting.start_date is not None,
            item.meeting.start_date or 0,
            item.meeting.pk,
        ),
        reverse=True,
    )
    return items[:limit]


def review_count() -> int:
    """Return how many meetings wait in the review queue (the nav's badge), in one query."""
    waiting = Q()
    for query in _review_queries().values():
        waiting |= Q(pk__in=query.values("pk"))
    return Meeting.objects.filter(waiting).count()


def _review_queries() -> dict:
    """Return the meetings of each review reason, as querysets."""
    unreviewed = Meeting.objects.filter(review_state=ReviewState.AUTO)
    return {
        "conflict": Meeting.objects.visible().filter(
            Exists(Evidence.objects.filter(meeting=OuterRef("pk"), conflicting=True))
        ),
        "low_confidence": unreviewed.alias(best=Max("evidence__confidence")).filter(
            best__lt=LOW_CONFIDENCE
        ),
        "duplicate": unreviewed.filter(_has_duplicate()),
        "discovered_person": unreviewed.filter(
            Exists(
                Participation.objects.filter(
                    meeting=OuterRef("pk"), person__review_state=PersonReviewState.AUTO
                )
            )
        ),
        "single_report": unreviewed.alias(best=Max("evidence__confidence")).filter(
            article_count=1, best__lt=WEAK_REPORT
        ),
    }


def _has_duplicate():
    """A visible meeting sharing a participant within DUPLICATE_WINDOW days."""
    other = Participation.objects.filter(
        person_id=OuterRef("person_id"),
        meeting__start_date__gte=OuterRef("meeting__start_date") - DUPLICATE_WINDOW,
        meeting__start_date__lte=OuterRef("meeting__start_date") + DUPLICATE_WINDOW,
        meeting__merged_into__isnull=True,
    ).exclude(meeting_id=OuterRef("meeting_id"))
    other = other.exclude(meeting__review_state=ReviewState.REJECTED)
    mine = Participation.objects.filter(meeting=OuterRef("pk")).filter(Exists(other))
    return Q(Exists(mine))


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
