"""Quick fault tests: racing submissions, hostile web servers, broken feeds, lost messages.

The hostile web server here runs on 127.0.0.1 on a random port for the session; each test
gets small fetch limits so that hanging, looping and huge answers end within a second or two.
The long fault runs (killed workers, Redis outages, PostgreSQL restarts) live in bench/faults.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from rest_framework.test import APIClient

from accounts.models import ApiToken
from articles.feeds import source_poll
from articles.models import Article, Source
from articles.services import article_ingest
from articles.tasks import MAX_ATTEMPTS, article_fetch, articles_sweep
from tests.factories import ArticleFactory, SourceFactory, UserFactory

FETCH_TIMEOUT = 0.5
FETCH_MAX_BYTES = 50_000
READOUT = (
    "National Security Adviser Jake Sullivan met Foreign Minister Wang Yi in Bangkok on "
    "Friday. The two officials discussed Taiwan and counternarcotics cooperation."
)
PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Bangkok talks</title></head>"
    f"<body><article><h1>Bangkok talks</h1><p>{READOUT}</p><p>{READOUT}</p></article>"
    "</body></html>"
).encode()


# A hostile web server -----------------------------------------------------------------------


class HostileHandler(BaseHTTPRequestHandler):
    """Answers by path; `routes` maps a path to a function writing the answer."""

    protocol_version = "HTTP/1.1"
    routes: dict = {}

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def do_GET(self):
        self.server.seen.append(self.path)
        route = self.routes.get(self.path.split("?")[0])
        try:
            if route is None:
                self.reply(b"<h1>Not found</h1>", "text/html", status=404)
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def reply(self, body: bytes, content_type: str, status: int = 200, **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def stream(self, content_type: str) -> None:
        """Start a close-delimited answer whose length is not declared."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True


def _hang(handler):  # silent for four times the timeout
    time.sleep(FETCH_TIMEOUT * 4)
    handler.reply(PAGE, "text/html")


def _huge(handler):  # streams twenty times the cap without declaring a length
    handler.stream("text/html")
    for _ in range(FETCH_MAX_BYTES // 1000 * 20):
        handler.wfile.write(b"<p>" + b"x" * 993 + b"</p>")


def _trickle(handler):  # a byte at a time, each within the read timeout, for long
    handler.stream("text/html")
    for _ in range(40):
        handler.wfile.write(b"<")
        handler.wfile.flush()
        time.sleep(FETCH_TIMEOUT / 4)


HostileHandler.routes = {
    "/article.html": lambda h: h.reply(PAGE, "text/html; charset=utf-8"),
    "/hang": _hang,
    "/loop": lambda h: h.reply(b"", "text/html", status=302, Location="/loop"),
    "/huge": _huge,
    "/trickle": _trickle,
    "/report.pdf": lambda h: h.reply(b"%PDF-1.7\n" + b"\x00" * 300, "application/pdf"),
    "/photo.png": lambda h: h.reply(b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, "image/png"),
    "/broken.xml": lambda h: h.reply(
        b"<?xml version='1.0'?><rss version='2.0'><channel><<<>>> &&& </rss>", "application/xml"
    ),
    "/not-a-feed.xml": lambda h: h.reply(PAGE, "text/html"),
    "/server-error": lambda h: h.reply(b"oops", "text/html", status=500),
}


def _declared_huge(handler):  # declares a length far past the cap
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(FETCH_MAX_BYTES * 1000))
    handler.end_headers()
    handler.wfile.write(b"<p>" * 100)
    handler.close_connection = True


HostileHandler.routes["/huge-declared"] = _declared_huge


class HostileSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1"):
        super().__init__((host, 0), HostileHandler)
        self.base = f"http://{host}:{self.server_address[1]}"
        self.seen: list[str] = []  # paths requested, in order

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, route) -> str:
        """Add a route for this test session; return its URL."""
        HostileHandler.routes[path] = route
        return self.url(path)


@contextlib.contextmanager
def hostile_server_running(host: str = "127.0.0.1"):
    """Run the hostile server in a thread on a random loopback port."""
    server = HostileSite(host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def limit_fetching(settings) -> None:
    """Make the fetch limits small enough for the hostile answers to hit them quickly."""
    settings.FETCH_TIMEOUT = FETCH_TIMEOUT
    settings.FETCH_MAX_BYTES = FETCH_MAX_BYTES


@pytest.fixture(scope="session")
def hostile_server():
    with hostile_server_running() as server:
        yield server


@pytest.fixture
def hostile_site(hostile_server, settings) -> HostileSite:
    limit_fetching(settings)
    return hostile_server


@pytest.fixture
def queued():
    """Record what would go to the broker: extraction and fetch messages."""
    from diplomacy.tasks import article_extract

    record = {"extract": [], "fetch": []}
    with (
        patch.object(article_extract, "delay", side_effect=record["extract"].append),
        patch.object(article_fetch, "delay", side_effect=record["fetch"].append),
    ):
        yield record


# Racing submissions ---------------------------------------------------------------------


def race(count: int, action) -> list:
    """Run `action` in `count` threads released at the same moment; return their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except Exception as error:  # reported by the assertion on results
            results[index] = error
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("field", ["body", "url"])
def test_it_stores_one_article_for_ten_concurrent_submissions(queued, field):
    """Ten clients racing to submit the same text (or URL): one article, one 202, one message."""
    token = ApiToken.objects.create(user=UserFactory()).key
    value = READOUT if field == "body" else "https://example.org/bangkok-talks"

    def submit():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.post(reverse("api:article-list"), {field: value}, format="json")

    responses = race(10, submit)

    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == [200] * 9 + [202], statuses
    article = Article.objects.get()
    assert {r.json()["id"] for r in responses} == {article.pk}
    assert len(queued["extract"] if field == "body" else queued["fetch"]) == 1
    assert Source.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_source_for_concurrent_first_uses(queued):
    """Ten different texts naming a new source at once share one source row."""
    results = race(
        10, lambda: article_ingest(body=f"{READOUT} Report {time.time_ns()}.", source="New Wire")
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Source.objects.get().name == "New Wire"
    assert Article.objects.filter(source__slug="new-wire").count() == 10


# Hostile pages and feeds ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, reason",
    [
        ("/hang", "did not answer within"),
        ("/trickle", "took too long"),
        ("/loop", "More than 5 redirects"),
        ("/huge", "larger than the 50,000-byte limit"),
        ("/huge-declared", "larger than the 50,000-byte limit"),
        ("/report.pdf", "Unsupported content type 'application/pdf'"),
        ("/photo.png", "Unsupported content type 'image/png'"),
        ("/server-error", "The server answered 500"),
        ("/missing", "The server answered 404"),
    ],
)
def test_it_fails_a_url_article_with_a_readable_reason(hostile_site, queued, path, reason):
    """A page that hangs, loops, is huge or is not HTML leaves a failed article saying why."""
    article = article_ingest(url=hostile_site.url(path)).article
    started = time.monotonic()

    assert article_fetch(article.pk) == "failed"

    article.refresh_from_db()
    assert time.monotonic() - started < FETCH_TIMEOUT * 6
    assert article.status == "failed"
    assert reason in article.error
    assert article.body == "" and article.content_hash is None
    assert article.processed_at is not None
    assert queued["extract"] == []


@pytest.mark.django_db
def test_it_fails_an_unreachable_address_with_a_readable_reason(hostile_site, queued):
    """A refused connection is a failed article, not an exception in the worker."""
    article = article_ingest(url="http://127.0.0.1:9/nothing-listens-here").article

    assert article_fetch(article.pk) == "failed"

    article.refresh_from_db()
    assert article.error.startswith("Could not fetch http://127.0.0.1:9/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, reason",
    [
        ("/broken.xml", "not well-formed XML (not well-formed (invalid token) at line 1, column"),
        ("/not-a-feed.xml", "The address did not return an RSS or Atom feed."),
        ("/hang", "did not answer within"),
        ("/huge", "larger than the 50,000-byte limit"),
        ("/report.pdf", "Unsupported content type"),
    ],
)
def test_it_records_why_a_feed_could_not_be_read(hostile_site, queued, path, reason):
    """A broken or hostile feed leaves a readable error on its source and no articles."""
    source = SourceFactory(name="Harbour Daily", feed_url=hostile_site.url(path))

    assert source_poll(source) == 0

    source.refresh_from_db()
    assert reason in source.last_poll_error
    assert source.last_polled_at is not None
    assert Article.objects.count() == 0


@pytest.mark.django_db
def test_it_clears_a_feed_error_once_the_feed_is_readable_again(hostile_site, queued):
    """The error shown for a source is the last poll's, not a stale one."""
    source = SourceFactory(name="Harbour Daily", feed_url=hostile_site.url("/broken.xml"))
    source_poll(source)
    source.feed_url = hostile_site.serve(
        "/fixed.xml",
        lambda h: h.reply(
            b"<?xml version='1.0'?><rss version='2.0'><channel><title>Fixed</title>"
            b"</channel></rss>",
            "application/rss+xml",
        ),
    )
    source.save()

    source_poll(source)

    source.refresh_from_db()
    assert source.last_poll_error == ""


# Addresses a submitted URL must not reach -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "{base}/article.html",
        "http://localhost:{port}/article.html",
        "http://[::1]:{port}/article.html",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/admin/",
        "http://192.168.1.1/",
        "http://0.0.0.0:{port}/article.html",
    ],
)
def test_it_refuses_to_fetch_local_and_private_addresses(hostile_site, queued, settings, url):
    """A submitted URL cannot make the server read its own or its network's services."""
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    hostile_site.seen.clear()
    port = hostile_site.server_address[1]
    article = article_ingest(url=url.format(base=hostile_site.base, port=port)).article

    assert article_fetch(article.pk) == "failed"

    article.refresh_from_db()
    assert "private or local address" in article.error
    assert article.body == ""
    assert hostile_site.seen == []


@pytest.mark.django_db
def test_it_refuses_a_redirect_to_a_private_address(hostile_site, queued, settings):
    """A public page redirecting to an internal address is refused at the redirect."""
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    hostile_site.seen.clear()
    internal = hostile_site.url("/article.html")
    hostile_site.serve("/to-internal", lambda h: h.reply(b"", "text/html", 302, Location=internal))
    # 127.0.0.2 stands in for a public web server; 127.0.0.1 is what the redirect reaches.
    original = ipaddress.IPv4Address.is_global
    stand_in = property(lambda ip: str(ip) == "127.0.0.2" or original.fget(ip))
    with (
        hostile_server_running(host="127.0.0.2") as public,
        patch.object(ipaddress.IPv4Address, "is_global", stand_in),
    ):
        article = article_ingest(url=public.url("/to-internal")).article
        assert article_fetch(article.pk) == "failed"
        assert public.seen == ["/to-internal"]

    article.refresh_from_db()
    assert "private or local address (127.0.0.1)" in article.error
    assert hostile_site.seen == []


# Lost messages and the sweeper ----------------------------------------------------------


def age(article: Article, seconds: int) -> None:
    Article.objects.filter(pk=article.pk).update(
        status_changed_at=timezone.now() - timedelta(seconds=seconds)
    )


@pytest.mark.django_db
def test_it_sweeps_an_article_whose_message_was_lost(queued, settings):
    """A pending article older than INGEST_STALE_AFTER is queued again, once per sweep."""
    settings.INGEST_STALE_AFTER = 60
    lost = ArticleFactory(status="pending")
    fresh = ArticleFactory(status="pending")
    done = ArticleFactory(status="done")
    age(lost, 120)
    age(done, 120)

    assert articles_sweep() == 1
    assert articles_sweep() == 0  # the first sweep restarted its clock

    assert queued["extract"] == [lost.pk]
    lost.refresh_from_db()
    assert lost.status == "pending"
    assert timezone.now() - lost.status_changed_at < timedelta(seconds=5)
    assert fresh.pk not in queued["extract"] and done.pk not in queued["extract"]


@pytest.mark.django_db
def test_it_sweeps_an_article_a_dead_worker_left_processing(queued, settings):
    """An article stuck in processing (its worker died) goes back to pending and the queue."""
    settings.INGEST_STALE_AFTER = 60
    stuck = ArticleFactory(status="processing", attempts=1)
    age(stuck, 120)

    assert articles_sweep() == 1

    stuck.refresh_from_db()
    assert stuck.status == "pending"
    assert queued["extract"] == [stuck.pk]


@pytest.mark.django_db
def test_it_sweeps_a_url_article_back_to_its_fetch(queued, settings):
    """A URL-only article whose fetch message was lost is fetched again."""
    settings.INGEST_STALE_AFTER = 60
    article = article_ingest(url="https://example.org/lost").article
    age(article, 120)

    assert articles_sweep() == 1

    assert queued["fetch"] == [article.pk]
    assert queued["extract"] == []


@pytest.mark.django_db
def test_it_gives_up_after_the_last_attempt_with_a_reason(queued, settings):
    """An article that keeps failing ends failed with a message instead of looping forever."""
    settings.INGEST_STALE_AFTER = 60
    hopeless = ArticleFactory(status="processing", attempts=MAX_ATTEMPTS)
    age(hopeless, 120)

    assert articles_sweep() == 0

    hopeless.refresh_from_db()
    assert hopeless.status == "failed"
    assert f"Gave up after {MAX_ATTEMPTS} attempts" in hopeless.error
    assert queued["extract"] == []


@pytest.mark.django_db
def test_it_recovers_from_a_broker_outage_through_the_sweeper(
    django_capture_on_commit_callbacks, settings
):
    """Refused by the broker at submission, queued by the sweeper once the broker is back."""
    from diplomacy.tasks import article_extract

    settings.INGEST_STALE_AFTER = 60
    with (
        patch.object(article_extract, "delay", side_effect=BrokerError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        outcome = article_ingest(body=READOUT)
    article = outcome.article
    assert outcome.created
    assert Article.objects.get().status == "pending"
    age(article, 120)

    with patch.object(article_extract, "delay") as delay:
        assert articles_sweep() == 1

    delay.assert_called_once_with(article.pk)


def test_it_answers_503_in_the_api_shape_when_the_database_is_down(api_client, monkeypatch, db):
    """A database outage is a JSON 503 with Retry-After, not an HTML 500."""
    from django.db import OperationalError

    from diplomacy.api.views import MeetingViewSet
    from diplomacy.selectors.meeting_list import PlainMeetingList

    def down(self):
        raise OperationalError("server closed the connection unexpectedly")

    # Both ways the list reads: the queryset, and the plain statements of the common filters.
    monkeypatch.setattr(MeetingViewSet, "get_queryset", down)
    monkeypatch.setattr(PlainMeetingList, "_cursor", down)
    response = api_client.get(reverse("api:meeting-list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "retry" in response.json()["detail"]


def test_it_reports_an_unreachable_database_on_healthz_without_details(client, monkeypatch):
    """/healthz answers 503 when the database is down, and does not reveal where it is."""
    from django.db import connection as default_connection

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "10.0.0.5", port 5432 failed')

    from django.db import OperationalError

    monkeypatch.setattr(default_connection, "cursor", refuse)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
