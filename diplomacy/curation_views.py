"""Curators' pages and forms: the controls on a meeting's page, person merge, the review queue.

Every control is a plain form posted to one of these views, which calls one service and sends
the curator back to the page with a message; htmx only adds the person search as you type.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from diplomacy import selectors, services
from diplomacy.choices import ReviewState
from diplomacy.forms import MeetingEditForm
from diplomacy.models import CurationEvent, Evidence, Location, Meeting, Person, Topic
from diplomacy.roles import can_curate
from diplomacy.services.curation import LOCKABLE, CurationError

REVIEW_PAGE_SIZE = 50
LOCK_LABELS = {
    "title": "Title",
    "kind": "Kind",
    "status": "Status",
    "dates": "Dates",
    "location": "Place",
    "announced": "Announced",
    "summary": "Summary",
    "participants": "Participants",
    "topics": "Topics",
}


def curator_only(view):
    """Send visitors to sign in; refuse signed-in users who may not curate with 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_curate(request.user):
            raise PermissionDenied("Only curators may do this.")
        return view(request, *args, **kwargs)

    return wrapper


def curation_context(meeting: Meeting, evidence_rows) -> dict:
    """Return what the curation controls on a meeting's page need."""
    locked = set(meeting.locked_fields)
    return {
        "edit_form": MeetingEditForm.for_meeting(meeting),
        "locks": [
            {"field": field, "label": LOCK_LABELS[field], "locked": field in locked}
            for field in LOCKABLE
        ],
        "duplicates": selectors.meeting_duplicates(meeting),
        "all_topics": Topic.objects.order_by("name").only("slug", "name"),
        "location_slugs": Location.objects.order_by("slug").values_list("slug", "name"),
        "split_rows": evidence_rows,
        "alias_sentences": evidence_rows,
    }


def review_count_for(user) -> str | None:
    """Return the review queue's length for a curator's nav, or None for anyone else."""
    if not can_curate(user):
        return None
    return queue_length(selectors.review_queue())


def queue_length(queue: selectors.ReviewQueue) -> str:
    """The queue's length as shown: "200+" when more meetings wait behind its last one."""
    return f"{len(queue)}+" if queue.more else str(len(queue))


def _meeting(slug: str) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("location"), slug=slug)


def _back(meeting: Meeting, anchor: str = ""):
    return redirect(f"{meeting.get_absolute_url()}{anchor}")


def _done(request, meeting: Meeting, action, message: str, anchor: str = ""):
    """Run a service; report its refusal, or its success, and go back to the meeting."""
    try:
        with transaction.atomic():
            action()
    except CurationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return _back(meeting, anchor)


def _reason(request) -> str:
    return request.POST.get("reason", "").strip()[:2000]


@require_POST
@curator_only
def meeting_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Save the fields a curator changed in the edit form, locking each one."""
    meeting = _meeting(slug)
    form = MeetingEditForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label or field}: {' '.join(errors)}")
        return _back(meeting, "#curate-edit")
    changes = form.changes(meeting)
    if not changes:
        messages.info(request, "Nothing changed.")
        return _back(meeting)
    return _done(
        request,
        meeting,
        lambda: services.meeting_edit(
            meeting, changes, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        f"Saved and locked: {', '.join(sorted(changes))}.",
    )


@require_POST
@curator_only
def meeting_participants(request: HttpRequest, slug: str) -> HttpResponse:
    """Add or remove one participant; the participant list is then locked."""
    meeting = _meeting(slug)
    people = list(meeting.participants.order_by("pk"))
    if slug_removed := request.POST.get("remove"):
        chosen = [person for person in people if person.slug != slug_removed]
        message = "Participant removed."
    else:
        wanted = (request.POST.get("person") or request.POST.get("add") or "").strip()
        person = Person.objects.filter(slug=wanted).first() or (
            Person.objects.filter(name__iexact=wanted).first() if wanted else None
        )
        if person is None:
            messages.error(request, f"Participants: no person {wanted!r}.")
            return _back(meeting, "#fact-participants")
        chosen = [*people, person]
        message = f"{person.name} added."
    return _done(
        request,
        meeting,
        lambda: services.meeting_edit(
            meeting, {"participants": chosen}, actor=request.user, reason=_reason(request)
        ),
        message,
        "#fact-participants",
    )


@require_POST
@curator_only
def meeting_topics(request: HttpRequest, slug: str) -> HttpResponse:
    """Add or remove one topic; the topic list is then locked."""
    meeting = _meeting(slug)
    topics = list(meeting.topics.all())
    if slug_removed := request.POST.get("remove"):
        chosen = [topic for topic in topics if topic.slug != slug_removed]
    else:
        topic = Topic.objects.filter(slug=request.POST.get("add", "")).first()
        if topic is None:
            messages.error(request, "Topics: choose a topic to add.")
            return _back(meeting, "#fact-topics")
        chosen = [*topics, topic]
    return _done(
        request,
        meeting,
        lambda: services.meeting_edit(
            meeting, {"topics": chosen}, actor=request.user, reason=_reason(request)
        ),
        "Topics saved.",
        "#fact-topics",
    )


@require_POST
@curator_only
def meeting_lock(request: HttpRequest, slug: str) -> HttpResponse:
    """Lock a field at its value, or unlock it and take it from the evidence again."""
    meeting = _meeting(slug)
    if field := request.POST.get("unlock"):
        return _done(
            request,
            meeting,
            lambda: services.meeting_unlock(
                meeting, field, actor=request.user, reason=_reason(request)
            ),
            f"{LOCK_LABELS.get(field, field)} unlocked: extraction sets it again.",
            "#curate",
        )
    field = request.POST.get("lock", "")
    return _done(
        request,
        meeting,
        lambda: services.meeting_lock(meeting, field, actor=request.user, reason=_reason(request)),
        f"{LOCK_LABELS.get(field, field)} locked.",
        "#curate",
    )


@require_POST
@curator_only
def meeting_review(request: HttpRequest, slug: str) -> HttpResponse:
    """Confirm, reject or reopen a meeting."""
    meeting = _meeting(slug)
    change = {
        ReviewState.CONFIRMED: (services.meeting_confirm, "Meeting confirmed."),
        ReviewState.REJECTED: (services.meeting_reject, "Meeting rejected: hidden from readers."),
        ReviewState.AUTO: (services.meeting_reopen, "Meeting reopened."),
    }.get(request.POST.get("state"))
    if change is None:
        raise Http404("No such review state.")
    service, message = change
    return _done(
        request,
        meeting,
        lambda: service(meeting, actor=request.user, reason=_reason(request)),
        message,
    )


@require_POST
@curator_only
def meeting_merge(request: HttpRequest, slug: str) -> HttpResponse:
    """Merge another meeting into this one (`source`), or this one into another (`into`)."""
    meeting = _meeting(slug)
    other_id = request.POST.get("source") or request.POST.get("into") or ""
    other = Meeting.objects.filter(pk=int(other_id)).first() if other_id.isdigit() else None
    if other is None:
        messages.error(request, "Merge: no meeting with that id.")
        return _back(meeting, "#curate-merge")
    source, into = (other, meeting) if request.POST.get("source") else (meeting, other)
    try:
        with transaction.atomic():
            services.meeting_merge(source, into, actor=request.user, reason=_reason(request))
    except CurationError as error:
        messages.error(request, f"Merge: {error.message}")
        return _back(meeting, "#curate-merge")
    messages.success(request, f"Merged “{source.title}” into this meeting.")
    return _back(into)


@require_POST
@curator_only
def meeting_split(request: HttpRequest, slug: str) -> HttpResponse:
    """Move the chosen sentences to a new meeting, and show it."""
    meeting = _meeting(slug)
    ids = [int(value) for value in request.POST.getlist("evidence") if value.isdigit()]
    try:
        with transaction.atomic():
            new = services.meeting_split(meeting, ids, actor=request.user, reason=_reason(request))
    except CurationError as error:
        messages.error(request, f"Split: {error.message}")
        return _back(meeting, "#curate-split")
    messages.success(request, f"{len(ids)} sentence(s) split off from “{meeting.title}”.")
    return _back(new)


@require_GET
@curator_only
def person_search(request: HttpRequest) -> HttpResponse:
    """People matching what a curator types, as choices for the add-participant form."""
    people = selectors.person_search(request.GET.get("q") or request.GET.get("add") or "")
    return render(request, "diplomacy/_person_choices.html", {"people": people})


@require_POST
@curator_only
def person_merge(request: HttpRequest, slug: str) -> HttpResponse:
    """Merge this person into another; the old page then redirects to the survivor."""
    source = get_object_or_404(Person, slug=slug)
    into = Person.objects.filter(slug=request.POST.get("into", "").strip()).first()
    if into is None:
        messages.error(request, "Merge: no person with that slug.")
        return redirect(source)
    try:
        with transaction.atomic():
            services.person_merge(source, into, actor=request.user, reason=_reason(request))
    except CurationError as error:
        messages.error(request, f"Merge: {error.message}")
        return redirect(source)
    messages.success(request, f"Merged {source.name} into {into.name}.")
    return redirect(into)


@require_POST
@curator_only
def meeting_undo(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    """Undo the meeting's newest curator action, or say why that is refused."""
    meeting = _meeting(slug)
    event = get_object_or_404(CurationEvent, pk=event_id, meeting=meeting)
    return _done(
        request,
        meeting,
        lambda: services.curation_undo(event, actor=request.user, reason=_reason(request)),
        f"Undone: {event.get_action_display().lower()}.",
        "#curation-history",
    )


@require_POST
@curator_only
def person_undo(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    """Undo the person's newest curator action (an alias, a confirmation)."""
    person = get_object_or_404(Person, slug=slug)
    event = get_object_or_404(CurationEvent, pk=event_id, person=person)
    try:
        with transaction.atomic():
            services.curation_undo(event, actor=request.user, reason=_reason(request))
    except CurationError as error:
        messages.error(request, f"Undo: {error.message}")
    else:
        messages.success(request, f"Undone: {event.get_action_display().lower()}.")
    return redirect(f"{person.get_absolute_url()}#curation-history")


@require_POST
@curator_only
def person_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """Confirm an official that extraction discovered."""
    person = get_object_or_404(Person, slug=slug)
    try:
        with transaction.atomic():
            services.person_confirm(person, actor=request.user, reason=_reason(request))
    except CurationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.name} confirmed.")
    return redirect(person)


@require_POST
@curator_only
def person_alias_add(request: HttpRequest) -> HttpResponse:
    """Add the words a curator picked in an evidence sentence as an alias of a person."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "/"
    back = back.split("#")[0] + "#curate-alias"
    wanted = (request.POST.get("person") or request.POST.get("add") or "").strip()
    person = Person.objects.filter(slug=wanted).first() or (
        Person.objects.filter(name__iexact=wanted).first() if wanted else None
    )
    evidence_id = request.POST.get("sentence", "")
    evidence = (
        Evidence.objects.only("pk", "quote").filter(pk=int(evidence_id)).first()
        if evidence_id.isdigit() and len(evidence_id) < 19
        else None
    )
    if person is None or evidence is None:
        missing = "person" if person is None else "sentence"
        messages.error(request, f"Alias: choose a {missing}.")
        return redirect(back)
    alias = request.POST.get("alias", "")
    try:
        with transaction.atomic():
            services.person_alias_add(
                person, alias, evidence, actor=request.user, reason=_reason(request)
            )
    except CurationError as error:
        messages.error(request, f"Alias: {error.message}")
        return redirect(back)
    messages.success(request, f"{person.name} is now also recognised as “{alias.strip()}”.")
    return redirect(back)


@require_GET
@curator_only
def review(request: HttpRequest) -> HttpResponse:
    """The review queue: meetings a curator should look at, with why, filterable by reason."""
    reason = request.GET.get("reason")
    if reason not in selectors.REVIEW_REASONS:
        reason = None
    items = selectors.review_queue(reason)
    page = Paginator(items, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "diplomacy/review.html",
        {
            "page_obj": page,
            "reason": reason,
            "reasons": selectors.REVIEW_REASONS.items(),
            "queue": items,
            "count": queue_length(items),
        },
    )


def history_rows(events, *, curator: bool = False) -> list[dict]:
    """Shape curation events for the History section: each change as "before → after".

    For a curator, the newest event says whether it can be undone, or why not.
    """
    rows = [
        {
            "id": event.pk,
            "action": event.get_action_display(),
            "actor": event.actor.get_username() if event.actor else "someone",
            "at": event.created_at,
            "changes": [(field, _change_text(change)) for field, change in event.changes.items()],
            "reason": event.reason,
        }
        for event in events
    ]
    if curator and events:
        refusal = services.undo_refusal(events[0])
        rows[0]["undo"] = {"refusal": refusal} if refusal else {"offered": True}
    return rows


def _change_text(change) -> str:
    if isinstance(change, list) and len(change) == 2 and not isinstance(change[0], int | float):
        return f"{_value_text(change[0])} → {_value_text(change[1])}"
    return _value_text(change)


def _value_text(value) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
