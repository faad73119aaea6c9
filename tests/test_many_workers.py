"""Many workers on one queue: three Celery workers with different names share one Redis
database and ingest 1,000 articles, in batches; none is lost, none is processed twice, and the
meetings are those a single process builds from the same articles, each created once."""

import ast
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import date

import pytest
import redis
from django.core.management import call_command
from django.db.models import Count

from articles.models import Article
from articles.services import article_ingest
from diplomacy.models import Evidence, Meeting, Mention, Participation, Person
from diplomacy.services import article_process
from diplomacy.tasks import article_extract
from tests.workers import BASE_DIR, process_env

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
ARTICLES = 1000
WORKERS = ("w1", "w2", "w3")
DEADLINE = 600  # seconds for the whole batch
SUCCEEDED = re.compile(r"Task diplomacy\.article_extract\[[^\]]+\] succeeded in [\d.]+s: (.+)")


def generated_texts(count: int) -> list[dict]:
    """Return `count` realistic, distinct article texts from the bench's corpus generator."""
    from bench.corpus import article_texts

    texts = article_texts(count, seed=23)
    for index, text in enumerate(texts):
        text["published_at"] = date.fromisoformat(text["published_at"])
        text["body"] = f"{text['body']}\n\nMany-worker item {index}."
    return texts


def store(texts: list[dict]) -> list[int]:
    """Store the articles without announcing them: the test queues them on its own broker."""
    return [
        article_ingest(
            body=text["body"],
            title=text["title"],
            published_at=text["published_at"],
            source=text["source"],
            announce=False,
        ).article.pk
        for text in texts
    ]


def enqueue(ids: list[int], broker_url: str) -> None:
    """Queue every article twice, as a redelivery or a sweep would: the copy must be harmless."""
    from config.celery import app

    with app.connection_for_write(broker_url) as connection:
        for article_id in ids + ids:
            article_extract.apply_async((article_id,), connection=connection)


def start_workers(env: dict, logs) -> list[subprocess.Popen]:
    started = []
    for name, log in zip(WORKERS, logs, strict=True):
        command = [
            *(sys.executable, "-m", "celery", "-A", "config", "worker"),
            *("-n", f"{name}@%h", "--pool", "solo", "--loglevel", "info"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        started.append(
            subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
    return started


def done_by_tasks(log: str) -> tuple[int, int]:
    """Return the articles a worker's tasks ended done, and how many tasks it ran."""
    results = SUCCEEDED.findall(log)
    done = sum(
        len(ast.literal_eval(result).get("done", [])) for result in results if result != "None"
    )
    return done, len(results)


def wait_until_done(ids: list[int]) -> bool:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if not Article.objects.filter(pk__in=ids).exclude(status="done").exists():
            return True
        time.sleep(1)
    return False


def evidence_spans() -> Counter:
    return Counter(Evidence.objects.values_list("article__content_hash", "start", "end"))


def reprocess_in_this_process(ids: list[int], people_before: set[int]) -> None:
    """Undo the workers' results and process the same articles one by one, in id order."""
    Evidence.objects.all().delete()
    Mention.objects.all().delete()
    Meeting.objects.all().delete()
    Person.objects.exclude(pk__in=people_before).delete()
    Article.objects.filter(pk__in=ids).update(
        status="pending", attempts=0, processed_at=None, extractor_version=""
    )
    for article_id in ids:
        assert article_process(article_id) == "done"


def test_it_processes_every_article_exactly_once_with_three_workers(tmp_path):
    """1,000 articles, each queued twice, reach three named workers on one Redis database,
    each task taking a batch of waiting articles with its own: every article ends done after
    exactly one claim, the workers share the work, and the meetings and evidence equal a
    single process's, with no meeting created twice."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    people_before = set(Person.objects.values_list("pk", flat=True))
    ids = store(generated_texts(ARTICLES))
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()  # this suite's own database number (REDIS_URL): no stale messages
    enqueue(ids, REDIS_URL)
    env = process_env(CELERY_BROKER_URL=REDIS_URL)
    logs = [open(tmp_path / f"{name}.log", "w") for name in WORKERS]  # noqa: SIM115
    started = time.monotonic()
    workers = start_workers(env, logs)
    try:
        finished = wait_until_done(ids)
        elapsed = time.monotonic() - started
        # The duplicates are still on the queue behind the last article, and batches leave
        # most articles' own messages there too: let them drain, the ones taken included.
        drain_deadline = time.monotonic() + 120
        while time.monotonic() < drain_deadline and (
            broker.llen("celery") or broker.hlen("unacked")
        ):
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        for log in logs:
            log.close()
    outputs = {name: (tmp_path / f"{name}.log").read_text() for name in WORKERS}
    assert finished, "\n".join(text[-1500:] for text in outputs.values())

    statuses = Counter(Article.objects.filter(pk__in=ids).values_list("status", "attempts"))
    assert statuses == {("done", 1): ARTICLES}  # one claim each: none processed twice
    results = {name: done_by_tasks(text) for name, text in outputs.items()}
    assert sum(done for done, _ in results.values()) == ARTICLES, results
    # Two messages per article: every one was taken, most finding their article done already.
    assert sum(tasks for _, tasks in results.values()) == 2 * ARTICLES, results
    assert all(done > 0 for done, _ in results.values()), results
    assert (
        not Participation.objects.values("meeting", "person")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )

    meetings_by_workers, spans_by_workers = Meeting.objects.count(), evidence_spans()
    reprocess_in_this_process(ids, people_before)
    assert Meeting.objects.count() == meetings_by_workers, "meetings created twice or lost"
    assert evidence_spans() == spans_by_workers
    shares = ", ".join(f"{name} {done}" for name, (done, _) in results.items())
    print(f"\n{ARTICLES} articles, 3 workers: {elapsed:.1f} s; articles done by {shares}")
