"""The article pages: an article's text and status, and the ingest form."""

from datetime import date

import pytest
from django.urls import reverse

from articles.models import Article
from tests.factories import (
    ArticleFactory,
    EvidenceFactory,
    LocationFactory,
    MeetingFactory,
    MentionFactory,
    PersonFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE_BODY = (
    "Envoys met in Geneva. <script>alert(1)</script> and "
    '<img src=x onerror="alert(2)"> followed; Wang Yi spoke.'
)


@pytest.fixture
def user_client(client):
    client.force_login(UserFactory(username="analyst"))
    return client


# Article ----------------------------------------------------------------------------------


def test_it_escapes_a_hostile_article(client):
    """Markup in an article's title and text is shown as text, never run."""
    article = ArticleFactory(title="<script>alert('t')</script>", body=HOSTILE_BODY)
    person = PersonFactory(name="Wang Yi", slug="wang-yi")
    start = HOSTILE_BODY.index("Wang Yi")
    MentionFactory(article=article, kind="person", person=person, start=start, end=start + 7)
    EvidenceFactory(article=article, start=0, end=len(HOSTILE_BODY))
    html = client.get(reverse("articles:article", args=[article.pk])).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in html
    assert f'href="{reverse("diplomacy:person", args=["wang-yi"])}"' in html


def test_it_never_links_a_javascript_url(client):
    """Only http(s) addresses of an article become links."""
    article = ArticleFactory(url="javascript:alert(1)")
    html = client.get(reverse("articles:article", args=[article.pk])).content.decode()
    assert "javascript:alert" not in html


def test_it_highlights_mentions_and_lists_the_meetings_found(client):
    """People, places, topics and dates are highlighted; meetings found are listed."""
    body = "Wang Yi met John Kerry in Geneva on 5 May about Taiwan."
    article = ArticleFactory(body=body)
    wang = PersonFactory(name="Wang Yi", slug="wang-yi")
    geneva = LocationFactory(name="Geneva", slug="geneva")
    taiwan = TopicFactory(name="Taiwan", slug="taiwan")
    MentionFactory(article=article, kind="person", person=wang, start=0, end=7, text="Wang Yi")
    for kind, text, extra in (
        ("location", "Geneva", {"location": geneva}),
        ("date", "5 May", {"value": "2023-05-05"}),
        ("topic", "Taiwan", {"topic": taiwan}),
    ):
        start = body.index(text)
        MentionFactory(
            article=article, kind=kind, text=text, start=start, end=start + len(text), **extra
        )
    meeting = MeetingFactory(title="Kerry–Wang talks")
    EvidenceFactory(article=article, meeting=meeting, start=0, end=len(body))
    html = client.get(reverse("articles:article", args=[article.pk])).content.decode()
    assert 'class="mention mention-person" href="/people/wang-yi/"' in html
    assert 'class="mention mention-location" href="/?location=geneva"' in html
    assert 'class="mention mention-date" title="2023-05-05">5 May</mark>' in html
    assert 'class="mention mention-topic" href="/topics/taiwan/"' in html
    assert '<span class="evidence" id="ev-0"' in html
    found = html[html.index("Meetings found") :]
    assert reverse("diplomacy:meeting", args=[meeting.slug]) in found


@pytest.mark.parametrize("count", [3, 30])
def test_it_builds_the_article_page_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries, count
):
    """The article page costs the same for 3 or 30 mentions and sentences."""
    body = "Talks. " * 40
    article = ArticleFactory(body=body)
    person = PersonFactory()
    for index in range(count):
        MentionFactory(
            article=article, kind="person", person=person, start=index * 7, end=index * 7 + 5
        )
        EvidenceFactory(article=article, start=index * 7, end=index * 7 + 6)
    # article with source; data revision; mentions with their entities; evidence with meetings.
    with django_assert_max_num_queries(4):
        response = client.get(reverse("articles:article", args=[article.pk]))
    assert response.status_code == 200
    # article with source; data revision (the findings come from the cache).
    with django_assert_max_num_queries(2):
        again = client.get(reverse("articles:article", args=[article.pk]))
    assert again.content == response.content


def test_it_polls_the_status_until_extraction_is_done(client):
    """The status panel polls while pending and stops, listing meetings, when done."""
    article = ArticleFactory(status="pending")
    url = reverse("articles:article-status", args=[article.pk])
    pending = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in pending and 'data-status="pending"' in pending
    meeting = MeetingFactory(title="Found it")
    EvidenceFactory(article=article, meeting=meeting)
    Article.objects.filter(pk=article.pk).update(status="done")
    done = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and 'data-status="done"' in done
    assert reverse("diplomacy:meeting", args=[meeting.slug]) in done
    assert "<html" not in done


def test_it_shows_why_extraction_failed(client):
    """A failed article shows its error text, escaped."""
    article = ArticleFactory(status="failed", error="<b>parser</b> broke")
    html = client.get(reverse("articles:article-status", args=[article.pk])).content.decode()
    assert "Extraction failed" in html and "&lt;b&gt;parser&lt;/b&gt; broke" in html


# Ingest -----------------------------------------------------------------------------------


def test_it_requires_sign_in_to_ingest(client):
    """Anonymous visitors are sent to the sign-in page."""
    for url in (reverse("ingest"), reverse("ingest-status", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_ingests_a_pasted_text(user_client):
    """A pasted text is stored and the status page follows its extraction."""
    response = user_client.post(
        reverse("ingest"),
        {
            "body": "Wang Yi met Jake Sullivan in Bangkok on Friday.",
            "title": "Talks in Bangkok",
            "published_at": "2024-01-27",
            "source": "Harbour Daily",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ingest-status", args=[article.pk])
    assert article.title == "Talks in Bangkok" and article.source.name == "Harbour Daily"
    assert article.published_at.date() == date(2024, 1, 27)
    status = user_client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in status
    assert reverse("articles:article-status", args=[article.pk]) in status


def test_it_says_when_a_text_was_ingested_before(user_client):
    """The same text twice leads to the stored article, with a note."""
    data = {"body": "Envoys met for talks in Geneva on Monday."}
    user_client.post(reverse("ingest"), data)
    response = user_client.post(reverse("ingest"), data, follow=True)
    assert Article.objects.count() == 1
    assert "ingested before" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"body": "   "}, "body", "Paste the text"),
        ({"url": "not a url"}, "url", "Enter a valid URL"),
        ({"url": "ftp://example.org/x"}, "url", "http or https"),
        ({"body": "Talks.", "published_at": "2024-02-30"}, "published_at", "valid date"),
        ({"body": "Talks.", "published_at": "2999-01-01"}, "published_at", "in the future"),
        (
            {"body": "Talks.", "published_at": "2024-01-01T00:00:00+16:00"},
            "published_at",
            "valid date",
        ),
        ({"body": "x" * 1001}, "body", "the limit is 1,000"),
        ({"body": "Talks.", "source": "!!!"}, "source", "no letters or digits"),
    ],
)
def test_it_shows_ingest_errors_next_to_the_fields(user_client, settings, data, field, message):
    """Invalid input re-renders the form with the error by the field, storing nothing."""
    settings.ARTICLE_MAX_CHARS = 1000
    response = user_client.post(reverse("ingest"), data)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert message in response.content.decode()
    assert not Article.objects.exists()
