"""Fixtures for the ingestion channels: a hostile little web server and a recorded pipeline.

The server runs on 127.0.0.1 on a random port in a thread for the whole session. Each test gets
the `site` fixture, which clears the request log, and small fetch limits so that the hostile
cases (hanging, trickling, huge, looping) end in well under a second or two.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# Small limits for every test here: a hostile case must fail fast.
FETCH_TIMEOUT = 0.5
FETCH_MAX_BYTES = 50_000

ARTICLE_PARAGRAPHS = [
    "National Security Adviser Jake Sullivan met Chinese Foreign Minister Wang Yi in Bangkok "
    "on Friday and Saturday, the White House said, in twelve hours of talks spread over two "
    "days at a lakeside hotel.",
    "The two officials discussed Taiwan, the attacks on shipping in the Red Sea and the "
    "cooperation on counternarcotics agreed at the leaders' summit in November, according to "
    "a readout issued after the second session.",
    "Officials on both sides described the discussions as candid, substantive and "
    "constructive, and said the channel between the two advisers would stay open in the "
    "months ahead as both governments prepare for a possible call between the presidents.",
    "The meeting was the latest in a series of contacts that began in Vienna last May and "
    "continued in Malta in September, each arranged quietly and disclosed only afterwards.",
]
ARTICLE_TITLE = "Sullivan and Wang hold two days of talks in Bangkok"
ARTICLE_HTML = (
    "<!doctype html><html><head><meta charset='utf-8'>"
    f"<title>{ARTICLE_TITLE}</title>"
    f"<meta property='og:title' content='{ARTICLE_TITLE}'>"
    "<meta property='article:published_time' content='2024-01-27'>"
    "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
    f"<article><h1>{ARTICLE_TITLE}</h1>"
    + "".join(f"<p>{paragraph}</p>" for paragraph in ARTICLE_PARAGRAPHS)
    + "</article><footer>Copyright Harbour Daily</footer></body></html>"
).encode()
PLAIN_TEXT = (
    "Readout of the vice-ministerial consultations\n\n"
    "Deputy Secretary of State Kurt Campbell held consultations with Executive Vice Foreign "
    "Minister Ma Zhaoxu in Washington on Tuesday. The two sides discussed the maritime "
    "situation and agreed to keep lines of communication open."
)

FEED_ETAG = '"feed-v1"'
FEED_MODIFIED = "Sun, 28 Jan 2024 09:00:00 GMT"
LONG_ENTRY = (
    "Treasury Secretary Janet Yellen held a video call with Vice Premier He Lifeng on Thursday "
    "to review the work of the economic and financial working groups. "
) * 8


def rss(base: str) -> bytes:
    """Return an RSS feed: one entry with its full text, one that only links to its page."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Daily: China</title><link>{base}/</link>
<description>Diplomacy</description>
<item><title>Yellen and He review the working groups</title><link>{base}/news/yellen-he</link>
<pubDate>Fri, 26 Jan 2024 10:00:00 GMT</pubDate>
<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>{LONG_ENTRY}</p>]]></content:encoded>
</item>
<item><title>{ARTICLE_TITLE}</title><link>{base}/article.html</link>
<pubDate>Sat, 27 Jan 2024 18:00:00 GMT</pubDate><description>Twelve hours of talks.</description>
</item>
</channel></rss>""".encode()


BROKEN_FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><<<>>> &&& </rss>"

EMPTY_FEED = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>Quiet</title></channel></rss>"
)


@dataclass
class Seen:
    """One request the server received and what it answered."""

    path: str
    headers: dict
    status: int = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Site
    seen: Seen | None = None

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def do_GET(self):
        self.seen = Seen(self.path, dict(self.headers))
        self.server.seen.append(self.seen)
        if self.path in self.server.redirects:
            self.reply(b"", "text/html", status=302, Location=self.server.redirects[self.path])
            return
        if self.path in self.server.pages:
            self.reply(*self.server.pages[self.path])
            return
        route = getattr(self, "page_" + self.path.strip("/").replace(".", "_").replace("-", "_"))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route()  # the client may give up first, as it should with hostile pages

    def send_response(self, code, message=None):
        if self.seen is not None:  # recorded before the client can read the answer and look
            self.seen.status = code
        super().send_response(code, message)

    def reply(self, body: bytes, content_type: str, status: int = 200, **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def start(self, content_type: str, **headers) -> None:
        """Start a close-delimited answer whose length is not declared."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.close_connection = True

    def page_article_html(self):
        self.reply(ARTICLE_HTML, "text/html; charset=utf-8")

    def page_copy_html(self):  # the same article under another address
        self.reply(ARTICLE_HTML, "text/html; charset=utf-8")

    def page_compressed_html(self):  # gzip on the wire, as most sites send pages
        self.reply(gzip.compress(ARTICLE_HTML), "text/html", Content_Encoding="gzip")

    def page_chunked_html(self):  # sent in chunks without a declared length
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(ARTICLE_HTML), 500):
            piece = ARTICLE_HTML[start : start + 500]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def page_legacy_html(self):  # an older site: Windows-1252, curly quotes and all
        body = ARTICLE_HTML.replace(b"leaders' summit", "leaders\u2019 summit".encode())
        self.reply(body.decode().encode("cp1252"), "text/html; charset=windows-1252")

    def page_plain_txt(self):
        self.reply(PLAIN_TEXT.encode(), "text/plain; charset=utf-8")

    def page_empty_html(self):
        self.reply(b"<html><head><title>Nothing</title></head><body></body></html>", "text/html")

    def page_hang(self):  # says nothing at all for longer than the timeout
        time.sleep(FETCH_TIMEOUT * 4)
        self.reply(ARTICLE_HTML, "text/html")

    def page_stall(self):  # starts the page, then stops sending
        self.start("text/html")
        self.wfile.write(ARTICLE_HTML[:200])
        self.wfile.flush()
        time.sleep(FETCH_TIMEOUT * 4)

    def page_trickle(self):  # one byte at a time, each within the read timeout, for long
        self.start("text/html")
        for _ in range(60):
            self.wfile.write(b"<")
            self.wfile.flush()
            time.sleep(FETCH_TIMEOUT / 5)

    def page_loop(self):
        self.reply(b"", "text/html", status=302, Location="/loop")

    def page_huge(self):  # streams far past the size cap without declaring a length
        self.start("text/html")
        for _ in range(FETCH_MAX_BYTES // 1000 * 20):
            self.wfile.write(b"<p>" + b"x" * 993 + b"</p>")

    def page_huge_declared(self):  # declares a length far past the cap
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(FETCH_MAX_BYTES * 1000))
        self.end_headers()
        self.wfile.write(b"<p>" * 100)
        self.close_connection = True

    def page_report_pdf(self):
        self.reply(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 300, "application/pdf")

    def page_download(self):
        self.reply(b"\x00\x01\x02" * 300, "application/octet-stream")

    def page_missing(self):
        self.reply(b"<h1>Not found</h1>", "text/html", status=404)

    def conditional(self, body: bytes, content_type: str, etag: str = "", modified: str = ""):
        """Answer 304 when the client already has this version, as a polite feed server does."""
        fresh = (etag and self.headers.get("If-None-Match") == etag) or (
            modified and self.headers.get("If-Modified-Since") == modified
        )
        headers = {"ETag": etag} if etag else {}
        if modified:
            headers["Last-Modified"] = modified
        if fresh:
            self.send_response(304)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self.reply(body, content_type, **headers)

    def page_feed_xml(self):  # ETag and Last-Modified
        self.conditional(rss(self.server.base), "application/rss+xml", FEED_ETAG, FEED_MODIFIED)

    def page_dated_feed_xml(self):  # Last-Modified only
        self.conditional(rss(self.server.base), "application/rss+xml", modified=FEED_MODIFIED)

    def page_plain_feed_xml(self):  # no caching headers: every poll gets the whole feed
        self.reply(rss(self.server.base), "application/rss+xml")

    def page_broken_xml(self):
        self.reply(BROKEN_FEED, "application/xml")

    def page_blank_feed_xml(self):  # answers, but with nothing at all
        self.reply(b"", "application/rss+xml")

    def page_empty_feed_xml(self):  # a valid feed with nothing in it yet
        self.reply(EMPTY_FEED, "application/rss+xml")

    def __getattr__(self, name):
        if name.startswith("page_"):
            return self.page_missing
        raise AttributeError(name)


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__((host, port), Handler)
        self.base = f"http://{host}:{self.server_address[1]}"
        self.seen: list[Seen] = []
        self.redirects: dict[str, str] = {}  # path: Location
        self.pages: dict[str, tuple[bytes, str]] = {}  # path: (body, content type), per test

    def url(self, path: str) -> str:
        return self.base + path

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]


@pytest.fixture(scope="session")
def web_server():
    server = Site()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(web_server, settings) -> Site:
    """The test web server with an empty request log, and fetch limits small enough to hit."""
    settings.FETCH_TIMEOUT = FETCH_TIMEOUT
    settings.FETCH_MAX_BYTES = FETCH_MAX_BYTES
    web_server.seen.clear()
    web_server.pages.clear()
    web_server.redirects.clear()
    return web_server
