"""Undo, aliases and confirming people through the API and on the pages: permissions, bad
input, the History section's Undo button, and bounded queries."""

from datetime import date

import pytest
from django.urls import reverse

from diplomacy.choices import ReviewState
from diplomacy.models import CurationEvent, Evidence, Meeting, Person
from diplomacy.roles import CURATORS
from tests.diplomacy.conftest import ingest
from tests.factories import ArticleFactory, EvidenceFactory, MeetingFactory, UserFactory

pytestmark = pytest.mark.django_db

GENEVA = "Jake Sullivan and Tony B. met Foreign Minister Wang Yi in Geneva on Friday."


@pytest.fixture
def curator_client(api_client):
    api_client.force_authenticate(UserFactory(username="curator", roles=[CURATORS]))
    return api_client


@pytest.fixture
def curator(client):
    client.force_login(UserFactory(username="curator", roles=[CURATORS]))
    return client


def undo_url(meeting, event) -> str:
    return reverse("api:meeting-history-undo", args=[meeting.pk, event.pk])


def detail_url(meeting) -> str:
    return reverse("api:meeting-detail", args=[meeting.pk])


def test_it_undoes_the_newest_action_through_the_api(readouts, curator_client):
    """POST …/history/{id}/undo/ restores the values, answers with the meeting, and the
    history shows the undo first."""
    meeting = readouts["vienna"]
    title = meeting.title
    curator_client.patch(detail_url(meeting), {"title": "Oops"}, format="json")
    event = CurationEvent.objects.filter(meeting=meeting).first()
    response = curator_client.post(undo_url(meeting, event), {"reason": "typo"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == title and response.json()["locked_fields"] == []
    history = curator_client.get(reverse("api:meeting-history", args=[meeting.pk])).json()
    newest = history["results"][0]
    assert newest["action"] == "undo" and newest["undoes"] == event.pk
    assert newest["reason"] == "typo"
    again = curator_client.post(undo_url(meeting, event), {}, format="json")
    assert again.status_code == 409 and "action" in again.json()["errors"]


def test_it_refuses_undo_when_something_changed_since(readouts, curator_client):
    """An older action, a merge, another meeting's action or an unknown one: 409 or 404,
    nothing changed."""
    vienna, malta = readouts["vienna"], readouts["malta"]
    curator_client.patch(detail_url(vienna), {"title": "One"}, format="json")
    older = CurationEvent.objects.filter(meeting=vienna).first()
    curator_client.patch(detail_url(vienna), {"title": "Two"}, format="json")
    refused = curator_client.post(undo_url(vienna, older), {}, format="json")
    assert refused.status_code == 409 and "newer action" in refused.json()["detail"]
    assert curator_client.post(undo_url(malta, older), {}, format="json").status_code == 404
    missing = reverse("api:meeting-history-undo", args=[vienna.pk, 10**17])
    assert curator_client.post(missing, {}, format="json").status_code == 404
    curator_client.post(
        reverse("api:meeting-merge", args=[malta.pk]), {"into": vienna.pk}, format="json"
    )
    merge = CurationEvent.objects.filter(meeting=vienna).first()
    refused = curator_client.post(undo_url(vienna, merge), {}, format="json")
    assert refused.status_code == 409 and "cannot be undone" in refused.json()["detail"]
    assert Meeting.objects.get(pk=vienna.pk).title == "Two"
    bad = curator_client.post(undo_url(vienna, merge), {"reason": "x" * 3000}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]


def test_it_refuses_curation_writes_to_analysts_and_anonymous_clients(readouts, api_client):
    """Undo, aliases and confirm answer 403 to anyone but a curator; nothing changes."""
    meeting = readouts["vienna"]
    api_client.force_authenticate(UserFactory(username="curator", roles=[CURATORS]))
    api_client.patch(detail_url(meeting), {"title": "Kept"}, format="json")
    event = CurationEvent.objects.get(meeting=meeting)
    evidence = Evidence.objects.filter(meeting=meeting).first()
    Person.objects.filter(slug="qin-gang").update(review_state="auto")
    for user in (None, UserFactory(username="analyst")):
        api_client.force_authenticate(user)
        for url, body in (
            (undo_url(meeting, event), {}),
            (
                reverse("api:person-aliases", args=["jake-sullivan"]),
                {"alias": "Vienna", "evidence": evidence.pk},
            ),
            (reverse("api:person-confirm", args=["qin-gang"]), {}),
        ):
            response = api_client.post(url, body, format="json")
            assert response.status_code == 403, (url, response.content)
    assert Meeting.objects.get(pk=meeting.pk).title == "Kept"
    assert Person.objects.get(slug="qin-gang").review_state == "auto"
    assert "Vienna" not in Person.objects.get(slug="jake-sullivan").aliases


def test_it_adds_an_alias_through_the_api(readouts, curator_client):
    """The alias must occur in the evidence sentence; the person comes back with it."""
    evidence = Evidence.objects.get(article=ingest(GENEVA, date(2023, 9, 16)))
    url = reverse("api:person-aliases", args=["antony-blinken"])
    response = curator_client.post(url, {"alias": "Tony B.", "evidence": evidence.pk})
    assert response.status_code == 200, response.content
    assert "Tony B." in response.json()["aliases"]
    history = CurationEvent.objects.get(person__slug="antony-blinken")
    assert history.action == "alias" and history.changes["alias"] == "Tony B."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"alias": "Comrade Blinken", "evidence": "EVIDENCE"}, "alias"),
        ({"alias": "", "evidence": "EVIDENCE"}, "alias"),
        ({"alias": "Tony\x00B.", "evidence": "EVIDENCE"}, "alias"),
        ({"alias": "T" * 500, "evidence": "EVIDENCE"}, "alias"),
        ({"alias": "Tony B."}, "evidence"),
        ({"alias": "Tony B.", "evidence": 999999}, "evidence"),
        ({"alias": "Tony B.", "evidence": "one"}, "evidence"),
        ({"alias": "Tony B.", "evidence": 2**70}, "evidence"),
        ({"alias": ["Tony B."], "evidence": "EVIDENCE"}, "alias"),
    ],
)
def test_it_names_the_field_of_a_bad_alias(readouts, curator_client, body, field):
    """Bad alias input answers 400 naming the field; the person keeps their names."""
    evidence = Evidence.objects.get(article=ingest(GENEVA, date(2023, 9, 16)))
    body = {key: evidence.pk if value == "EVIDENCE" else value for key, value in body.items()}
    url = reverse("api:person-aliases", args=["antony-blinken"])
    response = curator_client.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not CurationEvent.objects.exists()


def test_it_confirms_a_discovered_person_through_the_api(readouts, curator_client):
    """confirm/ answers with the confirmed person; a second time is 409; unknown is 404."""
    Person.objects.filter(slug="qin-gang").update(review_state="auto")
    url = reverse("api:person-confirm", args=["qin-gang"])
    response = curator_client.post(url, {"reason": "checked"}, format="json")
    assert response.status_code == 200 and response.json()["review_state"] == "confirmed"
    assert curator_client.post(url, {}, format="json").status_code == 409
    unknown = reverse("api:person-confirm", args=["nobody-at-all"])
    assert curator_client.post(unknown, {}, format="json").status_code == 404
    queue = curator_client.get(reverse("api:review-list"), {"reason": "discovered_person"})
    assert readouts["beijing"].pk not in [item["id"] for item in queue.json()["results"]]


def test_it_offers_undo_on_the_meeting_page_and_undoes(readouts, curator, client):
    """The newest action has an Undo button; pressing it restores the participants; a merge
    says why it has none; readers without the role see neither."""
    meeting = readouts["vienna"]
    page = meeting.get_absolute_url()
    curator.post(
        reverse("diplomacy:meeting-participants", args=[meeting.slug]), {"remove": "wang-yi"}
    )
    html = curator.get(page).content.decode()
    assert html.count('data-testid="undo"') == 1
    event = CurationEvent.objects.get(meeting=meeting)
    response = curator.post(
        reverse("diplomacy:meeting-undo", args=[meeting.slug, event.pk]), {"reason": "oops"}
    )
    assert response.status_code == 302
    assert sorted(meeting.participants.values_list("slug", flat=True)) == [
        "jake-sullivan",
        "wang-yi",
    ]
    html = curator.get(page).content.decode()
    assert "Undone" in html and 'data-testid="undo"' not in html
    curator.post(
        reverse("diplomacy:meeting-merge", args=[meeting.slug]), {"source": readouts["malta"].pk}
    )
    html = curator.get(page).content.decode()
    assert 'data-testid="undo-refusal"' in html and "cannot be undone" in html
    client.force_login(UserFactory(username="analyst"))
    html = client.get(page).content.decode()
    assert 'data-testid="undo' not in html
    url = reverse("diplomacy:meeting-undo", args=[meeting.slug, event.pk])
    assert client.post(url).status_code == 403


def test_it_adds_an_alias_from_the_meeting_page_form(readouts, curator):
    """The alias form takes the sentence, the words and the person, and returns to the page."""
    evidence = Evidence.objects.get(article=ingest(GENEVA, date(2023, 9, 16)))
    page = evidence.meeting.get_absolute_url()
    html = curator.get(page).content.decode()
    assert 'id="curate-alias"' in html and f'value="{evidence.pk}"' in html
    url = reverse("diplomacy:person-alias-add")
    form = {"sentence": evidence.pk, "alias": "Tony B.", "person": "antony-blinken", "next": page}
    response = curator.post(url, {**form, "alias": "Not there"})
    assert response.headers["Location"] == f"{page}#curate-alias"
    assert "Not there" not in Person.objects.get(slug="antony-blinken").aliases
    response = curator.post(url, {**form, "next": "https://elsewhere.example/"})
    assert response.headers["Location"] == "/#curate-alias"
    assert "Tony B." in Person.objects.get(slug="antony-blinken").aliases


def test_it_offers_the_alias_form_on_the_article_page(readouts, curator, client):
    """Curators get the form on an article's page with its sentences; analysts do not."""
    article = ingest(GENEVA, date(2023, 9, 16))
    url = reverse("articles:article", args=[article.pk])
    html = curator.get(url).content.decode()
    assert 'id="curate-alias"' in html and 'data-start="0"' in html
    client.force_login(UserFactory(username="analyst"))
    assert 'id="curate-alias"' not in client.get(url).content.decode()


def test_it_confirms_and_undoes_on_the_person_page(readouts, curator):
    """A discovered person's page has Confirm; then the history offers Undo."""
    Person.objects.filter(slug="qin-gang").update(review_state="auto")
    page = reverse("diplomacy:person", args=["qin-gang"])
    assert 'data-testid="confirm-person"' in curator.get(page).content.decode()
    curator.post(reverse("diplomacy:person-confirm", args=["qin-gang"]))
    assert Person.objects.get(slug="qin-gang").review_state == "confirmed"
    html = curator.get(page).content.decode()
    assert 'data-testid="confirm-person"' not in html and 'data-testid="undo"' in html
    event = CurationEvent.objects.get(person__slug="qin-gang")
    curator.post(reverse("diplomacy:person-undo", args=["qin-gang", event.pk]))
    assert Person.objects.get(slug="qin-gang").review_state == "auto"


@pytest.mark.parametrize("rows", [3, 30])
def test_it_builds_a_meeting_page_with_history_in_a_bounded_number_of_queries(
    curator, django_assert_num_queries, rows
):
    """The History section and its undo check cost the same at 3 and 30 actions."""
    meeting = MeetingFactory(start_date=date(2024, 3, 1), review_state=ReviewState.AUTO)
    EvidenceFactory(meeting=meeting)
    user = UserFactory(username="other", roles=[CURATORS])
    CurationEvent.objects.bulk_create(
        [
            CurationEvent(
                action="confirm",
                actor=user,
                meeting=meeting,
                changes={"review_state": ["auto", "auto"]},
            )
            for _ in range(rows)
        ]
    )
    url = meeting.get_absolute_url()
    curator.get(url)  # warm the session, permission and review-count caches
    # as without history (15), plus the undo check of the newest action: its meeting and
    # whether a newer action exists
    with django_assert_num_queries(17):
        response = curator.get(url)
    assert response.content.decode().count('data-testid="undo"') == 1


@pytest.mark.parametrize("rows", [3, 30])
def test_it_builds_a_person_page_with_history_in_a_bounded_number_of_queries(
    readouts, curator, django_assert_num_queries, rows
):
    """The person page's History and undo check cost the same at 3 and 30 actions."""
    qin = Person.objects.get(slug="qin-gang")
    CurationEvent.objects.bulk_create(
        [
            CurationEvent(
                action="person_confirm",
                person=qin,
                changes={"review_state": ["auto", "confirmed"]},
            )
            for _ in range(rows)
        ]
    )
    url = reverse("diplomacy:person", args=["qin-gang"])
    curator.get(url)
    with django_assert_num_queries(PERSON_PAGE_QUERIES):
        response = curator.get(url)
    assert response.content.decode().count('data-testid="undo"') == 1


# the person with offices; session, user, the user's and their groups' permissions; the
# meetings' count; the history; the undo check (whether a newer action exists, the person);
# the data revision, once for the network's cache and the nav; the person's network;
# counterparts; topics; the page of meetings with their participants (with people) and
# topics (with topics)
PERSON_PAGE_QUERIES = 19


@pytest.mark.parametrize("rows", [3, 30])
def test_it_builds_a_curators_article_page_in_a_bounded_number_of_queries(
    curator, django_assert_num_queries, rows
):
    """The alias form's sentences cost one query at 3 and at 30 sentences."""
    article = ArticleFactory(body="Talks. " * 40)
    for index in range(rows):
        EvidenceFactory(article=article, start=index * 7, end=index * 7 + 6)
    url = reverse("articles:article", args=[article.pk])
    curator.get(url)  # warm the session, permission, review-count and findings caches
    # the article with its source; session, user, the user's and their groups' permissions;
    # the data revision, once for the findings' and the nav's count's caches; the sentences
    # for the alias form
    with django_assert_num_queries(7):
        response = curator.get(url)
    assert response.content.decode().count("data-start=") == rows
