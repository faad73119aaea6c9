"""Polling RSS feeds: conditional requests, each entry stored once, broken feeds recorded."""

from datetime import UTC, datetime

import pytest

from articles.feeds import source_poll
from articles.models import Article
from articles.text import html_to_text, normalise_body
from tests.articles.conftest import ARTICLE_TITLE, FEED_ETAG, FEED_MODIFIED, LONG_ENTRY
from tests.factories import SourceFactory

# Announcements are recorded, not extracted: see the `pipeline` fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pipeline")]


@pytest.fixture
def poll(django_capture_on_commit_callbacks):
    """Poll a source as the task does, running what its articles queue on commit."""

    def run(source):
        with django_capture_on_commit_callbacks(execute=True):
            return source_poll(source)

    return run


def test_it_turns_each_entry_into_an_article(site, pipeline, poll):
    """A full-text entry is stored as it is; a short one is stored by URL and fetched later."""
    source = SourceFactory(name="Harbour Daily", feed_url=site.url("/feed.xml"))

    assert poll(source) == 2

    full = Article.objects.get(url=site.url("/news/yellen-he"))
    assert full.body == LONG_ENTRY.strip()
    assert full.title == "Yellen and He review the working groups"
    assert full.published_at == datetime(2024, 1, 26, 10, tzinfo=UTC)
    assert full.source == source
    linked = Article.objects.get(url=site.url("/article.html"))
    assert (linked.body, linked.title, linked.source) == ("", ARTICLE_TITLE, source)
    assert pipeline.extracted == [full.pk]
    assert pipeline.fetch_queued == [linked.pk]


def test_it_remembers_the_feed_version_and_clears_errors(site, poll):
    """After a good poll the source keeps the ETag and Last-Modified, and no error."""
    source = SourceFactory(feed_url=site.url("/feed.xml"), last_poll_error="Old trouble.")

    poll(source)

    source.refresh_from_db()
    assert (source.feed_etag, source.feed_modified) == (FEED_ETAG, FEED_MODIFIED)
    assert source.last_poll_error == ""
    assert source.last_polled_at is not None


def test_it_asks_conditionally_and_stores_nothing_on_304(site, pipeline, poll):
    """The second poll sends If-None-Match and If-Modified-Since; a 304 means 0 new."""
    source = SourceFactory(feed_url=site.url("/feed.xml"))
    poll(source)

    assert poll(source) == 0

    first, second = site.requests_to("/feed.xml")
    assert "If-None-Match" not in first.headers
    assert second.headers["If-None-Match"] == FEED_ETAG
    assert second.headers["If-Modified-Since"] == FEED_MODIFIED
    assert (first.status, second.status) == (200, 304)
    assert Article.objects.count() == 2
    assert len(pipeline.extracted) + len(pipeline.fetch_queued) == 2


def test_it_asks_by_date_when_the_feed_has_no_etag(site, poll):
    """A feed with only Last-Modified is asked with If-Modified-Since alone."""
    source = SourceFactory(feed_url=site.url("/dated-feed.xml"))
    poll(source)

    assert poll(source) == 0

    second = site.requests_to("/dated-feed.xml")[1]
    assert "If-None-Match" not in second.headers
    assert second.headers["If-Modified-Since"] == FEED_MODIFIED
    assert second.status == 304


def test_it_stores_each_entry_once_when_the_server_resends_the_feed(site, pipeline, poll):
    """A feed served in full every time still adds each entry only once."""
    source = SourceFactory(feed_url=site.url("/plain-feed.xml"))
    poll(source)

    assert poll(source) == 0

    assert [seen.status for seen in site.requests_to("/plain-feed.xml")] == [200, 200]
    assert Article.objects.count() == 2
    assert len(pipeline.extracted) + len(pipeline.fetch_queued) == 2


def test_it_records_a_broken_feed_without_crashing(site, poll):
    """Malformed XML is a poll error on the source, and no article."""
    source = SourceFactory(feed_url=site.url("/broken.xml"))

    assert poll(source) == 0

    source.refresh_from_db()
    assert source.last_poll_error.startswith("The feed could not be read:")
    assert source.last_polled_at is not None
    assert not Article.objects.exists()


@pytest.mark.parametrize("path", ["/empty.html", "/blank-feed.xml"])
def test_it_records_an_address_that_is_not_a_feed(site, poll, path):
    """A web page, or an empty answer, where the feed should be is an error, not a quiet feed."""
    source = SourceFactory(feed_url=site.url(path))

    assert poll(source) == 0

    source.refresh_from_db()
    assert source.last_poll_error == "The address did not return an RSS or Atom feed."
    assert not Article.objects.exists()


def test_it_accepts_a_feed_with_no_entries_yet(site, poll):
    """An empty but valid feed is no error."""
    source = SourceFactory(feed_url=site.url("/empty-feed.xml"), last_poll_error="Old trouble.")

    assert poll(source) == 0

    source.refresh_from_db()
    assert source.last_poll_error == ""


def test_it_records_a_feed_that_cannot_be_fetched(site, poll):
    """A fetch failure is stored as the source's poll error."""
    source = SourceFactory(feed_url=site.url("/missing"))

    assert poll(source) == 0

    source.refresh_from_db()
    assert source.last_poll_error.startswith("The server answered 404")


def test_it_clears_the_error_once_the_feed_is_readable_again(site, poll):
    """A good poll after a broken one leaves no stale error behind."""
    source = SourceFactory(feed_url=site.url("/broken.xml"))
    poll(source)
    source.feed_url = site.url("/feed.xml")

    assert poll(source) == 2

    source.refresh_from_db()
    assert source.last_poll_error == ""


# HTML in entries ---------------------------------------------------------------------------

ENTRY_PARAGRAPH = (
    "Secretary Blinken met Foreign Minister Wang Yi in Beijing on Friday for five hours of "
    "talks that both sides described as candid and constructive. "
) * 6
HTML_ENTRY = (
    f"<p>{ENTRY_PARAGRAPH}in Beijing.</p><p>They agreed to resume talks.</p>"
    "<ul><li>Fentanyl &amp; precursors</li><li>Military&nbsp;channels</li></ul>"
    "<script>var tracking = 'pixel';</script><style>p { color: red }</style>"
    "<!-- an editor's note --><p>Officials said &ldquo;progress&rdquo; was made<br>on trade.</p>"
)
EXPECTED_TEXT = (
    f"{ENTRY_PARAGRAPH}in Beijing.\n\nThey agreed to resume talks.\n\n"
    "Fentanyl & precursors\nMilitary channels\n\n"
    "Officials said \u201cprogress\u201d was made\non trade."
)


def html_feed(base: str, html: str) -> bytes:
    cdata = html.replace("]]>", "]]]]><![CDATA[>")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Harbour Daily</title><link>{base}/</link><description>Diplomacy</description>
<item><title>Blinken in Beijing</title><link>{base}/news/blinken-beijing</link>
<content:encoded><![CDATA[{cdata}]]></content:encoded></item>
</channel></rss>""".encode()


def test_it_keeps_paragraphs_and_lists_apart_and_drops_scripts(site, poll):
    """Paragraphs stay paragraphs, list items lines; scripts, styles and comments go."""
    site.pages["/html-feed.xml"] = (html_feed(site.base, HTML_ENTRY), "application/rss+xml")
    source = SourceFactory(feed_url=site.url("/html-feed.xml"))

    assert poll(source) == 1

    body = Article.objects.get().body
    assert body == EXPECTED_TEXT
    assert "Beijing.They" not in body
    assert "tracking" not in body and "color" not in body and "editor" not in body


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One.</p><p>Two.</p>", "One.\n\nTwo."),
        ("<div>One.</div><div>Two.</div>", "One.\n\nTwo."),
        ("<h2>Title</h2>Body", "Title\n\nBody"),
        ("Line<br/>break", "Line\nbreak"),
        ("<ol><li>a</li><li>b</li></ol>", "a\nb"),
        ("<table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>", "x y\nz"),
        ("A &amp; B &lt;c&gt; &#8212; &eacute;", "A & B <c> \u2014 \u00e9"),
        ("<script>alert(1)</script>Safe", "Safe"),
        ("<noscript>x</noscript><template>y</template><iframe>z</iframe>Kept", "Kept"),
        ("<p>Unclosed <b>bold <i>nested</p>After", "Unclosed bold nested\n\nAfter"),
        ("plain text only", "plain text only"),
        ("", ""),
    ],
)
def test_it_turns_entry_html_into_text(html, text):
    """html_to_text keeps the reading order and the breaks a reader sees, and nothing hidden."""
    assert normalise_body(html_to_text(html)) == text
