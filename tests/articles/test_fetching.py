"""Fetching pages and feeds from servers that may be slow, huge, looping or wrongly typed."""

import contextlib
import ipaddress
import re
import socket
import ssl
import subprocess
import threading
import time
from unittest.mock import patch

import pytest

from articles.fetching import (
    FEED_TYPES,
    HTML_TYPES,
    MAX_REDIRECTS,
    Fetched,
    FetchError,
    address_is_public,
    fetch,
)
from tests.articles.conftest import ARTICLE_HTML, FEED_ETAG, FETCH_TIMEOUT, PLAIN_TEXT, Site


def test_it_returns_the_page_with_its_type_and_final_address(site):
    """A normal HTML page comes back whole, with its content type and address."""
    fetched = fetch(site.url("/article.html"), HTML_TYPES)

    assert isinstance(fetched, Fetched)
    assert fetched.status == 200
    assert fetched.content == ARTICLE_HTML
    assert fetched.content_type == "text/html"
    assert fetched.url == site.url("/article.html")


@pytest.mark.parametrize("path", ["/compressed.html", "/chunked.html"])
def test_it_reads_compressed_and_chunked_pages(site, path):
    """A gzip-encoded or chunked page comes back as the page itself."""
    assert fetch(site.url(path), HTML_TYPES).content == ARTICLE_HTML


def test_it_accepts_plain_text_pages(site):
    """A text/plain page is an accepted article type."""
    fetched = fetch(site.url("/plain.txt"), HTML_TYPES)

    assert fetched.content.decode() == PLAIN_TEXT
    assert fetched.content_type == "text/plain"


def test_it_identifies_itself_and_passes_extra_headers(site):
    """Requests carry the Backchannel user agent and the caller's headers."""
    fetch(site.url("/feed.xml"), FEED_TYPES, {"If-None-Match": FEED_ETAG})

    (request,) = site.requests_to("/feed.xml")
    assert request.headers["User-Agent"].startswith("Backchannel/")
    assert request.headers["If-None-Match"] == FEED_ETAG
    assert request.status == 304


def test_it_returns_an_empty_304_for_an_unchanged_resource(site):
    """A 304 answer is reported as such, with no content, not as an error."""
    fetched = fetch(site.url("/feed.xml"), FEED_TYPES, {"If-None-Match": FEED_ETAG})

    assert (fetched.status, fetched.content) == (304, b"")


def test_it_gives_up_on_a_server_that_does_not_answer(site):
    """A server silent past FETCH_TIMEOUT fails the fetch, saying how long it waited."""
    started = time.monotonic()
    with pytest.raises(FetchError, match=rf"did not answer within {FETCH_TIMEOUT} seconds"):
        fetch(site.url("/hang"), HTML_TYPES)
    assert time.monotonic() - started < FETCH_TIMEOUT * 3


def test_it_gives_up_on_a_server_that_stops_halfway(site):
    """A page that starts and then stalls fails with the same timeout message."""
    with pytest.raises(FetchError, match=rf"did not answer within {FETCH_TIMEOUT} seconds"):
        fetch(site.url("/stall"), HTML_TYPES)


def test_it_gives_up_on_a_server_trickling_bytes(site):
    """A byte at a time, each within the read timeout, still meets the overall deadline."""
    started = time.monotonic()
    with pytest.raises(FetchError, match="took too long to send the page"):
        fetch(site.url("/trickle"), HTML_TYPES)
    # The deadline is twice the timeout; the server would trickle for six times as long.
    assert time.monotonic() - started < FETCH_TIMEOUT * 4


def test_it_stops_following_an_endless_redirect_loop(site):
    """A redirect loop ends after MAX_REDIRECTS with a message saying so."""
    with pytest.raises(FetchError, match=f"More than {MAX_REDIRECTS} redirects"):
        fetch(site.url("/loop"), HTML_TYPES)
    assert len(site.requests_to("/loop")) == MAX_REDIRECTS + 1


def test_it_stops_reading_past_the_size_cap(site):
    """A body streamed past FETCH_MAX_BYTES is cut off with a message naming the limit."""
    with pytest.raises(FetchError, match="larger than the 50,000-byte limit"):
        fetch(site.url("/huge"), HTML_TYPES)


def test_it_refuses_a_declared_length_over_the_cap_without_reading(site):
    """A Content-Length over the cap is refused before the body is read."""
    started = time.monotonic()
    with pytest.raises(FetchError, match="larger than the 50,000-byte limit"):
        fetch(site.url("/huge-declared"), HTML_TYPES)
    assert time.monotonic() - started < FETCH_TIMEOUT


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/report.pdf", "application/pdf"), ("/download", "application/octet-stream")],
)
def test_it_refuses_content_types_it_cannot_read(site, path, content_type):
    """PDFs and binary downloads are refused, naming the type."""
    with pytest.raises(FetchError, match=f"Unsupported content type '{content_type}'"):
        fetch(site.url(path), HTML_TYPES)


def test_it_refuses_an_html_page_where_a_feed_is_expected(site):
    """The accepted types are the caller's: a page is not a feed."""
    with pytest.raises(FetchError, match="Unsupported content type 'text/html'"):
        fetch(site.url("/article.html"), FEED_TYPES)


def test_it_reports_an_error_status(site):
    """A 4xx answer fails with the status code and the address."""
    with pytest.raises(FetchError, match=r"The server answered 404 for http://127\.0\.0\.1"):
        fetch(site.url("/missing"), HTML_TYPES)


def test_it_reports_a_server_that_cannot_be_reached():
    """A refused connection is a FetchError naming the address, not a requests exception."""
    with socket.socket() as unused:  # a port that was free a moment ago: nobody listens on it
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/article.html"

    with pytest.raises(FetchError, match=f"Could not fetch {re.escape(url)}"):
        fetch(url, HTML_TYPES)


# Addresses the fetcher must not reach -------------------------------------------------------

STAND_IN = "127.0.0.2"  # a loopback address these tests treat as a public web server


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::7f00:1]:9999/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::a00:1]/",  # local-use NAT64
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
        "http://[::ffff:10.0.0.8]/",
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",  # Teredo, client 10.0.0.1
        "http://[fd00::1]/",  # unique local
        "http://[fe80::1]/",  # link local
        "http://[ff02::1]/",  # multicast
        "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0/",
    ],
)
def test_it_refuses_addresses_that_embed_or_are_not_public(settings, url):
    """IPv6 forms carrying a private IPv4 address, and anything not plainly global, are refused."""
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False

    with pytest.raises(FetchError, match="private or local address"):
        fetch(url, HTML_TYPES)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]
)
def test_it_accepts_public_addresses_in_every_form(address):
    """A public address passes, also when NAT64 or 6to4 carries a public IPv4 address."""
    assert address_is_public(ipaddress.ip_address(address))


@pytest.fixture
def public_stand_in(site, settings):
    """A second server on 127.0.0.2, on the test site's port, counted as a public address.

    Both servers share a port so that one URL reaches either, depending only on which address
    its host name resolves to when the connection is made.
    """
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    original = ipaddress.IPv4Address.is_global
    treated_public = property(lambda ip: str(ip) == STAND_IN or original.fget(ip))
    server = Site(host=STAND_IN, port=site.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with patch.object(ipaddress.IPv4Address, "is_global", treated_public):
            yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def rebinding(host: str, answers: list[str]):
    """Resolve `host` to each of `answers` in turn (the last one from then on), as DNS may."""
    real = socket.getaddrinfo
    calls = []

    def resolve(name, *args, **kwargs):
        if name != host:
            return real(name, *args, **kwargs)
        address = answers[min(len(calls), len(answers) - 1)]
        calls.append(address)
        return real(address, *args, **kwargs)

    with patch.object(socket, "getaddrinfo", resolve):
        yield calls


def test_it_connects_to_the_address_it_checked(site, public_stand_in):
    """A name answering public, then private, is fetched from the public address it was checked at.

    Resolving again to connect would reach the private server on the second answer.
    """
    port = site.server_address[1]
    with rebinding("news.test", [STAND_IN, "127.0.0.1"]) as calls:
        fetched = fetch(f"http://news.test:{port}/article.html", HTML_TYPES)

    assert fetched.content == ARTICLE_HTML
    assert calls == [STAND_IN]
    assert site.seen == []
    (request,) = public_stand_in.requests_to("/article.html")
    assert request.headers["Host"] == f"news.test:{port}"


def test_it_connects_to_the_checked_address_after_a_redirect(site, public_stand_in):
    """Each redirect hop is resolved once, checked, and connected to at that address."""
    port = site.server_address[1]
    public_stand_in.redirects["/hop"] = f"http://inside.test:{port}/article.html"
    with (
        rebinding("news.test", [STAND_IN]),
        rebinding("inside.test", [STAND_IN, "127.0.0.1"]),
    ):
        fetched = fetch(f"http://news.test:{port}/hop", HTML_TYPES)

    assert fetched.content == ARTICLE_HTML
    assert [seen.path for seen in public_stand_in.seen] == ["/hop", "/article.html"]
    assert site.seen == []


def test_it_refuses_a_redirect_to_a_private_address(site, public_stand_in):
    """A public page redirecting straight to a loopback address is refused at the redirect."""
    port = site.server_address[1]
    public_stand_in.redirects["/hop"] = f"http://127.0.0.1:{port}/article.html"

    with pytest.raises(FetchError, match=r"private or local address \(127\.0\.0\.1\)"):
        fetch(f"http://{STAND_IN}:{port}/hop", HTML_TYPES)

    assert site.seen == []


def test_it_keeps_sni_and_certificate_checks_on_the_host_name(site, public_stand_in, tmp_path):
    """Connecting to the checked address still names the host in SNI and verifies its certificate.

    The stand-in presents a self-signed certificate for the host: the fetch must fail
    verification (not skip it), after a handshake that asked for the host by name.
    """
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=news.test", "-addext", "subjectAltName=DNS:news.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda connection, name, context: names.append(name)
    with socket.create_server((STAND_IN, 0)) as listener:
        port = listener.getsockname()[1]

        def answer_one():
            with contextlib.suppress(OSError):
                conn, _ = listener.accept()
                with context.wrap_socket(conn, server_side=True):
                    pass

        thread = threading.Thread(target=answer_one, daemon=True)
        thread.start()
        with (
            rebinding("news.test", [STAND_IN, "127.0.0.1"]),
            pytest.raises(FetchError, match="SSLError"),
        ):
            fetch(f"https://news.test:{port}/article.html", HTML_TYPES)
        thread.join(5)

    assert names == ["news.test"]


def test_it_never_sends_credentials_written_in_the_address(site):
    """user:password@ in a URL is not turned into an Authorization header."""
    url = site.url("/article.html").replace("http://", "http://analyst:s3cret@")

    fetch(url, HTML_TYPES)

    (request,) = site.requests_to("/article.html")
    assert "Authorization" not in request.headers
