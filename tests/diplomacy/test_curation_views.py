"""Curators' controls on the pages: meeting page forms, person merge, the review queue."""

import re
from datetime import date

import pytest
from django.core.cache import cache
from django.urls import reverse

from diplomacy.choices import ReviewState
from diplomacy.models import Evidence, Meeting, Person
from diplomacy.roles import CURATORS
from tests.factories import EvidenceFactory, MeetingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(client):
    client.force_login(UserFactory(username="curator", roles=[CURATORS]))
    return client


def page(meeting) -> str:
    return reverse("diplomacy:meeting", args=[meeting.slug])


def test_it_shows_curation_controls_to_curators_only(readouts, client):
    """Analysts read the page without controls; curators get them and the review count."""
    meeting = readouts["vienna"]
    client.force_login(UserFactory(username="analyst"))
    html = client.get(page(meeting)).content.decode()
    assert 'id="curate"' not in html and "Review <span" not in html
    client.force_login(UserFactory(username="curator", roles=[CURATORS]))
    html = client.get(page(meeting)).content.decode()
    assert 'id="curate"' in html and 'data-testid="review-count"' in html


def test_it_refuses_analysts_and_sends_visitors_to_sign_in(readouts, client):
    """Curation forms answer 403 to analysts and redirect anonymous visitors to sign in."""
    url = reverse("diplomacy:meeting-review", args=[readouts["vienna"].slug])
    assert client.post(url, {"state": "rejected"}).status_code == 302
    client.force_login(UserFactory(username="analyst"))
    assert client.post(url, {"state": "rejected"}).status_code == 403
    assert client.get(reverse("diplomacy:review")).status_code == 403
    assert Meeting.objects.get(pk=readouts["vienna"].pk).review_state == ReviewState.AUTO


def test_it_removes_and_adds_a_participant_and_shows_the_history(readouts, curator):
    """The participant forms lock the list and the history section records the change."""
    meeting = readouts["vienna"]
    url = reverse("diplomacy:meeting-participants", args=[meeting.slug])
    curator.post(url, {"remove": "jake-sullivan", "reason": "wrong adviser"})
    curator.post(url, {"person": "antony-blinken"})
    meeting.refresh_from_db()
    assert sorted(meeting.participants.values_list("slug", flat=True)) == [
        "antony-blinken",
        "wang-yi",
    ]
    assert meeting.locked_fields == ["participants"]
    html = curator.get(page(meeting)).content.decode()
    assert "wrong adviser" in html and "jake-sullivan, wang-yi → wang-yi" in html


def test_it_searches_people_as_a_curator_types(readouts, curator):
    """The search returns buttons that add the person."""
    html = curator.get(reverse("diplomacy:person-search"), {"add": "blink"}).content.decode()
    assert 'value="antony-blinken"' in html


def test_it_locks_and_unlocks_a_field(readouts, curator):
    """Lock keeps a field; unlock returns it to extraction."""
    meeting = readouts["vienna"]
    url = reverse("diplomacy:meeting-lock", args=[meeting.slug])
    curator.post(url, {"lock": "location"})
    assert Meeting.objects.get(pk=meeting.pk).locked_fields == ["location"]
    curator.post(url, {"unlock": "location"})
    assert Meeting.objects.get(pk=meeting.pk).locked_fields == []


def test_it_rejects_a_meeting_and_hides_it_from_readers(readouts, curator, client):
    """A rejected meeting has a banner for curators and is gone for everyone else."""
    meeting = readouts["beijing"]
    curator.post(reverse("diplomacy:meeting-review", args=[meeting.slug]), {"state": "rejected"})
    html = curator.get(page(meeting)).content.decode()
    assert "banner-rejected" in html
    assert meeting.title not in curator.get(reverse("diplomacy:timeline")).content.decode()
    client.logout()
    assert client.get(page(meeting)).status_code == 404


def test_it_edits_only_the_fields_changed(readouts, curator):
    """The edit form locks what changed and reports bad dates without saving."""
    meeting = readouts["vienna"]
    form = {
        "title": "Vienna strategic talks",
        "kind": meeting.kind,
        "status": meeting.status,
        "start_date": "2023-05-11",
        "end_date": "2023-05-11",
        "date_precision": "day",
        "location": "vienna",
        "announced": "unknown",
        "summary": "",
    }
    curator.post(reverse("diplomacy:meeting-edit", args=[meeting.slug]), form)
    assert Meeting.objects.get(pk=meeting.pk).locked_fields == ["title"]
    response = curator.post(
        reverse("diplomacy:meeting-edit", args=[meeting.slug]),
        {**form, "end_date": "2023-05-01"},
        follow=True,
    )
    assert "end date is before the start date" in response.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).end_date == date(2023, 5, 11)


def test_it_merges_a_suggested_duplicate_and_redirects_its_page(readouts, curator):
    """The duplicate is suggested, merged with one button, and its page answers 301."""
    vienna, malta = readouts["vienna"], readouts["malta"]
    assert f'data-testid="merge-{malta.pk}"' in curator.get(page(vienna)).content.decode()
    response = curator.post(
        reverse("diplomacy:meeting-merge", args=[vienna.slug]), {"source": malta.pk}
    )
    assert response.headers["Location"] == page(vienna)
    moved = curator.get(page(malta))
    assert moved.status_code == 301 and moved.headers["Location"] == page(vienna)


def test_it_splits_chosen_sentences_into_a_new_meeting(readouts, curator):
    """Ticked sentences move to a new meeting, which the curator is shown."""
    malta = readouts["malta"]
    taiwan = Evidence.objects.get(meeting=malta, quote__contains="Taiwan")
    response = curator.post(
        reverse("diplomacy:meeting-split", args=[malta.slug]), {"evidence": [taiwan.pk]}
    )
    new = Evidence.objects.get(pk=taiwan.pk).meeting
    assert new != malta and response.headers["Location"] == page(new)


def test_it_merges_a_person_from_their_page(readouts, curator):
    """The person page's merge form moves the person and the old page redirects."""
    response = curator.post(
        reverse("diplomacy:person-merge", args=["qin-gang"]), {"into": "wang-yi"}
    )
    assert response.headers["Location"] == reverse("diplomacy:person", args=["wang-yi"])
    moved = curator.get(reverse("diplomacy:person", args=["qin-gang"]))
    assert moved.status_code == 301
    html = curator.get(reverse("diplomacy:person", args=["wang-yi"])).content.decode()
    assert "Person merged" in html and "qin-gang → wang-yi" in html
    assert not Person.objects.filter(slug="qin-gang").exists()


def test_it_lists_the_review_queue_with_reasons_and_filters(readouts, curator):
    """The queue shows each meeting's reason and narrows to one reason."""
    html = curator.get(reverse("diplomacy:review")).content.decode()
    assert readouts["malta"].title in html and "Possible duplicate" in html
    assert 'src="/static/js/review.js"' in html
    only = curator.get(reverse("diplomacy:review"), {"reason": "low_confidence"}).content.decode()
    assert readouts["malta"].title not in only


def test_it_shows_the_queues_length_with_a_plus_when_more_wait(curator, monkeypatch):
    """The nav and the page give the queue's length, "2+" once more wait than it lists."""
    monkeypatch.setattr("diplomacy.selectors.curation.REVIEW_LIMIT", 2)
    for day in (1, 2):
        EvidenceFactory(meeting=MeetingFactory(start_date=date(2024, 1, day)), confidence=0.3)

    def lengths() -> tuple[list[str], list[str]]:
        html = curator.get(reverse("diplomacy:review")).content.decode()
        nav = re.findall(r'data-testid="review-count">([^<]+)<', html)
        return nav, re.findall(r'<h1>Review queue <span class="muted">\(([^)]+)\)', html)

    assert lengths() == (["2"], ["2"])
    assert "more wait" not in curator.get(reverse("diplomacy:review")).content.decode()
    EvidenceFactory(meeting=MeetingFactory(start_date=date(2024, 1, 3)), confidence=0.3)
    assert lengths() == (["2+"], ["2+"])
    html = curator.get(reverse("diplomacy:review")).content.decode()
    assert "The first 2 are listed; more wait behind them." in html


@pytest.mark.parametrize("query", [{}, {"reason": "low_confidence"}])
def test_it_lists_the_review_queue_most_reported_first(curator, query):
    """Meetings with 1, 5 and 3 reports are listed 5, 3, 1 though the one report is newest,
    each row with its report count."""
    for reports, day in ((1, 7), (5, 1), (3, 4)):
        meeting = MeetingFactory(
            title=f"Reported {reports} times", start_date=date(2024, 6, day), article_count=reports
        )
        EvidenceFactory(meeting=meeting, confidence=0.3)
    html = curator.get(reverse("diplomacy:review"), query).content.decode()
    assert re.findall(r"Reported (\d) times", html) == ["5", "3", "1"]
    counts = re.findall(r'data-testid="report-count">(\d+ reports?)<', html)
    assert counts == ["5 reports", "3 reports", "1 report"]


@pytest.mark.parametrize("rows", [3, 30])
def test_it_builds_the_review_queue_in_a_bounded_number_of_queries(
    curator, django_assert_num_queries, rows
):
    """The queue costs the same queries at 3 and 30 meetings."""
    for day in range(rows):
        EvidenceFactory(
            meeting=MeetingFactory(start_date=date(2024, 1, 1 + day % 28)), confidence=0.3
        )
    curator.get(reverse("diplomacy:review"))  # warm the session and permission caches
    cache.clear()
    # session, user, the user's and their groups' permissions; the data revision, read once
    # for the queue's order and the nav's count (the queue's own length); one query per
    # reason (five); the page's meetings
    with django_assert_num_queries(11):
        response = curator.get(reverse("diplomacy:review"))
    assert response.content.decode().count("data-review-item") == rows
    # Again, with nothing changed: the queue's order comes from the cache.
    with django_assert_num_queries(6):
        again = curator.get(reverse("diplomacy:review"))
    links = re.findall(r'href="([^"]+)" data-review-link', response.content.decode())
    assert re.findall(r'href="([^"]+)" data-review-link', again.content.decode()) == links


@pytest.mark.parametrize("rows", [3, 30])
def test_it_builds_a_curators_meeting_page_in_a_bounded_number_of_queries(
    curator, django_assert_num_queries, rows
):
    """Curation controls cost the same queries at 3 and 30 sentences."""
    meeting = MeetingFactory(start_date=date(2024, 3, 1))
    for _ in range(rows):
        EvidenceFactory(meeting=meeting)
    url = page(meeting)
    curator.get(url)  # warm the session, permission and review-count caches
    # session, user, the user's and their groups' permissions; the meeting with its place,
    # participants, topics; the evidence ids and rows; related meetings; duplicates; topics
    # and places for the forms; the history; the meeting's channels; the data revision keying
    # the nav's count
    with django_assert_num_queries(15):
        response = curator.get(url)
    assert response.content.decode().count('name="evidence"') == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_it_serves_the_review_queue_api_in_a_bounded_number_of_queries(
    api_client, django_assert_num_queries, rows
):
    """The review API costs the same queries at 3 and 30 meetings."""
    api_client.force_authenticate(UserFactory(username="curator", roles=[CURATORS]))
    for day in range(rows):
        EvidenceFactory(
            meeting=MeetingFactory(start_date=date(2024, 1, 1 + day % 28)), confidence=0.3
        )
    # the user's and their groups' permissions, the data revision keying the queue's order,
    # one query per reason (five), the page's meetings
    with django_assert_num_queries(9):
        response = api_client.get(reverse("api:review-list"))
    assert response.json()["count"] == rows


def test_it_adds_and_removes_a_topic(readouts, curator):
    """The topic forms change the topics and lock them; an empty choice adds nothing."""
    meeting = readouts["vienna"]
    url = reverse("diplomacy:meeting-topics", args=[meeting.slug])
    curator.post(url, {"add": ""})
    assert not meeting.topics.exists() and Meeting.objects.get(pk=meeting.pk).locked_fields == []
    curator.post(url, {"add": "ukraine"})
    assert list(meeting.topics.values_list("slug", flat=True)) == ["ukraine"]
    curator.post(url, {"remove": "ukraine"})
    assert not meeting.topics.exists()
    assert Meeting.objects.get(pk=meeting.pk).locked_fields == ["topics"]
