"""Bad input through every channel (API, form, command, URL) and every filter.

Whatever arrives, the answer is a clear 4xx or a failed article with a message, never a 500;
a refusal leaves everything stored as it was. Texts that are odd but legitimate (mixed
scripts, right-to-left text, very long articles, markup) are stored exactly.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from articles.models import Article, Source
from articles.services import article_ingest
from articles.tasks import article_fetch
from diplomacy.models import Evidence, Location, Meeting, Person, Topic
from tests.factories import (
    ArticleFactory,
    LocationFactory,
    MeetingFactory,
    PersonFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
)
from tests.test_reliability import HostileSite, hostile_server_running, limit_fetching

pytestmark = pytest.mark.django_db

LIMIT = 5_000  # ARTICLE_MAX_CHARS for these tests, so "over the limit" stays small
READOUT = (
    "Secretary Blinken met Foreign Minister Wang Yi in Beijing on Friday. "
    "They discussed counternarcotics cooperation and Taiwan."
)
MIXED = (
    "Blinken met 王毅 in Beijing. Шольц did not attend. "
    "وقال المتحدث إن المحادثات كانت بناءة. השיחות נמשכו שעתיים. 🤝 done."
)
HTML_TEXT = (
    "Envoys met in Geneva. <script>alert(1)</script> "
    '<img src=x onerror="alert(2)"> <a href="javascript:alert(3)">link</a> followed.'
)

# name → text (str) or raw bytes; each is refused by every channel.
REFUSED = {
    "empty": "",
    "whitespace": " \n\t \u3000\u00a0 \r\n ",
    "punctuation only": "... --- !!! ???",
    "over the limit": "word " * (LIMIT // 4),
    "binary": bytes(range(256)).decode("latin-1") * 4,
    "nul bytes": "Envoys met.\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    "invalid utf-8": b"Envoys met in Geneva \xff\xfe\xfa on Friday.",
}
# name → text; each is stored exactly (after Unicode NFC), by every channel.
ACCEPTED = {
    "mixed scripts and rtl": MIXED,
    "html with script and handlers": HTML_TEXT,
}
IMPOSSIBLE_DATES = ["2024-02-30", "99999-01-01", "2024-13-01", "1850-06-01", "2999-01-01", "soon"]


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.ARTICLE_MAX_CHARS = LIMIT
    cache.clear()  # throttle counters


@pytest.fixture(scope="module")
def hostile_server():
    with hostile_server_running() as server:
        yield server


@pytest.fixture
def hostile_site(hostile_server, settings) -> HostileSite:
    limit_fetching(settings)
    return hostile_server


@pytest.fixture
def long_texts(hostile_site, settings) -> HostileSite:
    """The hostile site, with the production limits on text and page sizes."""
    settings.ARTICLE_MAX_CHARS = 1_000_000
    settings.FETCH_MAX_BYTES = 5_000_000
    settings.FETCH_TIMEOUT = 15
    return hostile_site


@pytest.fixture
def analyst():
    return UserFactory(username="analyst")


def snapshot() -> dict:
    """Everything a refused submission must leave as it was."""
    return {
        "articles": list(Article.objects.order_by("pk").values_list("pk", "status", "body")),
        "sources": Source.objects.count(),
        "meetings": Meeting.objects.count(),
        "evidence": Evidence.objects.count(),
        "people": Person.objects.count(),
    }


@dataclass
class Outcome:
    refused: bool
    status: int  # HTTP status, or 0 for the command
    message: str


# One function per channel: send a text (str or bytes) with optional fields.


def via_api(user, text, **fields) -> Outcome:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {ApiToken.objects.get_or_create(user=user)[0].key}"
    )
    url = reverse("api:article-list")
    if isinstance(text, bytes):
        response = client.post(url, text, content_type="text/plain; charset=utf-8")
    else:
        response = client.post(url, {"body": text, **fields}, format="json")
    assert response.status_code < 500, response.content[:500]
    return Outcome(response.status_code >= 400, response.status_code, response.content.decode())


def via_form(user, text, **fields) -> Outcome:
    client = Client()
    client.force_login(user)
    url = reverse("ingest")
    if isinstance(text, bytes):
        # A browser posting bytes that are not UTF-8 in a UTF-8 form.
        from urllib.parse import quote_from_bytes

        payload = "body=" + quote_from_bytes(text)
        response = client.post(url, payload, content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(url, {"body": text, **fields})
    assert response.status_code < 500
    refused = response.status_code != 302
    return Outcome(refused, response.status_code, response.content.decode())


def via_command(user, text, tmp_path, **options) -> Outcome:
    path = tmp_path / "input.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    stdout, stderr = io.StringIO(), io.StringIO()
    args = [f"--{name}={value}" for name, value in options.items()]
    try:
        call_command("ingest", str(path), *args, stdout=stdout, stderr=stderr)
    except CommandError as error:
        return Outcome(True, 0, f"{error} {stderr.getvalue()}")
    return Outcome(False, 0, stdout.getvalue())


def via_url(site, text, name: str) -> Outcome:
    """Serve the text as a page and ingest its address: refusals end as failed articles."""
    body = text if isinstance(text, bytes) else text.encode()
    url = site.serve(f"/bad/{abs(hash(name))}", lambda h: h.reply(body, "text/plain"))
    article = article_ingest(url=url).article
    article_fetch(article.pk)
    article.refresh_from_db()
    return Outcome(article.status == "failed", 0, article.error)


def assert_readable(outcome: Outcome, *words: str) -> None:
    assert outcome.refused, outcome
    assert any(word.lower() in outcome.message.lower() for word in words), outcome.message


# Refused texts --------------------------------------------------------------------------

# Words one of which the message of each refusal must contain.
REASONS = {
    "empty": ("empty", "send the article", "paste the text", "required", "no words"),
    "whitespace": ("empty", "send the article", "paste the text", "no words"),
    "punctuation only": ("no words",),
    "over the limit": ("limit",),
    "binary": ("binary", "control characters", "null characters", "not utf-8", "not valid"),
    "nul bytes": ("binary", "control characters", "null characters"),
    "invalid utf-8": ("not utf-8", "not valid utf-8", "utf-8"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_it_refuses_bad_text_through_the_api(analyst, name):
    """The API answers a 4xx with a message and stores nothing."""
    before = snapshot()
    outcome = via_api(analyst, REFUSED[name])
    assert outcome.status in (400, 413), outcome
    assert_readable(outcome, *REASONS[name])
    assert snapshot() == before


@pytest.mark.parametrize("name", [n for n in REFUSED if n != "invalid utf-8"])
def test_it_refuses_bad_text_through_the_form(analyst, name):
    """The form shows the reason next to the text and stores nothing."""
    before = snapshot()
    outcome = via_form(analyst, REFUSED[name])
    assert outcome.status == 200
    assert 'class="field-error"' in outcome.message or "notice-error" in outcome.message
    assert_readable(outcome, *REASONS[name])
    assert snapshot() == before


def test_it_stores_invalid_utf8_from_the_form_with_replacement_characters(analyst):
    """Browsers never send invalid UTF-8; when one does, the bad bytes become U+FFFD."""
    outcome = via_form(analyst, REFUSED["invalid utf-8"])
    assert not outcome.refused
    assert Article.objects.get().body == "Envoys met in Geneva \ufffd\ufffd\ufffd on Friday."


@pytest.mark.parametrize("name", list(REFUSED))
def test_it_refuses_bad_text_through_the_command(analyst, name, tmp_path):
    """The command names the file and the reason, exits with an error and stores nothing."""
    before = snapshot()
    outcome = via_command(analyst, REFUSED[name], tmp_path)
    assert_readable(outcome, *REASONS[name])
    assert "Nothing was ingested" in outcome.message
    assert snapshot() == before


@pytest.mark.parametrize("name", [n for n in REFUSED if n not in ("invalid utf-8",)])
def test_it_fails_a_url_whose_page_is_bad_text(hostile_site, name):
    """A page with no usable text ends as a failed article with the reason, and no body."""
    outcome = via_url(hostile_site, REFUSED[name], name)
    assert_readable(outcome, *REASONS[name], "no article text")
    article = Article.objects.get()
    assert article.body == "" and article.content_hash is None
    assert Meeting.objects.count() == 0


def test_it_reads_a_page_with_invalid_utf8_with_replacement_characters(hostile_site):
    """A page whose bytes are not valid UTF-8 is still read, the bad bytes replaced."""
    outcome = via_url(hostile_site, REFUSED["invalid utf-8"], "invalid utf-8")
    assert not outcome.refused, outcome
    assert "Envoys met in Geneva" in Article.objects.get().body


# Odd but legitimate texts ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_it_stores_odd_but_legitimate_text_exactly_through_every_channel(
    analyst, hostile_site, tmp_path, name
):
    """Mixed scripts, right-to-left text and markup are stored as sent by each channel."""
    text = ACCEPTED[name]
    expected = unicodedata.normalize("NFC", text)
    for channel in ("api", "form", "command", "url"):
        Article.objects.all().delete()
        if channel == "api":
            outcome = via_api(analyst, text)
            assert outcome.status == 202
        elif channel == "form":
            outcome = via_form(analyst, text)
        elif channel == "command":
            outcome = via_command(analyst, text, tmp_path)
        else:
            outcome = via_url(hostile_site, text, name)
        assert not outcome.refused, (channel, outcome)
        body = Article.objects.get().body
        if channel == "url" and "<" in text:
            # A page's markup is the page, not the article: only its text is kept.
            assert body.startswith("Envoys met in Geneva.") and "<" not in body
        else:
            assert body == expected, channel


def via(channel: str, user, text: str, site, tmp_path) -> Outcome:
    """Send a text through one channel by name."""
    if channel == "api":
        return via_api(user, text)
    if channel == "form":
        return via_form(user, text)
    if channel == "command":
        return via_command(user, text, tmp_path)
    return via_url(site, text, f"long-{len(text)}")


CHANNELS = ("api", "form", "command", "url")


@pytest.mark.parametrize("channel", CHANNELS)
def test_it_stores_a_hundred_thousand_word_article(analyst, long_texts, tmp_path, channel):
    """A very long article within the limit is accepted whole by every channel."""
    words = (READOUT + " ").split() * (100_000 // len(READOUT.split()) + 1)
    text = " ".join(words[:100_000])

    outcome = via(channel, analyst, text, long_texts, tmp_path)

    assert not outcome.refused, (channel, outcome.message[:300])
    assert len(Article.objects.get().body.split()) == 100_000


@pytest.mark.parametrize("channel", CHANNELS)
def test_it_refuses_a_single_one_megabyte_line_over_the_limit(
    analyst, long_texts, tmp_path, channel
):
    """One line of a mebibyte is over the default limit: refused saying so, nothing stored."""
    line = ("Envoys met in Geneva and talked " * 40_000)[: 1024 * 1024]

    outcome = via(channel, analyst, line, long_texts, tmp_path)

    assert_readable(outcome, "limit is 1,000,000")
    if channel == "api":
        assert outcome.status == 413
    stored = Article.objects.filter(body__gt="")
    assert not stored.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_it_stores_a_long_single_line_within_the_limit(analyst, long_texts, tmp_path, channel):
    """A long text with no line breaks at all is still one article, through every channel."""
    line = ("Envoys met in Geneva and talked " * 30_000).strip()

    outcome = via(channel, analyst, line, long_texts, tmp_path)

    assert not outcome.refused, (channel, outcome.message[:300])
    assert "\n" not in Article.objects.get().body


def test_it_refuses_a_stray_nul_through_the_api(analyst):
    """The API refuses any NUL in the text with a 400 naming the field."""
    outcome = via_api(analyst, READOUT.replace("Friday", "Fri\x00day"))
    assert outcome.status == 400
    assert "Null characters are not allowed" in outcome.message
    assert Article.objects.count() == 0


def test_it_drops_stray_control_characters_from_a_file(analyst, tmp_path):
    """A stray NUL or escape in a real text file is dropped (PostgreSQL cannot store NUL)."""
    text = READOUT.replace("Friday", "Fri\x00day\x1b") + "\n\n" + READOUT
    outcome = via_command(analyst, text, tmp_path)
    assert not outcome.refused, outcome
    assert Article.objects.get().body == READOUT + "\n\n" + READOUT


def test_it_refuses_deeply_nested_json_with_400(analyst):
    """JSON nested thousands deep is a parse error for the client, not a server error."""
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=analyst).key}")
    nested = b'{"body": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = client.post(reverse("api:article-list"), nested, content_type="application/json")
    assert response.status_code == 400
    assert Article.objects.count() == 0


# Dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
def test_it_refuses_impossible_dates_through_the_api(analyst, value):
    """A malformed, impossible, ancient or future date is a 400 naming the field."""
    before = snapshot()
    outcome = via_api(analyst, READOUT, published_at=value)
    assert outcome.status == 400
    assert "published_at" in outcome.message or "publication date" in outcome.message
    assert snapshot() == before


@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
def test_it_refuses_impossible_dates_through_the_form(analyst, value):
    """The form shows the date's problem and stores nothing."""
    before = snapshot()
    outcome = via_form(analyst, READOUT, published_at=value)
    assert outcome.refused and outcome.status == 200
    assert "field-error" in outcome.message
    assert snapshot() == before


@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
def test_it_refuses_impossible_dates_through_the_command(analyst, value, tmp_path):
    """The command refuses the date before reading anything."""
    before = snapshot()
    outcome = via_command(analyst, READOUT, tmp_path, published=value)
    assert outcome.refused
    assert "date" in outcome.message.lower()
    assert snapshot() == before


@pytest.mark.parametrize("value", ["2024-02-30", "99999-01-01", "1066-10-14", "not a date"])
def test_it_ignores_an_impossible_date_in_page_metadata(hostile_site, value):
    """A page claiming an impossible publication date is stored without a date."""
    page = (
        "<html><head><title>Talks</title>"
        f"<meta property='article:published_time' content='{value}'></head>"
        f"<body><article><p>{READOUT}</p><p>{READOUT} Again.</p></article></body></html>"
    ).encode()
    url = hostile_site.serve(f"/dated/{abs(hash(value))}", lambda h: h.reply(page, "text/html"))
    article = article_ingest(url=url).article

    article_fetch(article.pk)

    article.refresh_from_db()
    assert article.status == "pending" and article.body
    assert article.published_at is None or article.published_at.year >= 1900


# Sources ----------------------------------------------------------------------------------


def test_it_creates_an_unknown_source_on_first_use(analyst):
    """A source name never seen before becomes a new source, as documented."""
    outcome = via_api(analyst, READOUT, source="Harbour Daily")
    assert outcome.status == 202
    assert Article.objects.get().source.slug == "harbour-daily"


@pytest.mark.parametrize("name", ["!!!", "---", "\u200b\u200b"])
def test_it_refuses_a_source_name_that_is_no_name(analyst, name, tmp_path):
    """A source name with no letters or digits is refused by the API, the form and the command."""
    before = snapshot()
    api = via_api(analyst, READOUT, source=name)
    form = via_form(analyst, READOUT, source=name)
    command = via_command(analyst, READOUT, tmp_path, source=name)
    assert api.status == 400
    assert "source" in api.message
    assert_readable(form, "no letters or digits")
    assert_readable(command, "no letters or digits")
    assert snapshot() == before


def test_it_refuses_a_source_name_over_the_limit_through_the_api(analyst):
    """The API names the source field when its value is too long."""
    outcome = via_api(analyst, READOUT, source="x" * 201)
    assert outcome.status == 400
    assert "source" in outcome.message
    assert Source.objects.count() == 0


def test_it_refuses_unknown_source_slugs_in_filters(api_client):
    """Filtering articles by a source that does not exist is a 400, not an empty page."""
    response = api_client.get(reverse("api:article-list"), {"source": "no-such-source"})
    assert response.status_code == 400
    assert "source" in response.json()["errors"]


# Hostile filter values ------------------------------------------------------------------

HOSTILE_VALUES = [
    "' OR 1=1 --",
    "x') UNION SELECT password FROM auth_user --",
    "%_\\",
    "null\x00byte",
    "🤝\u202e" * 50,
    "a" * 5000,
    "-1",
    "99999999999999999999999999",
    "NaN",
]
FILTERS = {
    "api:meeting-list": [
        "topic",
        "participant",
        "location",
        "kind",
        "status",
        "date_from",
        "date_to",
        "q",
        "ordering",
        "page",
        "page_size",
    ],
    "api:article-list": [
        "status",
        "source",
        "published_from",
        "published_to",
        "meeting",
        "topic",
        "q",
        "page",
        "page_size",
    ],
    "api:person-list": ["q", "country", "role", "review_state", "page", "page_size"],
    "api:topic-list": ["q", "parent", "page", "page_size"],
    "api:location-list": ["q", "kind", "country", "parent", "within", "page", "page_size"],
}
PAGES = {
    "diplomacy:timeline": FILTERS["api:meeting-list"],
    "diplomacy:search": ["q", "page"],
    "feeds:meetings-atom": ["topic", "location", "date_from", "q"],
    "feeds:meetings-ics": ["participant", "kind", "date_to", "ordering"],
}


@pytest.fixture
def some_rows():
    china = LocationFactory(name="China", kind="country", country="CN")
    beijing = LocationFactory(name="Beijing", kind="city", country="CN", parent=china)
    topic = TopicFactory(name="Taiwan", slug="taiwan")
    person = PersonFactory(name="Wang Yi", slug="wang-yi", country="CN")
    meeting = MeetingFactory(title="Talks", slug="talks", location=beijing)
    meeting.participations.create(person=person, side="cn")
    meeting.meeting_topics.create(topic=topic)
    ArticleFactory(source=SourceFactory(name="Harbour Daily"))
    return topic


def _hostile_requests(routes: dict):
    for name, params in routes.items():
        for param in params:
            for value in HOSTILE_VALUES:
                yield name, {param: value}


def test_it_answers_hostile_api_filters_with_4xx_or_results(api_client, some_rows):
    """SQL fragments, NUL bytes, huge or negative numbers and unknown slugs never cause a 500."""
    before = snapshot()
    statuses: dict[int, int] = {}
    for name, params in _hostile_requests(FILTERS):
        response = api_client.get(reverse(name), params)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (200, 400, 404), (name, params, response.status_code)
        if response.status_code == 200:
            assert response.json()["count"] <= Article.objects.count() + 10
        else:
            assert response.json()["detail"], (name, params)
    assert snapshot() == before
    assert statuses.get(400, 0) > 0 and statuses.get(200, 0) > 0


def test_it_answers_hostile_page_filters_without_failing(client, some_rows):
    """The pages and feeds take the same hostile values without a 500."""
    before = snapshot()
    for name, params in _hostile_requests(PAGES):
        response = client.get(reverse(name), params)
        assert response.status_code in (200, 400, 404), (name, params, response.status_code)
    for slug in ("' OR 1=1 --", "no-such-topic", "a" * 300):
        for route in ("diplomacy:topic", "diplomacy:person", "diplomacy:meeting"):
            url = reverse(route, args=["placeholder"]).replace("placeholder", slug)
            assert client.get(url).status_code == 404, (route, slug)
        response = client.get(reverse("api:topic-detail", args=["x"]).replace("/x/", f"/{slug}/"))
        assert response.status_code == 404
    for pk in ("0", "-1", "99999999999999999999999"):
        for url in ("/api/v1/meetings/{}/", "/api/v1/articles/{}/", "/articles/{}/"):
            assert client.get(url.format(pk)).status_code == 404, url.format(pk)
    assert snapshot() == before


@pytest.mark.parametrize("size", ["-5", "0", "501", "100000000000"])
def test_it_caps_or_refuses_page_sizes(api_client, some_rows, size):
    """Negative, zero and huge page sizes fall back to the default or the 500-row cap."""
    response = api_client.get(reverse("api:meeting-list"), {"page_size": size})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert len(response.json()["results"]) <= 500


def test_it_answers_a_page_past_the_end_with_404(api_client, some_rows):
    """A huge page number is a 404 with a message, not an empty 200 or an error."""
    response = api_client.get(reverse("api:meeting-list"), {"page": "99999999999"})
    assert response.status_code == 404
    assert "page" in response.json()["detail"].lower()


def test_it_shows_the_last_page_for_a_page_past_the_end(client, some_rows):
    """The timeline shows its last page rather than an error for a page past the end."""
    response = client.get(reverse("diplomacy:timeline"), {"page": "99999999999"})
    assert response.status_code == 200
    assert "Talks" in response.content.decode()


def test_it_leaves_stored_rows_alone_after_sql_in_every_text_field(analyst, some_rows):
    """SQL in titles, sources and bodies is stored as text, and nothing else changes."""
    tables = (Topic, Person, Location, Meeting)
    before = {model.__name__: model.objects.count() for model in tables}
    fragment = "'); DELETE FROM diplomacy_topic; --"
    outcome = via_api(analyst, READOUT + fragment, title=fragment, source="Wire " + fragment)
    assert outcome.status == 202
    article = Article.objects.get(title=fragment)
    assert article.body.endswith(fragment)
    assert {model.__name__: model.objects.count() for model in tables} == before
