"""Curators' decisions (diplomacy/services/curation.py), and re-extraction keeping them."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from diplomacy.choices import ReviewState
from diplomacy.models import CurationEvent, Evidence, Meeting, Person, PersonRedirect, Topic
from diplomacy.services import (
    CurationError,
    curation_undo,
    meeting_confirm,
    meeting_edit,
    meeting_merge,
    meeting_reject,
    meeting_split,
    meeting_unlock,
    person_merge,
)

pytestmark = pytest.mark.django_db


def reprocess():
    call_command("reprocess", all=True, sync=True, stdout=io.StringIO())


def slugs(meeting: Meeting) -> list[str]:
    return sorted(meeting.participants.values_list("slug", flat=True))


def test_it_edits_fields_locks_them_and_keeps_them_after_reprocessing(readouts, django_user_model):
    """Edited fields are locked, recorded with before and after, and survive re-extraction."""
    curator = django_user_model.objects.create(username="curator", is_staff=True)
    meeting = readouts["vienna"]
    blinken = Person.objects.get(slug="antony-blinken")
    wang = Person.objects.get(slug="wang-yi")
    meeting_edit(
        meeting,
        {"title": "Strategic talks in Vienna", "participants": [blinken, wang]},
        actor=curator,
        reason="Readout names the wrong adviser",
    )
    meeting.refresh_from_db()
    assert set(meeting.locked_fields) == {"title", "participants"}
    assert slugs(meeting) == ["antony-blinken", "wang-yi"]
    event = CurationEvent.objects.get(meeting=meeting)
    assert event.actor == curator and event.reason == "Readout names the wrong adviser"
    assert event.changes["participants"] == [
        ["jake-sullivan", "wang-yi"],
        ["antony-blinken", "wang-yi"],
    ]

    reprocess()

    meeting.refresh_from_db()
    assert meeting.title == "Strategic talks in Vienna"
    assert slugs(meeting) == ["antony-blinken", "wang-yi"]
    assert Meeting.objects.filter(location__slug="vienna").count() == 1


def test_it_unlocks_a_field_and_takes_it_from_the_evidence_again(readouts):
    """Unlocking gives the field back to extraction at once."""
    meeting = readouts["vienna"]
    meeting_edit(meeting, {"participants": [Person.objects.get(slug="antony-blinken")]})
    meeting_unlock(meeting, "participants")
    meeting.refresh_from_db()
    assert meeting.locked_fields == []
    assert slugs(meeting) == ["jake-sullivan", "wang-yi"]


def test_it_refuses_dates_out_of_order_or_contradicting_the_precision(readouts):
    """Bad dates are refused, naming the field, and nothing changes."""
    meeting = readouts["vienna"]
    with pytest.raises(CurationError) as refused:
        meeting_edit(meeting, {"start_date": date(2023, 5, 20), "end_date": date(2023, 5, 1)})
    assert refused.value.field == "end_date"
    with pytest.raises(CurationError) as refused:
        meeting_edit(
            meeting,
            {
                "start_date": date(2023, 5, 30),
                "end_date": date(2023, 6, 2),
                "date_precision": "month",
            },
        )
    assert refused.value.field == "date_precision"
    meeting.refresh_from_db()
    assert meeting.start_date == date(2023, 5, 11) and meeting.locked_fields == []


def test_it_keeps_a_rejected_meeting_rejected_after_reprocessing(readouts):
    """A rejected meeting is not recreated from the same sentences."""
    meeting = readouts["beijing"]
    meeting_reject(meeting, reason="Not a US–China meeting")
    reprocess()
    assert list(
        Meeting.objects.filter(location__slug="beijing").values_list("pk", "review_state")
    ) == [(meeting.pk, ReviewState.REJECTED)]
    assert Meeting.objects.visible().filter(location__slug="beijing").count() == 0


def test_it_keeps_a_confirmed_meeting_confirmed_after_reprocessing(readouts):
    """Confirmation survives re-extraction."""
    meeting_confirm(readouts["vienna"])
    reprocess()
    assert Meeting.objects.get(location__slug="vienna").review_state == ReviewState.CONFIRMED


def test_it_merges_a_duplicate_and_does_not_split_it_again(readouts):
    """Evidence and topics move to the survivor; the source stays as a stub; reprocessing keeps
    one meeting."""
    source, survivor = readouts["malta"], readouts["vienna"]
    meeting_merge(source, survivor)
    source.refresh_from_db()
    survivor.refresh_from_db()
    assert source.merged_into == survivor and source.review_state == ReviewState.REJECTED
    assert survivor.evidence_count == 3 and survivor.article_count == 2
    took = CurationEvent.objects.get(meeting=survivor).changes
    assert took["merged_from"] == f"{source.title} (id {source.pk})"
    assert CurationEvent.objects.get(meeting=source).changes["merged_into"] == [None, survivor.pk]
    assert list(survivor.topics.values_list("slug", flat=True)) == ["taiwan"]

    reprocess()

    sullivan = Meeting.objects.visible().filter(participants__slug="jake-sullivan")
    assert list(sullivan.values_list("pk", flat=True)) == [survivor.pk]
    assert Meeting.objects.get(pk=survivor.pk).evidence_count == 3
    assert Meeting.objects.get(pk=source.pk).merged_into_id == survivor.pk


def test_it_refuses_merging_into_itself_a_rejected_or_a_merged_meeting(readouts):
    """Merges that would lose data are refused and change nothing."""
    vienna, malta, beijing = readouts["vienna"], readouts["malta"], readouts["beijing"]
    with pytest.raises(CurationError):
        meeting_merge(vienna, vienna)
    meeting_reject(beijing)
    with pytest.raises(CurationError) as refused:
        meeting_merge(vienna, beijing)
    assert refused.value.status_code == 409
    meeting_merge(malta, vienna)
    with pytest.raises(CurationError):
        meeting_edit(Meeting.objects.get(pk=malta.pk), {"title": "Anything"})
    assert Evidence.objects.filter(meeting=beijing).count() == 2


def test_it_splits_evidence_off_and_does_not_merge_it_back(readouts):
    """Split sentences make a new meeting that reprocessing keeps apart."""
    malta = readouts["malta"]
    taiwan = Evidence.objects.get(meeting=malta, quote__contains="Taiwan")
    new = meeting_split(malta, [taiwan.pk])
    assert list(new.evidence.values_list("pk", flat=True)) == [taiwan.pk]
    assert list(new.topics.values_list("slug", flat=True)) == ["taiwan"]
    assert not malta.topics.exists()

    reprocess()

    assert list(Evidence.objects.filter(meeting=new).values_list("quote", flat=True)) == [
        "The two discussed Taiwan."
    ]
    assert Evidence.objects.filter(meeting=malta).count() == 1


def test_it_refuses_to_split_off_all_or_none_of_the_evidence(readouts):
    """A split must leave evidence on both sides."""
    malta = readouts["malta"]
    ids = list(malta.evidence.values_list("pk", flat=True))
    for chosen in ([], ids, [readouts["beijing"].evidence.first().pk]):
        with pytest.raises(CurationError) as refused:
            meeting_split(malta, chosen)
        assert refused.value.field == "evidence"
    assert Meeting.objects.count() == 3


def test_it_merges_a_person_and_keeps_the_merge_after_reprocessing(readouts):
    """Participations, mentions and names move; the old slug redirects; re-extraction finds
    the survivor by the merged name."""
    wang = Person.objects.get(slug="wang-yi")
    qin = Person.objects.get(slug="qin-gang")
    person_merge(qin, wang, reason="Test of the merge")
    assert PersonRedirect.objects.get(slug="qin-gang").person == wang
    beijing = Meeting.objects.get(pk=readouts["beijing"].pk)
    assert slugs(beijing) == ["antony-blinken", "wang-yi"]
    assert "Qin Gang" in Person.objects.get(pk=wang.pk).aliases

    reprocess()

    assert not Person.objects.filter(slug="qin-gang").exists()
    assert slugs(Meeting.objects.get(pk=beijing.pk)) == ["antony-blinken", "wang-yi"]
    assert CurationEvent.objects.get(person=wang).changes["merged"] == ["qin-gang", "wang-yi"]


def test_it_keeps_every_decision_through_one_reprocess(readouts):
    """Edit, reject, merge, split and undo at once, then reprocess: each decision holds."""
    vienna, malta, beijing = readouts["vienna"], readouts["malta"], readouts["beijing"]
    taiwan = Evidence.objects.get(meeting=malta, quote__contains="Taiwan")
    split_off = meeting_split(malta, [taiwan.pk])
    meeting_merge(malta, vienna)
    meeting_reject(beijing)
    meeting_edit(vienna, {"topics": [Topic.objects.get(slug="ukraine")]})
    title = Meeting.objects.get(pk=vienna.pk).title
    meeting_edit(vienna, {"title": "A title undone"})
    curation_undo(CurationEvent.objects.filter(meeting=vienna).first())
    meeting_confirm(split_off)
    curation_undo(CurationEvent.objects.filter(meeting=split_off).first())
    before = sorted(Evidence.objects.values_list("meeting_id", "article_id", "start"))

    reprocess()

    assert sorted(Evidence.objects.values_list("meeting_id", "article_id", "start")) == before
    assert list(Meeting.objects.get(pk=vienna.pk).topics.values_list("slug", flat=True)) == [
        "ukraine"
    ]
    assert Meeting.objects.get(pk=beijing.pk).review_state == ReviewState.REJECTED
    assert Meeting.objects.filter(pk=split_off.pk).exists()
    # The undone edit and confirmation stay undone: the title is extraction's, not locked.
    restored = Meeting.objects.get(pk=vienna.pk)
    assert restored.title == title and "title" not in restored.locked_fields
    assert Meeting.objects.get(pk=split_off.pk).review_state == ReviewState.AUTO
