import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from articles.models import Article
from tests.factories import (
    ArticleFactory,
    EvidenceFactory,
    MeetingFactory,
    MentionFactory,
    PersonFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

READOUT = (
    "Secretary Blinken met Foreign Minister Wang Yi in Beijing on Friday. "
    "They discussed counternarcotics cooperation and Taiwan."
)


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def token(user):
    return ApiToken.objects.create(user=user)


@pytest.fixture
def token_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def submit(client, data=None, **kwargs):
    kwargs.setdefault("format", "json")
    return client.post(reverse("api:article-list"), data, **kwargs)


# Submitting --------------------------------------------------------------------------------


def test_it_accepts_an_article_with_202_and_a_url_to_poll(token_client):
    """A new text is stored once and answered 202 with its id, status and API URL."""
    response = submit(
        token_client,
        {"body": READOUT, "title": "Readout", "published_at": "2024-04-26", "source": "State"},
    )

    assert response.status_code == 202
    body = response.json()
    article = Article.objects.get()
    assert body["id"] == article.pk
    assert body["status"] == "pending"
    assert body["url"] == f"http://testserver{reverse('api:article-detail', args=[article.pk])}"
    assert response["Location"] == body["url"]
    assert type(response["Location"]) is str  # WSGI servers refuse str subclasses
    assert body["title"] == "Readout"
    assert body["published_at"] == "2024-04-26T12:00:00Z"
    assert body["source"]["name"] == "State"
    assert token_client.get(body["url"]).status_code == 200


def fresh_and_reloaded(**fields):
    """The article as the submit door holds it (just created), then as read back."""
    article = ArticleFactory(**fields)
    return [article, Article.objects.select_related("source").get(pk=article.pk)]


@pytest.mark.parametrize(
    "fields",
    [
        {"published_at": datetime.fromisoformat("2024-04-26T09:30:00+08:00"), "status": "pending"},
        {
            "status": "done",
            "processed_at": datetime(2024, 4, 27, 3, 4, 5, 678901, tzinfo=UTC),
            "extractor_version": "7",
        },
        {"status": "failed", "error": "No text.", "source": None, "published_at": None},
        {"body": "", "content_hash": None, "url": "https://example.org/a?b=1", "title": ""},
    ],
)
@pytest.mark.parametrize("query", ["", "?format=json"])
def test_it_answers_a_submission_exactly_as_the_article_serializer_would(fields, query):
    """The POST answer is built without the serializer, and says what the serializer says."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from articles.api.serializers import ArticleSerializer, article_item

    request = Request(APIRequestFactory().post(reverse("api:article-list") + query))
    for article in fresh_and_reloaded(**fields):
        expected = ArticleSerializer(article, context={"request": request}).data

        item = article_item(article, request)

        assert item == expected
        assert list(item) == list(expected)
        assert json.dumps(item) == json.dumps(expected)


def test_it_answers_200_with_the_existing_article_for_the_same_text(token_client):
    """The same text again (even re-spaced) returns the stored article, not a new one."""
    first = submit(token_client, {"body": READOUT})
    again = submit(token_client, {"body": "  " + READOUT.replace(" ", "  ") + "\n"})

    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Article.objects.count() == 1


def test_it_answers_200_for_a_url_already_stored(token_client):
    """Submitting a known address returns that article."""
    first = submit(token_client, {"url": "https://example.org/readout"})
    again = submit(token_client, {"url": "https://example.org/readout"})

    assert first.status_code == 202
    assert first.json()["source_url"] == "https://example.org/readout"
    assert again.status_code == 200
    assert Article.objects.count() == 1


def test_it_accepts_form_data(token_client):
    """Form-encoded submissions work like JSON."""
    response = token_client.post(
        reverse("api:article-list"), {"body": READOUT, "title": "Readout"}, format="multipart"
    )

    assert response.status_code == 202
    assert Article.objects.get().title == "Readout"


def test_it_accepts_urlencoded_form_data(token_client):
    """application/x-www-form-urlencoded submissions work like JSON."""
    response = token_client.post(
        reverse("api:article-list"),
        f"body={READOUT}&title=Readout",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 202
    assert Article.objects.get().body == READOUT


def test_it_accepts_plain_text_with_metadata_in_the_query_string(token_client):
    """A text/plain body is the article; title and date come from the query string."""
    url = reverse("api:article-list") + "?title=Readout&published_at=2024-04-26"

    response = token_client.post(url, READOUT, content_type="text/plain; charset=utf-8")

    assert response.status_code == 202
    article = Article.objects.get()
    assert article.body == READOUT
    assert article.title == "Readout"
    assert article.published_at.date().isoformat() == "2024-04-26"


def test_it_refuses_plain_text_in_the_wrong_encoding(token_client):
    """Bytes that are not valid in the declared charset are a 400."""
    response = token_client.post(
        reverse("api:article-list"), b"\xff\xfe\xfa", content_type="text/plain; charset=utf-8"
    )

    assert response.status_code == 400
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "body"),
        ({"body": "   "}, "body"),
        ({"body": ["a list"]}, "body"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.org/file"}, "url"),
        ({"body": READOUT, "published_at": "last Friday"}, "published_at"),
        ({"body": READOUT, "published_at": "2024-02-30"}, "published_at"),
        ({"body": READOUT, "published_at": 20240226}, "published_at"),
        ({"body": READOUT, "title": "x" * 501}, "title"),
        ({"body": READOUT, "source": "s" * 201}, "source"),
    ],
)
def test_it_refuses_invalid_fields_with_messages_per_field(token_client, data, field):
    """Invalid input is a 400 with a message under the field's name, and stores nothing."""
    response = submit(token_client, data)

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}
    assert field in response.json()["errors"]
    assert Article.objects.count() == 0


def test_it_refuses_a_lone_surrogate_in_the_text_naming_it(token_client):
    """JSON can escape half of a surrogate pair; such a text is refused, not stored."""
    body = READOUT + " \ud83e and more."
    payload = json.dumps({"body": body})  # ASCII, the half pair escaped

    response = token_client.post(
        reverse("api:article-list"), payload.encode(), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["body"] == ["Surrogate characters are not allowed: U+D83E."]
    assert Article.objects.count() == 0


OFFSETS_BEYOND_ANY_TIME_ZONE = [
    "2024-01-01T00:00:00+16:00",
    "2024-01-01T00:00:00-16:00",
    "2024-01-01T00:00:00+23:59",
    "2024-01-01T12:30:00-20:15",
]


@pytest.mark.parametrize("published_at", OFFSETS_BEYOND_ANY_TIME_ZONE)
@pytest.mark.parametrize("channel", ["json", "multipart", "text/plain"])
def test_it_refuses_a_utc_offset_the_database_cannot_store(token_client, published_at, channel):
    """An offset beyond ±15:59 is a 400 naming published_at on every channel, not a 500."""
    if channel == "text/plain":
        url = reverse("api:article-list") + "?" + urlencode({"published_at": published_at})
        response = token_client.post(url, READOUT, content_type="text/plain; charset=utf-8")
    else:
        response = submit(
            token_client, {"body": READOUT, "published_at": published_at}, format=channel
        )

    assert response.status_code == 400
    assert "published_at" in response.json()["errors"]
    assert Article.objects.count() == 0


@pytest.mark.parametrize("published_at", ["2024-01-01T00:00:00+14:00", "2024-01-01T00:00:00-12:00"])
def test_it_accepts_the_widest_real_offsets(token_client, published_at):
    """UTC+14 (Kiribati) and UTC-12 are real time zones and are stored as the same instant."""
    response = submit(token_client, {"body": READOUT, "published_at": published_at})

    assert response.status_code == 202
    assert Article.objects.get().published_at == datetime.fromisoformat(published_at)


@pytest.mark.parametrize(
    "data",
    [
        {"body": READOUT, "published_at": "2999-01-01"},
        {"body": READOUT, "published_at": "1850-01-01"},
        {"body": "\x01\x02\x03\x04 binary"},
        {"body": READOUT, "source": "!!!"},
    ],
)
def test_it_refuses_what_the_ingest_service_refuses(token_client, data):
    """The service's refusals (dates out of range, binary data) are 400s with a detail."""
    response = submit(token_client, data)

    assert response.status_code == 400
    assert response.json()["detail"]
    assert Article.objects.count() == 0


def test_it_refuses_text_over_the_limit_with_413(token_client, settings):
    """A text longer than ARTICLE_MAX_CHARS is a 413 and stores nothing."""
    settings.ARTICLE_MAX_CHARS = 1000

    response = submit(token_client, {"body": "word " * 300})

    assert response.status_code == 413
    assert "1,000" in response.json()["detail"]
    assert Article.objects.count() == 0


def test_it_refuses_a_huge_request_before_reading_it(token_client, settings):
    """A request body far beyond the limit is refused with 413 from its Content-Length."""
    settings.ARTICLE_MAX_CHARS = 1000
    body = json.dumps({"body": "x" * 100_000})

    response = token_client.post(reverse("api:article-list"), body, content_type="application/json")

    assert response.status_code == 413
    assert "bytes" in response.json()["detail"]
    assert Article.objects.count() == 0


def test_it_refuses_oversized_multipart_data_naming_the_limits(token_client, settings):
    """Multipart fields beyond Django's cap are a 413 naming that cap and the text limit."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    settings.ARTICLE_MAX_CHARS = 10_000

    response = token_client.post(
        reverse("api:article-list"), {"body": "x" * 5000}, format="multipart"
    )

    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "2,000 bytes" in detail
    assert "10,000 characters" in detail


# One character of text: 4 bytes of UTF-8, 6 as a JSON \uXXXX escape, 12 as a surrogate pair.
WIDE_TEXTS = {
    "chinese": "外交部长会见美国国务卿",
    "emoji": "\U0001f91d谈判\U0001f30f",
}


def wide_body(script: str, length: int) -> str:
    words = (WIDE_TEXTS[script] + " ") * (length // (len(WIDE_TEXTS[script]) + 1) + 1)
    return words[:length].strip()


def post_wide(client, body: str, how: str):
    url = reverse("api:article-list")
    if how == "text/plain":
        return client.post(url, body.encode(), content_type="text/plain; charset=utf-8")
    if how == "urlencoded":
        return client.post(
            url, urlencode({"body": body}), content_type="application/x-www-form-urlencoded"
        )
    payload = json.dumps({"body": body}, ensure_ascii=how == "json-escaped")
    return client.post(url, payload.encode(), content_type="application/json")


@pytest.mark.parametrize("script", sorted(WIDE_TEXTS))
@pytest.mark.parametrize("how", ["json", "json-escaped", "urlencoded", "text/plain"])
def test_it_accepts_a_text_at_the_limit_in_any_script_and_encoding(
    token_client, settings, script, how
):
    """ARTICLE_MAX_CHARS characters get in however wide their bytes, whatever Django's cap."""
    settings.ARTICLE_MAX_CHARS = 2000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2500  # the default's ratio: 2.5 bytes a character
    body = wide_body(script, 2000)

    response = post_wide(token_client, body, how)

    assert response.status_code == 202, response.content
    assert Article.objects.get().body == body


@pytest.mark.slow
def test_it_accepts_the_documented_million_characters_of_escaped_json(token_client, settings):
    """At the shipped settings, 1,000,000 Chinese characters sent \\u-escaped (6 MB) get in."""
    assert settings.ARTICLE_MAX_CHARS == 1_000_000
    body = wide_body("chinese", 1_000_000)

    response = post_wide(token_client, body, "json-escaped")

    assert response.status_code == 202, response.content
    assert len(Article.objects.get().body) == len(body)


@pytest.mark.parametrize("content_type", ["application/xml", "image/png", "text/html"])
def test_it_refuses_unsupported_content_types_with_415(token_client, content_type):
    """Only JSON, form data and plain text are accepted."""
    response = token_client.post(reverse("api:article-list"), b"<a/>", content_type=content_type)

    assert response.status_code == 415
    assert set(response.json()) == {"detail"}
    assert Article.objects.count() == 0


def test_it_refuses_malformed_json_with_400(token_client):
    """A body that is not JSON is a 400 in the error shape."""
    response = token_client.post(
        reverse("api:article-list"), b'{"body": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert "detail" in response.json()


# Who may submit ----------------------------------------------------------------------------


def test_it_refuses_anonymous_submissions_with_401(api_client):
    """Writing needs credentials even when reading is public."""
    response = submit(api_client, {"body": READOUT})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert Article.objects.count() == 0


def test_it_refuses_a_revoked_token(token_client, token):
    """A deleted token no longer authenticates."""
    token.delete()

    response = submit(token_client, {"body": READOUT})

    assert response.status_code == 401
    assert Article.objects.count() == 0


def test_it_refuses_an_unknown_token(api_client):
    """A made-up token is refused."""
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert submit(api_client, {"body": READOUT}).status_code == 401


def test_it_needs_a_csrf_token_for_session_writes(user):
    """A signed-in browser session must send the CSRF token to write."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    without = submit(client, {"body": READOUT})
    client.get(reverse("login"))  # any page with a form sets the CSRF cookie
    csrf_token = client.cookies["csrftoken"].value
    with_token = submit(client, {"body": READOUT}, HTTP_X_CSRFTOKEN=csrf_token)

    assert without.status_code == 403
    assert "CSRF" in without.json()["detail"]
    assert with_token.status_code == 202


def test_it_throttles_submissions_at_the_ingest_rate(token_client, monkeypatch):
    """POSTs have their own, stricter rate; reads are not counted against it."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "100/minute", "user": "100/minute", "ingest": "2/minute"},
    )

    statuses = [
        submit(token_client, {"body": f"{READOUT} Round {n}."}).status_code for n in range(3)
    ]

    assert statuses == [202, 202, 429]
    assert token_client.get(reverse("api:article-list")).status_code == 200
    assert Article.objects.count() == 2


def test_it_lets_staff_create_and_revoke_tokens_in_the_admin(client):
    """The admin's API tokens page creates a token for a user and deletes it."""
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    analyst = UserFactory(username="analyst")
    client.force_login(admin)

    created = client.post(reverse("admin:accounts_apitoken_add"), {"user": analyst.pk})
    token = ApiToken.objects.get(user=analyst)
    revoked = client.post(
        reverse("admin:accounts_apitoken_delete", args=[token.pk]), {"post": "yes"}
    )

    assert created.status_code == 302
    assert len(token.key) == 40
    assert revoked.status_code == 302
    assert not ApiToken.objects.filter(user=analyst).exists()


# Reading -----------------------------------------------------------------------------------


def test_it_shows_an_article_with_what_was_extracted(api_client):
    """The detail has status, error, the meetings it reports and its mentions by kind."""
    article = ArticleFactory(status="done")
    meeting = MeetingFactory(title="Blinken meets Wang")
    EvidenceFactory(article=article, meeting=meeting)
    EvidenceFactory(article=article, meeting=meeting, start=10)
    MentionFactory(
        article=article,
        kind="person",
        text="Wang Yi",
        start=20,
        end=27,
        person=PersonFactory(name="Wang Yi"),
    )
    MentionFactory(article=article, kind="topic", text="Taiwan", topic=TopicFactory(name="Taiwan"))
    MentionFactory(
        article=article, kind="date", text="Friday", start=40, end=46, value="2024-04-26"
    )

    response = api_client.get(reverse("api:article-detail", args=[article.pk]))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done"
    assert body["error"] == ""
    assert body["body"] == article.body
    assert body["meetings"] == [
        {
            "id": meeting.pk,
            "slug": "blinken-meets-wang",
            "title": "Blinken meets Wang",
            "url": "http://testserver/meetings/blinken-meets-wang/",
        }
    ]
    assert body["mentions"]["person"] == [
        {"text": "Wang Yi", "start": 20, "end": 27, "value": "", "slug": "wang-yi"}
    ]
    assert body["mentions"]["topic"][0]["slug"] == "taiwan"
    assert body["mentions"]["date"][0]["value"] == "2024-04-26"
    assert body["mentions"]["location"] == []
    assert body["mentions"]["title"] == []


def test_it_shows_why_an_article_failed(api_client):
    """A failed article carries its error text."""
    article = ArticleFactory(status="failed", error="The page could not be fetched.")

    body = api_client.get(reverse("api:article-detail", args=[article.pk])).json()

    assert body["status"] == "failed"
    assert body["error"] == "The page could not be fetched."
    assert body["meetings"] == []


def test_it_shows_an_article_in_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries
):
    """The detail costs the same queries however many meetings and mentions it has."""
    article = ArticleFactory()
    EvidenceFactory.create_batch(10, article=article)
    for start in range(0, 100, 10):
        MentionFactory(article=article, start=start, end=start + 5, topic=TopicFactory())

    # article with source, meetings, mentions with their people, places and topics
    with django_assert_max_num_queries(3):
        response = api_client.get(reverse("api:article-detail", args=[article.pk]))

    assert len(response.json()["meetings"]) == 10


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_articles_in_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, count
):
    """The list costs the same queries for 3 articles as for 30, and leaves bodies out."""
    ArticleFactory.create_batch(count)

    # count, page with sources
    with django_assert_max_num_queries(2):
        response = api_client.get(reverse("api:article-list"), {"page_size": 100})

    results = response.json()["results"]
    assert len(results) == count
    assert "body" not in results[0]


def test_it_filters_articles(api_client):
    """Articles filter by status, source, dates, meeting, topic and text."""
    state = SourceFactory(name="State")
    reported = ArticleFactory(
        title="Readout on fentanyl",
        source=state,
        published_at=datetime(2024, 4, 26, 10, tzinfo=UTC),
    )
    meeting = MeetingFactory()
    EvidenceFactory(article=reported, meeting=meeting)
    MentionFactory(article=reported, topic=TopicFactory(name="Fentanyl"))
    ArticleFactory(
        title="Pending story", status="pending", published_at=datetime(2022, 1, 1, 10, tzinfo=UTC)
    )

    def ids(**params):
        response = api_client.get(reverse("api:article-list"), params)
        assert response.status_code == 200, response.content
        return [article["id"] for article in response.json()["results"]]

    assert ids(status="pending") != [reported.pk]
    assert ids(status="done") == [reported.pk]
    assert ids(source="state") == [reported.pk]
    assert ids(published_from="2024-04-26") == [reported.pk]
    assert ids(published_to="2024-04-25") != [reported.pk]
    assert ids(meeting=meeting.pk) == [reported.pk]
    assert ids(topic="fentanyl") == [reported.pk]
    assert ids(q="fentanyl") == [reported.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"source": "nobody"}, "source"),
        ({"meeting": "abc"}, "meeting"),
        ({"meeting": "99999999999999999999"}, "meeting"),
        ({"published_from": "2024-99-01"}, "published_from"),
        ({"topic": "nope"}, "topic"),
    ],
)
def test_it_rejects_invalid_article_filters(api_client, params, field):
    """A bad article filter is a 400 naming the field."""
    response = api_client.get(reverse("api:article-list"), params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_it_treats_a_rejected_meeting_filter_as_an_unknown_meeting(api_client):
    """Filtering articles by a rejected meeting answers as for an id that does not exist."""
    rejected = MeetingFactory(review_state="rejected")
    EvidenceFactory(article=ArticleFactory(), meeting=rejected)
    unknown = rejected.pk + 1000

    by_rejected = api_client.get(reverse("api:article-list"), {"meeting": rejected.pk})
    by_unknown = api_client.get(reverse("api:article-list"), {"meeting": unknown})

    assert by_unknown.status_code == 400
    assert by_rejected.status_code == by_unknown.status_code
    assert by_rejected.json() == by_unknown.json()


def test_it_answers_404_for_an_unknown_article(api_client):
    """An unknown id is a JSON 404."""
    response = api_client.get(reverse("api:article-detail", args=[987654]))

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://analyst:s3cret@news.example.org/a?x=1#top", "https://news.example.org/a?x=1#top"),
        ("http://token@news.example.org:8080/b", "http://news.example.org:8080/b"),
        ("https://u:s3cret@[2606:4700::1111]/c", "https://[2606:4700::1111]/c"),
    ],
)
def test_it_stores_a_url_without_its_credentials(token_client, given, stored):
    """A user name or password in a submitted address is dropped before it is stored or shown."""
    response = submit(token_client, {"url": given})

    assert response.status_code == 202
    assert response.json()["source_url"] == stored
    assert Article.objects.get().url == stored
    assert "s3cret" not in json.dumps(token_client.get(response.json()["url"]).json())
