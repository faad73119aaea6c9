"""A tiny run of the benchmark harness: generate 20 articles, COPY them in, query them.

No timing is asserted here: the benchmarks measure, the tests only check that the harness
produces rows the application accepts.
"""

import pytest
from django.db import connection
from django.db.models import Sum
from django.urls import reverse

from articles.models import Article
from articles.text import content_hash, normalise_body
from bench import load
from bench.minimal_handler import Lookups, meeting_page
from diplomacy.models import ArticleTopic, Evidence, Meeting, Mention, TopicDay
from diplomacy.reference.loader import reference_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    """Copy a 20-article corpus into the test database, as the benchmarks do at scale."""
    reference_load(gazetteer_only=True)
    connection.ensure_connection()
    conn = connection.connection
    corpus = load.build_corpus(conn, articles=20, seed=3)
    report = load.LoadReport()
    load.copy_meetings(conn, corpus, report)
    load.copy_article_chunk(conn, corpus, 0, 20)
    load.finish(conn, corpus)
    return corpus


def test_it_loads_articles_meetings_and_evidence_with_copy(loaded):
    """Every generated row lands, and the meetings' counters agree with their evidence."""
    assert Article.objects.count() == 20
    assert Meeting.objects.count() == len(loaded.meetings)
    assert Evidence.objects.exists()
    assert Mention.objects.exists()
    for meeting in Meeting.objects.all():
        evidence = Evidence.objects.filter(meeting=meeting)
        assert meeting.evidence_count == evidence.count()
        assert meeting.article_count == evidence.values("article").distinct().count()


def test_it_derives_each_articles_topics_from_its_mentions(loaded):
    """The loader fills ArticleTopic as extraction does: one row per article and topic
    mentioned, at the article's publication time."""
    mentioned = set(
        Mention.objects.filter(topic__isnull=False).values_list(
            "article_id", "topic_id", "article__published_at"
        )
    )
    assert mentioned
    assert set(ArticleTopic.objects.values_list("article_id", "topic_id", "published_at")) == (
        mentioned
    )
    # and the triggers counted them per topic and day
    assert TopicDay.objects.aggregate(total=Sum("articles"))["total"] == len(mentioned)


def test_it_writes_bodies_as_the_application_stores_them(loaded):
    """Bodies are normalised, hashed like ingested text, and quoted exactly by evidence."""
    for article in Article.objects.all():
        assert normalise_body(article.body) == article.body
        assert article.content_hash == content_hash(article.body)
        assert 300 <= len(article.body.split()) <= 1600
    for evidence in Evidence.objects.select_related("article")[:50]:
        assert evidence.article.body[evidence.start : evidence.end] == evidence.quote
    for mention in Mention.objects.select_related("article")[:50]:
        assert mention.article.body[mention.start : mention.end] == mention.text


def test_the_api_and_the_minimal_handler_agree_on_a_topic_query(loaded, client):
    """One meeting-list query: the API and the raw-SQL limit return the same page."""
    topic = loaded.meetings[0].topics[0]
    response = client.get(reverse("api:meeting-list"), {"topic": topic})
    assert response.status_code == 200
    api = response.json()
    conn = connection.connection
    count, rows, _, _ = meeting_page(conn, Lookups(conn), {"topic": [topic]})
    assert api["count"] == count >= 1
    assert [item["id"] for item in api["results"]] == [row[0] for row in rows]


def test_it_gives_each_source_the_side_it_speaks_for(loaded):
    """Government readouts come from sources marked US or PRC government; the press is media."""
    from articles.models import Source

    sides = dict(Source.objects.values_list("name", "side"))
    assert sides["The White House"] == "us_government"
    assert sides["Ministry of Foreign Affairs of the People's Republic of China"] == (
        "prc_government"
    )
    assert sides["Pacific Wire"] == "media"


def test_it_leaves_curation_behind_for_the_review_queue():
    """Confirmed meetings carry locks and history; some evidence conflicts, some is weak, and
    a few meetings name officials the gazetteer lacks."""
    from bench.corpus import Corpus, Reference
    from diplomacy.reference.gazetteer import gazetteer_from_files

    corpus = Corpus(
        seed=1, articles=1000, meetings=600, reference=Reference(gazetteer_from_files())
    )
    confirmed = [m for m in corpus.meetings if m.review_state == "confirmed"]
    assert confirmed and all(m.locked for m in confirmed)
    events = list(corpus.curation_event_rows())
    curated = [m for m in corpus.meetings if m.locked or m.review_state != "auto"]
    assert {row[4] for row in events} == {m.id for m in curated}
    assert any(m.weak for m in corpus.meetings)
    discovered = {holder.slug for holder in corpus.discovered}
    assert any(p.holder.slug in discovered for m in corpus.meetings for p in m.participants)
    assert any(m.mechanism for m in corpus.meetings)
    batch = corpus.article_chunk(0, 1000)
    assert any(row[7] for row in batch.evidence)  # conflicting
    assert any(row[8] < 0.5 for row in batch.evidence)  # low confidence


def test_the_channel_service_links_the_loaded_meetings():
    """The loader's channel step (the application's own service) links meetings by office pair
    and by a mechanism named in their evidence."""
    from diplomacy.models import MeetingChannel
    from diplomacy.services.channels import channels_assign_all

    reference_load(gazetteer_only=True)
    connection.ensure_connection()
    conn = connection.connection
    corpus = load.build_corpus(conn, articles=600, seed=5)
    load.copy_meetings(conn, corpus, load.LoadReport())
    load.copy_article_chunk(conn, corpus, 0, 600)
    load.finish(conn, corpus)
    assert channels_assign_all() > 0
    linked = set(MeetingChannel.objects.values_list("linked_by", flat=True))
    assert "office_pair" in linked
