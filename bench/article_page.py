"""Measure how long one very large article's page takes to render, cold and warm.

    DATABASE_URL=... python bench/article_page.py [--chars N] [--mentions N] [--sentences N]
        [--cold R] [--warm R] [--profile N]

Builds an article of about a million characters with tens of thousands of mentions and a
thousand evidence sentences, requests `/articles/<id>/` through Django's test client as an
anonymous reader, and prints the median time of the first request after the cache was cleared
(cold) and of repeated requests (warm). Everything it writes is rolled back at the end.
`--profile N` adds cProfile's N costliest functions (cumulative time) of one more cold request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

from articles.models import Article  # noqa: E402
from diplomacy.models import Evidence, Meeting, Mention, Person  # noqa: E402

SENTENCE = "Wang Yi met Jake Sullivan in Vienna on 10 May for talks that both sides called useful. "
# What each sentence mentions: (kind, text); a person is linked to a person row.
MENTIONED = (("person", "Wang Yi"), ("person", "Jake Sullivan"), ("date", "10 May"))


def build(chars: int, mentions: int, sentences: int) -> Article:
    """Store the article, its mentions and evidence sentences; return the article."""
    count = max(1, chars // len(SENTENCE))
    body = SENTENCE * count
    article = Article.objects.create(
        title="A very long transcript",
        body=body,
        content_hash=f"bench-article-page-{time.time_ns()}",
        status="done",
    )
    people = {
        text: Person.objects.get_or_create(slug=f"bench-{index}", defaults={"name": text})[0]
        for index, (kind, text) in enumerate(MENTIONED)
        if kind == "person"
    }
    meetings = [
        Meeting.objects.create(title=f"Bench talks {index}", slug=f"bench-talks-{time.time_ns()}")
        for index in range(10)
    ]
    rows = []
    for index in range(min(mentions, count * len(MENTIONED))):
        sentence, which = divmod(index, len(MENTIONED))
        kind, text = MENTIONED[which]
        start = sentence * len(SENTENCE) + SENTENCE.index(text)
        rows.append(
            Mention(
                article=article,
                kind=kind,
                text=text,
                start=start,
                end=start + len(text),
                person=people.get(text),
                value="2024-05-10" if kind == "date" else "",
            )
        )
    Mention.objects.bulk_create(rows, batch_size=5000)
    step = max(1, count // sentences)
    evidence = [
        Evidence(
            article=article,
            meeting=meetings[number % len(meetings)],
            quote=SENTENCE.strip(),
            start=sentence * len(SENTENCE),
            end=(sentence + 1) * len(SENTENCE) - 1,
            fields=["participants"],
            extractor_version="bench",
        )
        for number, sentence in enumerate(range(0, count, step))
    ][:sentences]
    Evidence.objects.bulk_create(evidence, batch_size=5000)
    return article


def timed(client: Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed * 1000


def cold_profile(client: Client, path: str, limit: int) -> str:
    """Return cProfile's `limit` costliest functions (cumulative) of one cold request."""
    cache.clear()
    profile = cProfile.Profile()
    profile.enable()
    client.get(path)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--mentions", type=int, default=30_000)
    parser.add_argument("--sentences", type=int, default=1_000)
    parser.add_argument("--cold", type=int, default=3, help="requests after clearing the cache")
    parser.add_argument("--warm", type=int, default=5, help="repeated requests")
    parser.add_argument(
        "--profile", type=int, default=0, help="functions of a cold request to list"
    )
    options = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.PUBLIC_READ = True
    client = Client()
    with transaction.atomic():
        article = build(options.chars, options.mentions, options.sentences)
        path = f"/articles/{article.pk}/"
        cold = []
        for _ in range(options.cold):
            cache.clear()
            cold.append(timed(client, path))
        warm = [timed(client, path) for _ in range(options.warm)]
        size = len(client.get(path).content)
        print(
            f"article: {len(article.body):,} characters, {article.mentions.count():,} mentions, "
            f"{article.evidence.count():,} evidence sentences; page {size:,} bytes"
        )
        print(f"{'request':<8} {'runs':>5} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
        for name, times in (("cold", cold), ("warm", warm)):
            print(
                f"{name:<8} {len(times):>5} {statistics.median(times):>10.1f} "
                f"{min(times):>8.1f} {max(times):>8.1f}"
            )
        if options.profile:
            print(cold_profile(client, path, options.profile))
        transaction.set_rollback(True)
    cache.clear()


if __name__ == "__main__":
    main()
