"""Undoing a curator's last action, adding an alias from a sentence, confirming a discovered
official (diplomacy/services/undo.py, diplomacy/services/people.py), and reprocessing after."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from diplomacy.choices import CurationAction, ReviewState
from diplomacy.gazetteer import gazetteer_current
from diplomacy.models import CurationEvent, Evidence, Meeting, Person
from diplomacy.selectors import review_queue
from diplomacy.services import (
    CurationError,
    curation_undo,
    meeting_confirm,
    meeting_edit,
    meeting_lock,
    meeting_merge,
    meeting_reject,
    meeting_split,
    meeting_unlock,
    person_alias_add,
    person_confirm,
    person_merge,
    undo_refusal,
)
from tests.diplomacy.conftest import ingest

pytestmark = pytest.mark.django_db

# "Tony B." names Blinken, but the gazetteer does not know that spelling.
GENEVA = "Jake Sullivan and Tony B. met Foreign Minister Wang Yi in Geneva on Friday."


def reprocess():
    call_command("reprocess", all=True, sync=True, stdout=io.StringIO())


def slugs(meeting: Meeting) -> list[str]:
    return sorted(meeting.participants.values_list("slug", flat=True))


def newest(**subject) -> CurationEvent:
    return CurationEvent.objects.filter(**subject).first()


def test_it_undoes_an_edit_restoring_values_and_locks(readouts, django_user_model):
    """The edited fields get their values back, the locks the edit set are released, and the
    undo is itself recorded, pointing at the action it undid."""
    curator = django_user_model.objects.create(username="curator", is_staff=True)
    meeting = readouts["vienna"]
    title = meeting.title
    meeting_edit(
        meeting,
        {"title": "Wrong title", "participants": [Person.objects.get(slug="antony-blinken")]},
        actor=curator,
    )
    edit = newest(meeting=meeting)
    assert edit.changes["locked"] == [[], ["participants", "title"]]

    undo = curation_undo(edit, actor=curator, reason="Mistaken edit")

    meeting.refresh_from_db()
    assert meeting.title == title
    assert slugs(meeting) == ["jake-sullivan", "wang-yi"]
    assert meeting.locked_fields == []
    assert undo.action == CurationAction.UNDO and undo.undoes == edit
    assert undo.actor == curator and undo.reason == "Mistaken edit"
    assert undo.changes["title"] == ["Wrong title", title]


def test_it_undoes_lock_unlock_confirm_and_reject(readouts):
    """Each of these comes back to the state before it, newest first."""
    meeting = readouts["vienna"]
    meeting_lock(meeting, "kind")
    curation_undo(newest(meeting=meeting))
    meeting.refresh_from_db()
    assert meeting.locked_fields == []

    meeting_edit(meeting, {"participants": [Person.objects.get(slug="antony-blinken")]})
    meeting_unlock(meeting, "participants")
    assert slugs(meeting) == ["jake-sullivan", "wang-yi"]
    curation_undo(newest(meeting=meeting))
    meeting.refresh_from_db()
    assert slugs(meeting) == ["antony-blinken"] and meeting.locked_fields == ["participants"]

    beijing = readouts["beijing"]
    meeting_confirm(beijing)
    curation_undo(newest(meeting=beijing))
    assert Meeting.objects.get(pk=beijing.pk).review_state == ReviewState.AUTO
    meeting_reject(beijing)
    curation_undo(newest(meeting=beijing))
    assert Meeting.objects.visible().filter(pk=beijing.pk).exists()


def test_it_refuses_to_undo_an_older_action_or_an_undo(readouts):
    """Only the newest action can be undone; nothing changes when refused."""
    meeting = readouts["vienna"]
    meeting_edit(meeting, {"title": "First"})
    first = newest(meeting=meeting)
    meeting_edit(meeting, {"title": "Second"})
    with pytest.raises(CurationError) as refused:
        curation_undo(first)
    assert refused.value.status_code == 409 and "newer action" in refused.value.message
    undo = curation_undo(newest(meeting=meeting))
    assert Meeting.objects.get(pk=meeting.pk).title == "First"
    with pytest.raises(CurationError) as refused:
        curation_undo(undo)
    assert refused.value.status_code == 409
    assert Meeting.objects.get(pk=meeting.pk).title == "First"


def test_it_refuses_to_undo_when_newer_evidence_touches_the_fields(readouts):
    """A report arriving after the action about the same field blocks its undo."""
    meeting = readouts["vienna"]
    meeting_edit(meeting, {"participants": [Person.objects.get(slug="antony-blinken")]})
    edit = newest(meeting=meeting)
    Evidence.objects.filter(meeting=meeting).update(created_at=edit.created_at.replace(year=2099))
    refusal = undo_refusal(edit)
    assert refusal and "New evidence about participants" in refusal
    with pytest.raises(CurationError):
        curation_undo(edit)
    assert slugs(Meeting.objects.get(pk=meeting.pk)) == ["antony-blinken"]


def test_it_refuses_to_undo_merges_and_splits_and_says_why(readouts):
    """Merges and splits are not undone; the refusal explains what to do instead."""
    malta, vienna = readouts["malta"], readouts["vienna"]
    taiwan = Evidence.objects.get(meeting=malta, quote__contains="Taiwan")
    new = meeting_split(malta, [taiwan.pk])
    assert "merge the meeting" in undo_refusal(newest(meeting=new))
    meeting_merge(malta, vienna)
    merge = newest(meeting=vienna)
    assert "cannot be undone" in undo_refusal(merge)
    with pytest.raises(CurationError) as refused:
        curation_undo(merge)
    assert refused.value.status_code == 409
    assert Meeting.objects.get(pk=malta.pk).merged_into_id == vienna.pk


def test_it_refuses_to_undo_a_person_merge(readouts):
    """The merged person is gone; undo is not offered."""
    person_merge(Person.objects.get(slug="qin-gang"), Person.objects.get(slug="wang-yi"))
    assert "cannot be undone" in undo_refusal(newest(person__slug="wang-yi"))


def test_it_adds_an_alias_from_a_sentence_and_extraction_finds_it(readouts):
    """The alias, checked against the sentence, is recorded and recognised in new texts."""
    article = ingest(GENEVA, date(2023, 9, 16))
    evidence = Evidence.objects.get(article=article)
    assert slugs(evidence.meeting) == ["jake-sullivan", "wang-yi"]
    blinken = Person.objects.get(slug="antony-blinken")
    gazetteer_current()  # cached before the alias

    person_alias_add(blinken, " Tony  B. ", evidence, reason="Nickname in a readout")

    assert Person.objects.get(pk=blinken.pk).aliases[-1] == "Tony B."
    event = newest(person=blinken)
    assert event.action == CurationAction.ALIAS and event.changes["evidence"] == evidence.pk
    assert any("Tony B." in person.aliases for person in gazetteer_current().people)
    reprocess()
    geneva = Evidence.objects.get(article=article).meeting
    assert slugs(geneva) == ["antony-blinken", "jake-sullivan", "wang-yi"]


def test_it_refuses_an_alias_absent_from_the_sentence_or_already_known(readouts):
    """The alias must occur in the sentence and be new; nothing changes when refused."""
    blinken = Person.objects.get(slug="antony-blinken")
    evidence = Evidence.objects.filter(meeting=readouts["beijing"]).first()
    for alias in ("Tony B.", "", "  ", "x", "Antony Blinken", "A" * 300):
        with pytest.raises(CurationError) as refused:
            person_alias_add(blinken, alias, evidence)
        assert refused.value.field == "alias"
    assert Person.objects.get(pk=blinken.pk).aliases == blinken.aliases
    assert not CurationEvent.objects.exists()


def test_it_undoes_an_alias_and_extraction_forgets_it(readouts):
    """Undoing an alias takes the name away again."""
    article = ingest(GENEVA, date(2023, 9, 16))
    blinken = Person.objects.get(slug="antony-blinken")
    person_alias_add(blinken, "Tony B.", Evidence.objects.get(article=article))
    curation_undo(newest(person=blinken))
    assert "Tony B." not in Person.objects.get(pk=blinken.pk).aliases
    assert not any("Tony B." in person.aliases for person in gazetteer_current().people)


def test_it_confirms_a_discovered_official_and_drops_them_from_the_queue(readouts):
    """A confirmed person no longer puts their meetings in the queue as discovered."""
    qin = Person.objects.get(slug="qin-gang")
    Person.objects.filter(pk=qin.pk).update(review_state="auto")
    beijing = readouts["beijing"]
    discovered = [item.meeting.pk for item in review_queue("discovered_person")]
    assert beijing.pk in discovered

    person_confirm(Person.objects.get(pk=qin.pk), reason="Checked the name")

    assert Person.objects.get(pk=qin.pk).review_state == "confirmed"
    assert beijing.pk not in [item.meeting.pk for item in review_queue("discovered_person")]
    assert newest(person=qin).action == CurationAction.PERSON_CONFIRM
    with pytest.raises(CurationError) as refused:
        person_confirm(Person.objects.get(pk=qin.pk))
    assert refused.value.status_code == 409
    curation_undo(newest(person=qin))
    assert Person.objects.get(pk=qin.pk).review_state == "auto"


def test_it_rebuilds_the_gazetteer_when_another_process_moves_the_generation(readouts):
    """A worker's cached gazetteer is rebuilt at once when a curator's change, made in another
    process, moved the generation on; not only after its cache expires."""
    gazetteer_current()
    Person.objects.filter(slug="antony-blinken").update(aliases=["Secretary B."])
    assert not any("Secretary B." in p.aliases for p in gazetteer_current().people)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('diplomacy_gazetteer_revision')")
    assert any("Secretary B." in p.aliases for p in gazetteer_current().people)
