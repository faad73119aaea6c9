import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from diplomacy.api import serializers
from diplomacy.api.serializers import MeetingDetailSerializer, MeetingListItemSerializer
from diplomacy.models import Evidence
from tests.factories import (
    ArticleFactory,
    EvidenceFactory,
    LocationFactory,
    MeetingFactory,
    MeetingTopicFactory,
    MentionFactory,
    OfficeFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MEETING_FIELDS = {
    "id",
    "slug",
    "title",
    "kind",
    "status",
    "start_date",
    "end_date",
    "date_precision",
    "announced",
    "location",
    "participants",
    "topics",
    "article_count",
    "evidence_count",
    "url",
}


def meeting_list(client, **params):
    response = client.get(reverse("api:meeting-list"), params)
    assert response.status_code == 200, response.content
    return response.json()


def listed_slugs(client, **params):
    return [row["slug"] for row in meeting_list(client, **params)["results"]]


def full_meeting(**kwargs):
    """Create a meeting with a place, two participants, two topics and evidence."""
    meeting = MeetingFactory(location=LocationFactory(name="Woodside", kind="venue"), **kwargs)
    ParticipationFactory(meeting=meeting, person=PersonFactory(name="Joe Biden"), role="President")
    ParticipationFactory(
        meeting=meeting,
        person=PersonFactory(name="Xi Jinping", country="CN"),
        role="President",
        side="cn",
    )
    MeetingTopicFactory(meeting=meeting, topic=TopicFactory(name="Taiwan"))
    MeetingTopicFactory(meeting=meeting, topic=TopicFactory(name="Fentanyl"))
    EvidenceFactory(meeting=meeting)
    return meeting


# Meeting list ------------------------------------------------------------------------------


def test_it_lists_meetings_in_the_documented_shape(api_client):
    """Each list row has exactly the DESIGN.md fields, nested objects included."""
    meeting = full_meeting(article_count=3, evidence_count=5, announced=True)

    page = meeting_list(api_client)

    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 1
    [row] = page["results"]
    assert set(row) == MEETING_FIELDS == set(MeetingListItemSerializer().fields)
    assert row["id"] == meeting.pk
    assert row["start_date"] == "2024-01-26"
    assert row["announced"] is True
    assert row["article_count"] == 3
    assert row["evidence_count"] == 5
    assert row["location"] == {
        "slug": "woodside",
        "name": "Woodside",
        "kind": "venue",
        "country": "",
    }
    assert row["participants"] == [
        {"slug": "joe-biden", "name": "Joe Biden", "country": "US", "role": "President"},
        {"slug": "xi-jinping", "name": "Xi Jinping", "country": "CN", "role": "President"},
    ]
    assert row["topics"] == [
        {"slug": "fentanyl", "name": "Fentanyl"},
        {"slug": "taiwan", "name": "Taiwan"},
    ]
    assert row["url"] == f"http://testserver/meetings/{meeting.slug}/"


def test_it_lists_a_meeting_without_place_or_people(api_client):
    """A meeting with no location has location null and empty lists."""
    MeetingFactory(location=None)

    [row] = meeting_list(api_client)["results"]

    assert row["location"] is None
    assert row["participants"] == []
    assert row["topics"] == []


def test_it_renders_the_list_with_orjson(api_client):
    """The list is JSON with the documented content type."""
    MeetingFactory()

    response = api_client.get(reverse("api:meeting-list"))

    assert response["Content-Type"] == "application/json"


def test_it_leaves_rejected_meetings_out(api_client):
    """Meetings a curator rejected are neither listed nor shown."""
    MeetingFactory(title="Kept")
    rejected = MeetingFactory(title="Rejected", review_state="rejected")

    assert listed_slugs(api_client) == ["kept"]
    response = api_client.get(reverse("api:meeting-detail", args=[rejected.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_meetings_in_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, count
):
    """The list costs the same queries for 3 meetings as for 30."""
    for _ in range(count):
        full_meeting()

    # 1. the data revision (ETag), 2. count, 3. the page's ids, 4. their rows with
    # participants and topics aggregated in subqueries
    with django_assert_max_num_queries(4):
        page = meeting_list(api_client, page_size=50)

    assert len(page["results"]) == count


def test_it_filters_and_paginates_in_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries
):
    """Every filter at once adds only the lookups that validate slugs."""
    meeting = full_meeting()
    country = LocationFactory(name="United States", kind="country")
    meeting.location.parent = country
    meeting.location.save()

    params = {
        "topic": ["taiwan", "fentanyl"],
        "participant": ["joe-biden", "xi-jinping"],
        "location": "united-states",
        "kind": "meeting",
        "status": "held",
        "date_from": "2024-01-01",
        "date_to": "2024-12-31",
        "q": "talks",
        "ordering": "start_date",
    }
    # the data revision (1), topic, participant and location slugs (3), the places inside
    # the country (1), count (1), the page's ids (1), their rows (1)
    with django_assert_max_num_queries(8):
        page = meeting_list(api_client, **params)

    assert [row["id"] for row in page["results"]] == [meeting.pk]


# Meeting filters ---------------------------------------------------------------------------


def test_it_filters_by_any_of_several_topics(api_client):
    """`topic` repeated matches meetings with any of the topics."""
    taiwan, trade = TopicFactory(name="Taiwan"), TopicFactory(name="Trade")
    MeetingTopicFactory(meeting=MeetingFactory(title="On Taiwan"), topic=taiwan)
    MeetingTopicFactory(meeting=MeetingFactory(title="On trade"), topic=trade)
    MeetingFactory(title="On nothing")

    assert listed_slugs(api_client, topic="taiwan") == ["on-taiwan"]
    assert sorted(listed_slugs(api_client, topic=["taiwan", "trade"])) == ["on-taiwan", "on-trade"]


def test_it_filters_by_all_of_several_participants(api_client):
    """`participant` repeated matches meetings every one of them attended."""
    blinken, wang = PersonFactory(name="Antony Blinken"), PersonFactory(name="Wang Yi")
    both = MeetingFactory(title="Both")
    ParticipationFactory(meeting=both, person=blinken)
    ParticipationFactory(meeting=both, person=wang)
    ParticipationFactory(meeting=MeetingFactory(title="Blinken alone"), person=blinken)

    assert sorted(listed_slugs(api_client, participant="antony-blinken")) == [
        "blinken-alone",
        "both",
    ]
    assert listed_slugs(api_client, participant=["antony-blinken", "wang-yi"]) == ["both"]


def test_it_filters_by_a_place_and_the_places_inside_it(api_client):
    """`location` with a country includes meetings in its cities and venues."""
    china = LocationFactory(name="China", kind="country", country="CN")
    beijing = LocationFactory(name="Beijing", kind="city", country="CN", parent=china)
    venue = LocationFactory(name="Diaoyutai", kind="venue", country="CN", parent=beijing)
    MeetingFactory(title="At the venue", location=venue)
    MeetingFactory(title="In Beijing", location=beijing)
    MeetingFactory(title="Elsewhere", location=LocationFactory(name="Lima"))

    assert sorted(listed_slugs(api_client, location="china")) == ["at-the-venue", "in-beijing"]
    assert listed_slugs(api_client, location="diaoyutai") == ["at-the-venue"]


def test_it_filters_by_kind_and_status(api_client):
    """`kind` and `status` accept one or several values."""
    MeetingFactory(title="A call", kind="call", status="held")
    MeetingFactory(title="A planned summit", kind="summit", status="planned")

    assert listed_slugs(api_client, kind="call") == ["a-call"]
    assert listed_slugs(api_client, status="planned") == ["a-planned-summit"]
    assert len(listed_slugs(api_client, kind=["call", "summit"])) == 2
    assert listed_slugs(api_client, kind="call", status="planned") == []


def test_it_filters_by_overlapping_dates(api_client):
    """A meeting matches when its dates overlap [date_from, date_to]."""
    MeetingFactory(title="Early", start_date=date(2023, 11, 14), end_date=date(2023, 11, 16))
    MeetingFactory(title="Late", start_date=date(2024, 4, 24), end_date=date(2024, 4, 26))

    assert listed_slugs(api_client, date_from="2023-11-16") == ["late", "early"]
    assert listed_slugs(api_client, date_from="2023-11-17") == ["late"]
    assert listed_slugs(api_client, date_to="2023-11-14") == ["early"]
    assert listed_slugs(api_client, date_from="2023-11-15", date_to="2024-04-24") == [
        "late",
        "early",
    ]
    assert listed_slugs(api_client, date_from="2023-12-01", date_to="2024-03-01") == []


def test_it_searches_meetings_by_text(api_client):
    """`q` is a web-style full-text query over title and summary."""
    MeetingFactory(title="Counternarcotics working group", summary="Precursor chemicals.")
    MeetingFactory(title="Climate talks")

    assert listed_slugs(api_client, q="chemical") == ["counternarcotics-working-group"]
    assert listed_slugs(api_client, q='"climate talks"') == ["climate-talks"]
    assert listed_slugs(api_client, q="climate -talks") == []


def test_it_orders_newest_first_with_undated_last(api_client):
    """The default order is newest start date first, undated meetings last, ties by id."""
    MeetingFactory(title="Undated", start_date=None, end_date=None)
    MeetingFactory(title="Old", start_date=date(2022, 11, 14))
    MeetingFactory(title="New", start_date=date(2024, 4, 26))
    MeetingFactory(title="New too", start_date=date(2024, 4, 26))

    assert listed_slugs(api_client) == ["new-too", "new", "old", "undated"]
    assert listed_slugs(api_client, ordering="-start_date") == ["new-too", "new", "old", "undated"]
    assert listed_slugs(api_client, ordering="start_date") == ["old", "new", "new-too", "undated"]


def test_it_combines_filters(api_client):
    """Filters narrow each other down."""
    taiwan = TopicFactory(name="Taiwan")
    blinken = PersonFactory(name="Antony Blinken")
    match = MeetingFactory(title="Match", kind="meeting", start_date=date(2024, 4, 26))
    MeetingTopicFactory(meeting=match, topic=taiwan)
    ParticipationFactory(meeting=match, person=blinken)
    wrong_year = MeetingFactory(title="Wrong year", start_date=date(2022, 1, 1))
    MeetingTopicFactory(meeting=wrong_year, topic=taiwan)
    ParticipationFactory(meeting=wrong_year, person=blinken)
    MeetingTopicFactory(meeting=MeetingFactory(title="No Blinken"), topic=taiwan)

    slugs = listed_slugs(
        api_client, topic="taiwan", participant="antony-blinken", date_from="2024-01-01"
    )

    assert slugs == ["match"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"topic": "no-such-topic"}, "topic"),
        ({"participant": "nobody"}, "participant"),
        ({"location": "atlantis"}, "location"),
        ({"kind": "duel"}, "kind"),
        ({"status": "imagined"}, "status"),
        ({"date_from": "2024-13-45"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "99999-01-01"}, "date_from"),
        ({"ordering": "title"}, "ordering"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00byte"}, "q"),
        ({"topic": "taiwan'; DROP TABLE diplomacy_meeting; --"}, "topic"),
    ],
)
def test_it_rejects_invalid_filters_with_field_errors(api_client, params, field):
    """A bad filter value is a 400 naming the field, in the API's error shape."""
    response = api_client.get(reverse("api:meeting-list"), params)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert field in body["errors"]


@pytest.mark.parametrize(
    "q", ["' OR 1=1 --", "a & | ! ( ) : * <->", "\\", "%_%", '"unbalanced', "-", "OR"]
)
def test_it_treats_hostile_text_queries_as_text(api_client, q):
    """Query syntax and SQL fragments in `q` never cause an error."""
    MeetingFactory()

    assert meeting_list(api_client, q=q)["count"] >= 0


def test_it_refuses_too_many_parameters_in_json(api_client):
    """More query parameters than Django accepts is a JSON 400, not an HTML page."""
    query = "&".join(f"topic=t{number}" for number in range(1100))

    response = api_client.get(f"{reverse('api:meeting-list')}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "too many" in response.json()["detail"]


# Pagination --------------------------------------------------------------------------------


def test_it_pages_with_page_size(api_client):
    """`page_size` sets the page length and `next`/`previous` link the pages."""
    for day in range(1, 6):
        MeetingFactory(start_date=date(2024, 1, day))

    first = meeting_list(api_client, page_size=2)
    second = api_client.get(first["next"]).json()

    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert second["previous"] is not None
    assert {row["id"] for row in first["results"]}.isdisjoint(
        row["id"] for row in second["results"]
    )


def test_it_caps_page_size_at_500(api_client):
    """A page_size above 500 is served as 500 rather than refused."""
    MeetingFactory.create_batch(501)

    page = meeting_list(api_client, page_size=501)

    assert len(page["results"]) == 500
    assert page["next"] is not None


@pytest.mark.parametrize("page_size", ["-1", "0", "abc", "1e9", ""])
def test_it_uses_the_default_page_size_for_nonsense(api_client, page_size):
    """A page_size that is not a positive number falls back to 50."""
    MeetingFactory.create_batch(51)

    page = meeting_list(api_client, page_size=page_size)

    assert len(page["results"]) == 50


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "99999999999999999999999", "1e400"])
def test_it_answers_404_for_pages_that_do_not_exist(api_client, page):
    """A page beyond the last, or not a page number, is a JSON 404."""
    MeetingFactory()

    response = api_client.get(reverse("api:meeting-list"), {"page": page})

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


# Meeting detail ----------------------------------------------------------------------------


def test_it_shows_a_meeting_with_its_evidence(api_client):
    """The detail adds evidence with the article, quote, fields and confidence."""
    meeting = full_meeting(summary="They met.", location_note="On the estate's lawn")
    article = meeting.evidence.get().article

    response = api_client.get(reverse("api:meeting-detail", args=[meeting.pk]))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == MEETING_FIELDS | {
        "summary",
        "location_note",
        "review_state",
        "locked_fields",
        "first_reported_at",
        "evidence",
        "evidence_url",
    }
    assert set(body) == set(MeetingDetailSerializer().fields)
    assert body["summary"] == "They met."
    assert body["location_note"] == "On the estate's lawn"
    assert [p["slug"] for p in body["participants"]] == ["joe-biden", "xi-jinping"]
    assert [t["slug"] for t in body["topics"]] == ["fentanyl", "taiwan"]
    [evidence] = body["evidence"]
    assert evidence == {
        "id": Evidence.objects.get(meeting=meeting).pk,
        "article": {
            "id": article.pk,
            "title": article.title,
            "url": f"http://testserver{reverse('api:article-detail', args=[article.pk])}",
            "source_url": None,
            "published_at": article.published_at.isoformat().replace("+00:00", "Z"),
        },
        "quote": article.body,
        "fields": ["participants", "date"],
        "confidence": 0.8,
    }
    assert body["url"] == f"http://testserver/meetings/{meeting.slug}/"
    assert body["evidence_url"] == f"http://testserver/api/v1/meetings/{meeting.pk}/evidence/"


def meeting_with_evidence(rows_per_article=(2, 1, 3, 1, 2)):
    """Create a meeting whose evidence arrives out of publication order; return it and the
    ids of its evidence in the documented order (publication date, undated last, article,
    offset in the text)."""
    meeting = MeetingFactory()
    days = [date(2024, 5, 9), None, date(2024, 5, 1), date(2024, 5, 20), date(2024, 5, 1)]
    expected = []
    for day, rows in zip(days, rows_per_article, strict=True):
        published = day and datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        article = ArticleFactory(published_at=published)
        # Later sentences first, so that neither the id nor the insertion order is the order.
        created = [evidence_at(meeting, article, 10 * (rows - n)) for n in range(rows)]
        expected.append((day is None, day or date.min, article.pk, created[::-1]))
    ordered = [row.pk for *_, rows in sorted(expected) for row in rows]
    return meeting, ordered


def evidence_at(meeting, article, start):
    """Create a sentence of `article` at `start`, with a quote of its own."""
    quote = f"Sentence at {start} of article {article.pk}."
    return EvidenceFactory(
        meeting=meeting, article=article, start=start, end=start + len(quote), quote=quote
    )


def item_keys(items) -> list[tuple]:
    """Identify evidence items by (article id, quote): the API shows no evidence id."""
    return [(item["article"]["id"], item["quote"]) for item in items]


def row_keys(ids) -> list[tuple]:
    """The same keys for evidence rows, in the order of `ids`."""
    rows = {row.pk: row for row in Evidence.objects.filter(pk__in=ids)}
    return [(rows[pk].article_id, rows[pk].quote) for pk in ids]


def test_it_shows_only_the_first_evidence_in_publication_order(api_client, monkeypatch):
    """The detail carries the first sentences by publication and says where the rest are."""
    monkeypatch.setattr(serializers, "DETAIL_EVIDENCE", 4)
    meeting, ordered = meeting_with_evidence()

    body = api_client.get(reverse("api:meeting-detail", args=[meeting.pk])).json()

    assert item_keys(body["evidence"]) == row_keys(ordered[:4])
    assert body["evidence_url"].endswith(reverse("api:meeting-evidence", args=[meeting.pk]))


def test_it_caps_the_detail_at_100_sentences(api_client):
    meeting = MeetingFactory()
    for article in ArticleFactory.create_batch(21):
        for start in range(0, 50, 10):
            evidence_at(meeting, article, start)

    body = api_client.get(reverse("api:meeting-detail", args=[meeting.pk])).json()

    assert len(body["evidence"]) == serializers.DETAIL_EVIDENCE == 100


@pytest.mark.parametrize("rows", [3, 30])
def test_it_shows_a_meeting_in_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, rows
):
    """The detail costs the same queries however much evidence there is."""
    meeting = full_meeting()
    for article in ArticleFactory.create_batch(rows):
        evidence_at(meeting, article, 0)
        evidence_at(meeting, article, 50)

    # the data revision (ETag), meeting with location, participants, topics, the first
    # evidence ids, their rows with the articles
    with django_assert_num_queries(6):
        response = api_client.get(reverse("api:meeting-detail", args=[meeting.pk]))

    assert len(response.json()["evidence"]) == 2 * rows + 1


def test_it_renders_the_evidence_like_the_serializer_documents_it(api_client):
    """The dict rows carry exactly the fields of EvidenceSerializer, with the same values."""
    meeting = full_meeting()
    evidence = meeting.evidence.get()

    response = api_client.get(reverse("api:meeting-detail", args=[meeting.pk]))

    [item] = response.json()["evidence"]
    context = {"request": response.wsgi_request}
    documented = serializers.EvidenceSerializer(evidence, context=context).data
    assert item == documented


@pytest.mark.parametrize("page_size", [1, 3, 50])
def test_it_pages_through_every_evidence_row_in_publication_order(api_client, page_size):
    """/meetings/{id}/evidence/ lists every sentence, in the detail's order, page by page."""
    meeting, ordered = meeting_with_evidence()
    url = reverse("api:meeting-evidence", args=[meeting.pk]) + f"?page_size={page_size}"

    seen = []
    while url:
        page = api_client.get(url).json()
        assert page["count"] == len(ordered)
        assert len(page["results"]) <= page_size
        seen.extend(page["results"])
        url = page["next"]

    assert item_keys(seen) == row_keys(ordered)
    detail = api_client.get(reverse("api:meeting-detail", args=[meeting.pk])).json()
    assert seen[: len(detail["evidence"])] == detail["evidence"]


def test_it_caps_the_evidence_page_size_at_500(api_client):
    meeting = MeetingFactory()
    for article in ArticleFactory.create_batch(51):
        for start in range(0, 100, 10):
            evidence_at(meeting, article, start)
    url = reverse("api:meeting-evidence", args=[meeting.pk])

    page = api_client.get(url, {"page_size": 1000}).json()
    last = api_client.get(url, {"page_size": 1000, "page": 2}).json()

    assert page["count"] == 510
    assert len(page["results"]) == 500 and len(last["results"]) == 10


@pytest.mark.parametrize("rows", [3, 30])
def test_it_pages_evidence_in_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, rows
):
    meeting = MeetingFactory()
    for article in ArticleFactory.create_batch(rows):
        EvidenceFactory(meeting=meeting, article=article)

    # the data revision (ETag), the meeting, the count, the page's ids, their rows
    with django_assert_num_queries(5):
        response = api_client.get(reverse("api:meeting-evidence", args=[meeting.pk]))

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("lookup", ["999999", "abc", "99999999999999999999999"])
def test_it_answers_404_for_the_evidence_of_unknown_meetings(api_client, lookup):
    """An unknown or malformed id is the API's JSON 404, like the detail's."""
    response = api_client.get(reverse("api:meeting-evidence", args=[lookup]))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_it_hides_the_evidence_of_rejected_meetings(api_client):
    meeting = MeetingFactory(review_state="rejected")
    EvidenceFactory(meeting=meeting)

    response = api_client.get(reverse("api:meeting-evidence", args=[meeting.pk]))

    assert response.status_code == 404


def test_it_answers_404_past_the_last_evidence_page(api_client):
    meeting, _ = meeting_with_evidence()

    response = api_client.get(reverse("api:meeting-evidence", args=[meeting.pk]), {"page": 3})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_it_lists_no_evidence_for_a_meeting_without_any(api_client):
    meeting = MeetingFactory()

    detail = api_client.get(reverse("api:meeting-detail", args=[meeting.pk])).json()
    page = api_client.get(reverse("api:meeting-evidence", args=[meeting.pk])).json()

    assert detail["evidence"] == []
    assert page == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("lookup", ["999999", "abc", "99999999999999999999999"])
def test_it_answers_404_for_unknown_meetings(api_client, lookup):
    """An unknown or malformed id is a JSON 404."""
    response = api_client.get(reverse("api:meeting-detail", args=[lookup]))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_it_answers_304_when_the_list_has_not_changed(api_client):
    """The list carries an ETag; sending it back gets 304 until the data changes."""
    MeetingFactory()
    url = reverse("api:meeting-list")

    etag = api_client.get(url)["ETag"]
    unchanged = api_client.get(url, HTTP_IF_NONE_MATCH=etag)
    MeetingFactory()
    changed = api_client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert unchanged.status_code == 304
    assert changed.status_code == 200


def test_it_answers_304_after_one_query(api_client, django_assert_num_queries):
    """An unchanged list is known from the data revision alone, before any list query."""
    full_meeting()
    url = reverse("api:meeting-list")
    etag = api_client.get(url, {"topic": "taiwan"})["ETag"]

    with django_assert_num_queries(1):  # the data revision
        response = api_client.get(url, {"topic": "taiwan"}, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert api_client.get(url, {"topic": "fentanyl"}, HTTP_IF_NONE_MATCH=etag).status_code == 200


# CSV exports -------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_it_exports_filtered_meetings_as_csv(api_client):
    """`?format=csv` streams every matching meeting, with lists joined by "; "."""
    meeting = full_meeting()
    MeetingFactory(title="Other", kind="call")

    rows = read_csv(
        api_client.get(reverse("api:meeting-list"), {"format": "csv", "kind": "meeting"})
    )

    assert len(rows) == 1
    assert rows[0]["id"] == str(meeting.pk)
    assert rows[0]["participants"] == "joe-biden; xi-jinping"
    assert rows[0]["participant_names"] == "Joe Biden; Xi Jinping"
    assert rows[0]["topics"] == "fentanyl; taiwan"
    assert rows[0]["location"] == "woodside"
    assert rows[0]["url"] == f"http://testserver/meetings/{meeting.slug}/"


def test_it_exports_every_row_not_one_page(api_client):
    """The CSV export ignores paging."""
    MeetingFactory.create_batch(60)

    rows = read_csv(api_client.get(reverse("api:meeting-list"), {"format": "csv", "page_size": 5}))

    assert len(rows) == 60


@pytest.mark.parametrize("title", ['=HYPERLINK("http://evil")', "+1", "-1+2", "@SUM(A1)", "\tx"])
def test_it_neutralises_formulas_in_csv_cells(api_client, title):
    """A cell a spreadsheet would run as a formula starts with a single quote."""
    MeetingFactory(title=title, slug="formula")

    [row] = read_csv(api_client.get(reverse("api:meeting-list"), {"format": "csv"}))

    assert row["title"] == "'" + title


def test_it_answers_csv_requests_with_bad_filters_in_json(api_client):
    """An invalid filter on a CSV export is still the JSON error shape."""
    response = api_client.get(reverse("api:meeting-list"), {"format": "csv", "kind": "duel"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "kind" in response.json()["errors"]


@pytest.mark.parametrize(
    "route", ["api:article-list", "api:person-list", "api:topic-list", "api:location-list"]
)
def test_it_exports_every_list_as_csv(api_client, route):
    """Every list endpoint answers `?format=csv`."""
    full_meeting()
    OfficeFactory()
    MentionFactory(topic=TopicFactory(name="Trade"))

    rows = read_csv(api_client.get(reverse(route), {"format": "csv"}))

    assert rows


def test_it_accepts_csv_through_the_accept_header(api_client):
    """`Accept: text/csv` works like `?format=csv`."""
    MeetingFactory()

    rows = read_csv(api_client.get(reverse("api:meeting-list"), HTTP_ACCEPT="text/csv"))

    assert len(rows) == 1


@pytest.mark.parametrize(
    "route",
    [
        "api:meeting-list",
        "api:article-list",
        "api:person-list",
        "api:topic-list",
        "api:location-list",
    ],
)
def test_it_renders_the_browsable_api(api_client, route):
    """`?format=api` shows the HTML browsable API for every list."""
    full_meeting()

    response = api_client.get(reverse(route), {"format": "api"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# People, topics, places --------------------------------------------------------------------


def test_it_lists_people_with_offices_and_meeting_counts(api_client):
    """People show country, offices and how many meetings they attended."""
    wang = PersonFactory(name="Wang Yi", country="CN")
    OfficeFactory(person=wang, title="Minister of Foreign Affairs", start_date=date(2023, 7, 25))
    ParticipationFactory(person=wang)
    ParticipationFactory(person=wang, meeting=MeetingFactory(review_state="rejected"))

    response = api_client.get(reverse("api:person-list"))

    [person] = response.json()["results"]
    assert person["slug"] == "wang-yi"
    assert person["country"] == "CN"
    assert person["meeting_count"] == 1
    assert person["offices"] == [
        {
            "title": "Minister of Foreign Affairs",
            "role": "foreign-minister",
            "organisation": "",
            "country": "CN",
            "start_date": "2023-07-25",
            "end_date": None,
        }
    ]


def test_it_shows_a_person_by_slug(api_client):
    """People are addressed by slug."""
    PersonFactory(name="Wang Yi")

    response = api_client.get(reverse("api:person-detail", args=["wang-yi"]))

    assert response.status_code == 200
    assert response.json()["name"] == "Wang Yi"
    assert api_client.get(reverse("api:person-detail", args=["nobody"])).status_code == 404


def test_it_filters_people(api_client):
    """People filter by name (approximate too), alias, country, role and review state."""
    wang = PersonFactory(name="Wang Yi", country="CN", aliases=["China's top diplomat"])
    OfficeFactory(person=wang, role="foreign-minister")
    PersonFactory(name="Janet Yellen", country="US", review_state="auto")

    def slugs(**params):
        response = api_client.get(reverse("api:person-list"), params)
        assert response.status_code == 200
        return [person["slug"] for person in response.json()["results"]]

    assert slugs(q="wang") == ["wang-yi"]
    assert slugs(q="Janet Yelen") == ["janet-yellen"]
    assert slugs(q="top diplomat") == ["wang-yi"]
    assert slugs(country="cn") == ["wang-yi"]
    assert slugs(role="foreign-minister") == ["wang-yi"]
    assert slugs(review_state="auto") == ["janet-yellen"]


def test_it_lists_topics_with_meeting_counts(api_client):
    """Topics show their parent and how many visible meetings discussed them."""
    security = TopicFactory(name="Security")
    taiwan = TopicFactory(name="Taiwan", parent=security)
    MeetingTopicFactory.create_batch(2, topic=taiwan)
    MeetingTopicFactory(topic=taiwan, meeting=MeetingFactory(review_state="rejected"))

    response = api_client.get(reverse("api:topic-list"))

    topics = {topic["slug"]: topic for topic in response.json()["results"]}
    assert topics["taiwan"]["meeting_count"] == 2
    assert topics["taiwan"]["parent"] == "security"
    assert topics["security"]["meeting_count"] == 0
    assert topics["security"]["parent"] is None


def test_it_filters_topics(api_client):
    """Topics filter by name, keyword and parent."""
    security = TopicFactory(name="Security")
    TopicFactory(name="Counternarcotics", slug="fentanyl", keywords=["fentanyl", "precursor"])
    TopicFactory(name="Taiwan", parent=security)

    def slugs(**params):
        response = api_client.get(reverse("api:topic-list"), params)
        assert response.status_code == 200
        return sorted(topic["slug"] for topic in response.json()["results"])

    assert slugs(q="counter") == ["fentanyl"]
    assert slugs(q="precursor") == ["fentanyl"]
    assert slugs(parent="security") == ["taiwan"]
    assert api_client.get(reverse("api:topic-list"), {"parent": "nope"}).status_code == 400


def test_it_lists_places_with_parent_and_kind(api_client):
    """Places show kind, country and parent."""
    china = LocationFactory(name="China", kind="country", country="CN")
    LocationFactory(name="Beijing", kind="city", country="CN", parent=china)

    response = api_client.get(reverse("api:location-detail", args=["beijing"]))

    assert response.json() == {
        "slug": "beijing",
        "name": "Beijing",
        "kind": "city",
        "country": "CN",
        "parent": {"slug": "china", "name": "China", "kind": "country"},
        "aliases": [],
    }


def test_it_filters_places(api_client):
    """Places filter by name, kind, country, parent and containment."""
    china = LocationFactory(name="China", kind="country", country="CN")
    beijing = LocationFactory(name="Beijing", kind="city", country="CN", parent=china)
    LocationFactory(name="Diaoyutai", kind="venue", country="CN", parent=beijing)
    LocationFactory(name="Lima", kind="city", country="PE", aliases=["Ciudad de los Reyes"])

    def slugs(**params):
        response = api_client.get(reverse("api:location-list"), params)
        assert response.status_code == 200
        return sorted(place["slug"] for place in response.json()["results"])

    assert slugs(q="beijin") == ["beijing"]
    assert slugs(q="de los reyes") == ["lima"]
    assert slugs(kind="city") == ["beijing", "lima"]
    assert slugs(country="pe") == ["lima"]
    assert slugs(parent="china") == ["beijing"]
    assert slugs(within="china") == ["beijing", "china", "diaoyutai"]


@pytest.mark.parametrize(
    ("route", "factory", "extra"),
    [
        ("api:person-list", OfficeFactory, 1),  # offices
        ("api:topic-list", MeetingTopicFactory, 0),
        ("api:location-list", LocationFactory, 0),
    ],
)
@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_reference_data_in_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, route, factory, extra, count
):
    """People, topics and places cost the same queries for 3 rows as for 30."""
    factory.create_batch(count)

    # the data revision (ETag), count, page, and for people their offices
    with django_assert_max_num_queries(3 + extra):
        response = api_client.get(reverse(route), {"page_size": 100})

    assert response.json()["count"] >= count


# Topic activity ----------------------------------------------------------------------------


def test_it_counts_topic_activity_per_period(api_client):
    """Activity counts meetings and mentioning articles per month by default."""
    taiwan = TopicFactory(name="Taiwan")
    MeetingTopicFactory(topic=taiwan, meeting=MeetingFactory(start_date=date(2024, 1, 26)))
    MeetingTopicFactory(topic=taiwan, meeting=MeetingFactory(start_date=date(2024, 1, 5)))
    article = ArticleFactory(published_at=datetime(2024, 3, 2, 10, tzinfo=UTC))
    MentionFactory(article=article, topic=taiwan)

    response = api_client.get(reverse("api:topic-activity", args=["taiwan"]))

    assert response.status_code == 200
    assert response.json() == [
        {"period": "2024-01-01", "meetings": 2, "articles": 0},
        {"period": "2024-03-01", "meetings": 0, "articles": 1},
    ]


def test_it_counts_topic_activity_per_year(api_client):
    """`interval=year` groups by year."""
    taiwan = TopicFactory(name="Taiwan")
    MeetingTopicFactory(topic=taiwan, meeting=MeetingFactory(start_date=date(2024, 1, 26)))
    MeetingTopicFactory(topic=taiwan, meeting=MeetingFactory(start_date=date(2024, 6, 5)))

    response = api_client.get(reverse("api:topic-activity", args=["taiwan"]), {"interval": "year"})

    assert response.json() == [{"period": "2024-01-01", "meetings": 2, "articles": 0}]


def test_it_rejects_an_unknown_activity_interval(api_client):
    """An interval other than week, month or year is a 400 naming the field."""
    TopicFactory(name="Taiwan")

    response = api_client.get(reverse("api:topic-activity", args=["taiwan"]), {"interval": "day"})

    assert response.status_code == 400
    assert "interval" in response.json()["errors"]


def test_it_answers_404_for_activity_of_an_unknown_topic(api_client):
    """Activity of a topic that does not exist is a 404."""
    response = api_client.get(reverse("api:topic-activity", args=["nope"]))

    assert response.status_code == 404


# Permissions and throttling ----------------------------------------------------------------


READ_ROUTES = [
    ("api:meeting-list", []),
    ("api:article-list", []),
    ("api:person-list", []),
    ("api:topic-list", []),
    ("api:location-list", []),
]


@pytest.mark.parametrize(("route", "args"), READ_ROUTES)
def test_it_needs_credentials_to_read_when_reading_is_not_public(api_client, settings, route, args):
    """With PUBLIC_READ off, anonymous reads get 401; a token or a session reads."""
    settings.PUBLIC_READ = False
    user = UserFactory()
    token = ApiToken.objects.create(user=user)

    anonymous = api_client.get(reverse(route, args=args))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with_token = api_client.get(reverse(route, args=args))
    api_client.credentials()
    api_client.force_login(user)
    with_session = api_client.get(reverse(route, args=args))

    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    assert with_token.status_code == 200
    assert with_session.status_code == 200


def test_it_reads_anonymously_when_reading_is_public(api_client, settings):
    """With PUBLIC_READ on (the default), anyone reads."""
    settings.PUBLIC_READ = True

    assert api_client.get(reverse("api:meeting-list")).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_it_offers_no_writes_on_meetings(api_client, method):
    """Meetings take no creation, replacement or deletion; PATCH is for curators only."""
    meeting = MeetingFactory()
    api_client.force_authenticate(UserFactory())

    list_response = getattr(api_client, method)(reverse("api:meeting-list"), {})
    detail_response = getattr(api_client, method)(reverse("api:meeting-detail", args=[meeting.pk]))

    assert list_response.status_code == 405
    assert detail_response.status_code == (403 if method == "patch" else 405)


def test_it_throttles_anonymous_readers(api_client, monkeypatch):
    """Beyond the anonymous rate, reads get 429 with Retry-After."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "5/minute"}
    )
    url = reverse("api:meeting-list")

    statuses = [api_client.get(url).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert "detail" in api_client.get(url).json()


def test_it_counts_anonymous_readers_at_the_anonymous_rate_alone(api_client, monkeypatch):
    """The user rate is for signed-in users: a stricter one does not reach anonymous readers."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "4/minute", "user": "2/minute"}
    )
    url = reverse("api:meeting-list")

    statuses = [api_client.get(url).status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 200, 429]


def test_it_throttles_users_at_their_own_rate(api_client, monkeypatch):
    """Signed-in users have the user rate, counted per user."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1/minute", "user": "3/minute"}
    )
    api_client.force_authenticate(UserFactory())
    url = reverse("api:meeting-list")

    statuses = [api_client.get(url).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


# The FilterSets ----------------------------------------------------------------------------


def test_it_documents_every_meeting_filter_in_the_schema(api_client):
    """Every MeetingFilterSet filter appears as a parameter of the list in the schema."""
    from diplomacy.filtersets import MeetingFilterSet

    schema = api_client.get(reverse("schema"), {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/meetings/"]["get"]["parameters"]

    names = {parameter["name"] for parameter in parameters}
    assert set(MeetingFilterSet.base_filters) | {"page", "page_size", "format"} <= names
