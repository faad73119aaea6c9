"""The curation API: PATCH, merge, split, history, the review queue and person merge."""

from datetime import date

import pytest
from django.urls import reverse

from diplomacy.choices import ReviewState
from diplomacy.models import CurationEvent, Evidence, Meeting, Person
from diplomacy.roles import CURATORS
from tests.factories import EvidenceFactory, MeetingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_client(api_client):
    api_client.force_authenticate(UserFactory(username="curator", roles=[CURATORS]))
    return api_client


def detail_url(meeting) -> str:
    return reverse("api:meeting-detail", args=[meeting.pk])


def test_it_edits_a_meeting_and_reports_the_locks(readouts, curator_client):
    """PATCH sets fields by slug, locks them and answers with the detail."""
    meeting = readouts["vienna"]
    response = curator_client.patch(
        detail_url(meeting),
        {"participants": ["antony-blinken", "wang-yi"], "location": "beijing", "reason": "typo"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(p["slug"] for p in body["participants"]) == ["antony-blinken", "wang-yi"]
    assert body["location"]["slug"] == "beijing"
    assert body["locked_fields"] == ["location", "participants"]
    assert response.headers["ETag"]


def test_it_refuses_analysts_and_anonymous_clients_with_403(readouts, api_client):
    """Only curators write; analysts and anonymous clients get 403 and nothing changes."""
    meeting = readouts["vienna"]
    for user in (None, UserFactory(username="analyst")):
        api_client.force_authenticate(user)
        for method, url, body in (
            ("patch", detail_url(meeting), {"title": "X"}),
            ("post", reverse("api:meeting-merge", args=[meeting.pk]), {"into": 1}),
            ("post", reverse("api:meeting-split", args=[meeting.pk]), {"evidence": [1]}),
            ("get", reverse("api:meeting-history", args=[meeting.pk]), None),
            ("get", reverse("api:review-list"), None),
            ("post", reverse("api:person-merge", args=["qin-gang"]), {"into": "wang-yi"}),
        ):
            response = getattr(api_client, method)(url, body, format="json")
            assert response.status_code == 403, (method, url, response.content)
    assert Meeting.objects.get(pk=meeting.pk).title != "X"


def test_it_answers_412_to_a_stale_if_match(readouts, curator_client):
    """A write based on an old ETag is refused; the current one is accepted."""
    meeting = readouts["vienna"]
    stale = curator_client.get(detail_url(meeting)).headers["ETag"]
    curator_client.patch(detail_url(meeting), {"title": "First edit"}, format="json")
    refused = curator_client.patch(
        detail_url(meeting), {"title": "Second edit"}, format="json", HTTP_IF_MATCH=stale
    )
    assert refused.status_code == 412
    assert Meeting.objects.get(pk=meeting.pk).title == "First edit"
    current = curator_client.get(detail_url(meeting)).headers["ETag"]
    accepted = curator_client.patch(
        detail_url(meeting), {"title": "Second edit"}, format="json", HTTP_IF_MATCH=current
    )
    assert accepted.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"participants": ["nobody-at-all"]}, "participants"),
        ({"topics": ["no-such-topic"]}, "topics"),
        ({"location": "atlantis"}, "location"),
        ({"start_date": "2023-05-20", "end_date": "2023-05-01"}, "end_date"),
        ({"start_date": None, "date_precision": "day"}, "date_precision"),
        ({"kind": "picnic"}, "kind"),
        ({"locked_fields": ["colour"]}, "locked_fields"),
        ({"evidence_count": 3}, "evidence_count"),
    ],
)
def test_it_names_the_field_of_a_bad_edit(readouts, curator_client, body, field):
    """Bad input answers 400 with the field in `errors`, and nothing changes."""
    meeting = readouts["vienna"]
    response = curator_client.patch(detail_url(meeting), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Meeting.objects.get(pk=meeting.pk).locked_fields == []


def test_it_confirms_and_rejects_through_review_state(readouts, curator_client, api_client):
    """A rejected meeting is 404 to readers and still found by curators."""
    meeting = readouts["beijing"]
    response = curator_client.patch(
        detail_url(meeting), {"review_state": "rejected"}, format="json"
    )
    assert response.json()["review_state"] == ReviewState.REJECTED
    assert curator_client.get(detail_url(meeting)).status_code == 200
    api_client.force_authenticate(UserFactory(username="analyst"))
    assert api_client.get(detail_url(meeting)).status_code == 404


def test_it_merges_and_redirects_the_old_id(readouts, curator_client):
    """Merge answers 200 with the survivor; the old id then answers 301 to it."""
    source, into = readouts["malta"], readouts["vienna"]
    response = curator_client.post(
        reverse("api:meeting-merge", args=[source.pk]), {"into": into.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == into.pk and response.json()["evidence_count"] == 3
    moved = curator_client.get(detail_url(source))
    assert moved.status_code == 301
    assert moved.headers["Location"] == detail_url(into)
    page = curator_client.get(source.get_absolute_url())
    assert page.status_code == 301 and page.headers["Location"] == into.get_absolute_url()
    again = curator_client.patch(detail_url(source), {"title": "Late"}, format="json")
    assert again.status_code == 409


def test_it_refuses_bad_merges(readouts, curator_client):
    """Into itself is 400, into a rejected meeting 409, an unknown id 400 naming `into`."""
    vienna, beijing = readouts["vienna"], readouts["beijing"]
    url = reverse("api:meeting-merge", args=[vienna.pk])
    assert curator_client.post(url, {"into": vienna.pk}, format="json").status_code == 400
    assert "into" in curator_client.post(url, {"into": 999999}, format="json").json()["errors"]
    curator_client.patch(detail_url(beijing), {"review_state": "rejected"}, format="json")
    assert curator_client.post(url, {"into": beijing.pk}, format="json").status_code == 409
    assert Meeting.objects.get(pk=vienna.pk).merged_into is None


def test_it_splits_evidence_off_into_a_new_meeting(readouts, curator_client):
    """Split answers 201 with the new meeting; evidence items carry their ids."""
    malta = readouts["malta"]
    evidence = curator_client.get(detail_url(malta)).json()["evidence"]
    taiwan = [item["id"] for item in evidence if "Taiwan" in item["quote"]]
    response = curator_client.post(
        reverse("api:meeting-split", args=[malta.pk]), {"evidence": taiwan}, format="json"
    )
    assert response.status_code == 201, response.content
    assert [item["id"] for item in response.json()["evidence"]] == taiwan
    everything = [item["id"] for item in evidence]
    refused = curator_client.post(
        reverse("api:meeting-split", args=[malta.pk]), {"evidence": []}, format="json"
    )
    assert refused.status_code == 400 and "evidence" in refused.json()["errors"]
    assert Evidence.objects.filter(pk__in=everything, meeting=malta).count() == 1


def test_it_lists_a_meetings_history(readouts, curator_client, django_assert_num_queries):
    """History lists who did what, with before and after values and the reason."""
    meeting = readouts["vienna"]
    curator_client.patch(
        detail_url(meeting), {"title": "Vienna talks", "reason": "clearer"}, format="json"
    )
    curator_client.patch(detail_url(meeting), {"review_state": "confirmed"}, format="json")
    response = curator_client.get(reverse("api:meeting-history", args=[meeting.pk]))
    events = response.json()["results"]
    assert [e["action"] for e in events] == ["confirm", "edit"]
    assert events[1]["actor"] == "curator" and events[1]["reason"] == "clearer"
    assert events[1]["changes"]["title"][1] == "Vienna talks"


@pytest.mark.parametrize("rows", [3, 30])
def test_it_reads_a_history_in_few_queries(
    readouts, curator_client, django_assert_num_queries, rows
):
    """The history costs the same few queries at 3 and 30 events."""
    meeting = readouts["vienna"]
    user = UserFactory(username="other", roles=[CURATORS])
    CurationEvent.objects.bulk_create(
        [CurationEvent(action="edit", actor=user, meeting=meeting) for _ in range(rows)]
    )
    # the user's and their groups' permissions (may they curate?), the data revision (ETag),
    # the meeting, the count, the page of events with their actors
    with django_assert_num_queries(6):
        response = curator_client.get(reverse("api:meeting-history", args=[meeting.pk]))
    assert len(response.json()["results"]) == rows


def test_it_lists_the_review_queue_with_reasons(readouts, curator_client):
    """The queue gives each meeting's reason and filters by it."""
    response = curator_client.get(reverse("api:review-list"))
    assert response.status_code == 200
    reasons = {item["id"]: item["reason"] for item in response.json()["results"]}
    assert reasons[readouts["malta"].pk] == "duplicate"
    only = curator_client.get(reverse("api:review-list"), {"reason": "duplicate"}).json()
    assert {item["reason"] for item in only["results"]} == {"duplicate"}
    bad = curator_client.get(reverse("api:review-list"), {"reason": "boredom"})
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]


@pytest.mark.parametrize("query", [{}, {"reason": "low_confidence"}])
def test_it_lists_the_review_queue_most_reported_first(curator_client, query):
    """Meetings with 1, 5 and 3 reports come 5, 3, 1 though the one report is newest."""
    for reports, day in ((1, 7), (5, 1), (3, 4)):
        meeting = MeetingFactory(start_date=date(2024, 6, day), article_count=reports)
        EvidenceFactory(meeting=meeting, confidence=0.3)
    results = curator_client.get(reverse("api:review-list"), query).json()["results"]
    assert [item["article_count"] for item in results] == [5, 3, 1]
    assert [item["start_date"] for item in results] == ["2024-06-01", "2024-06-04", "2024-06-07"]


def test_it_merges_a_person_and_redirects_the_old_slug(readouts, curator_client):
    """Person merge answers with the survivor; the old slug answers 301."""
    response = curator_client.post(
        reverse("api:person-merge", args=["qin-gang"]), {"into": "wang-yi"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["slug"] == "wang-yi"
    moved = curator_client.get(reverse("api:person-detail", args=["qin-gang"]))
    assert moved.status_code == 301
    assert moved.headers["Location"] == reverse("api:person-detail", args=["wang-yi"])
    assert not Person.objects.filter(slug="qin-gang").exists()
    itself = curator_client.post(
        reverse("api:person-merge", args=["wang-yi"]), {"into": "wang-yi"}, format="json"
    )
    assert itself.status_code == 400
