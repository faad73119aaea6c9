"""SIGKILL workers in the middle of a batch; every article still ends done exactly once.

A batch of FAULTS_ARTICLES (1,000) realistic articles is queued on a Redis of our own and
processed by a prefork worker (2 processes) with the sweeper running in beat. Whenever the
batch passes another kill point, the whole worker (parent and pool) gets SIGKILL while
extractions are in flight, and a new worker is started a moment later. Killed messages are
never acknowledged; the sweeper re-enqueues what they left pending or processing.

Then the same batch is processed in this process, one article after another, and the two
timelines are compared: the same meetings, participations and evidence, nothing duplicated.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command

from articles.models import Article
from articles.signals import article_stored
from bench.faults.conftest import (
    BASE_DIR,
    beat_args,
    child_env,
    compare_timelines,
    corpus_texts,
    database_url_for_children,
    done_counts,
    task_log,
    timeline_state,
    wait_until,
    worker_args,
)

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLES = int(os.environ.get("FAULTS_ARTICLES", "1000"))
KILL_POINTS = (0.15, 0.35, 0.55, 0.75)  # share of the batch done when a worker is killed
STALE_AFTER = 15  # INGEST_STALE_AFTER for this run, seconds
DEADLINE = 900  # the whole batch must be done within this many seconds
RECEIVER = "diplomacy.extract_stored_article"


def store_batch(texts: list[dict]) -> list[int]:
    """Store the articles without queueing them (the queue is filled by a child process)."""
    from articles.services import article_ingest
    from diplomacy.receivers import extract_stored_article

    # Nothing is announced from this process: its broker is not the one the workers use.
    article_stored.disconnect(dispatch_uid=RECEIVER)
    try:
        ids = [
            article_ingest(
                body=text["body"],
                title=text["title"],
                published_at=text["published_at"],
                source=text["source"],
            ).article.pk
            for text in texts
        ]
    finally:
        article_stored.connect(extract_stored_article, dispatch_uid=RECEIVER)
    return ids


def enqueue(ids: list[int], env: dict) -> None:
    """Queue one extraction message per article on the broker of `env`, in id order."""
    code = (
        "import sys; from diplomacy.tasks import article_extract\n"
        "for line in sys.stdin: article_extract.delay(int(line))"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        input="\n".join(map(str, ids)),
        text=True,
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def unfinished(ids) -> int:
    return Article.objects.filter(pk__in=ids, status__in=["pending", "processing"]).count()


def in_flight(scratch, since: int) -> set[int]:
    """Return the articles whose extraction started after log line `since` and has not ended."""
    running: dict[int, int] = {}
    for fields in task_log(scratch)[since:]:
        article_id = int(fields[1])
        running[article_id] = running.get(article_id, 0) + (1 if fields[0] == "start" else -1)
    return {article_id for article_id, count in running.items() if count > 0}


def reset_to_unprocessed(ids, originals, people_before) -> None:
    """Undo the worker run: no meetings, evidence, mentions or discovered people; all pending."""
    from diplomacy.models import Evidence, Meeting, Mention, Person

    Evidence.objects.all().delete()
    Mention.objects.all().delete()
    Meeting.objects.all().delete()
    Person.objects.exclude(pk__in=people_before).delete()
    for article_id, (published_at, published_source) in originals.items():
        Article.objects.filter(pk=article_id).update(
            status="pending",
            attempts=0,
            error="",
            processed_at=None,
            extractor_version="",
            published_at=published_at,
            published_source=published_source,
        )


def test_it_finishes_every_article_exactly_once_when_workers_are_killed(
    scratch, processes, redis_server, figures
):
    """Workers SIGKILLed mid-batch lose nothing and duplicate nothing."""
    from diplomacy.models import Person
    from diplomacy.services import article_process

    call_command("load_reference", gazetteer_only=True, verbosity=0)
    ids = store_batch(corpus_texts(ARTICLES, seed=11))
    originals = {
        pk: (published_at, source)
        for pk, published_at, source in Article.objects.filter(pk__in=ids).values_list(
            "pk", "published_at", "published_source"
        )
    }
    people_before = set(Person.objects.values_list("pk", flat=True))
    env = child_env(
        database_url_for_children(),
        redis_server.url,
        scratch,
        INGEST_SWEEP_INTERVAL=3,
        INGEST_STALE_AFTER=STALE_AFTER,
    )
    enqueue(ids, env)

    started = time.monotonic()
    processes.start("beat", beat_args(scratch / "beat-schedule"), env)
    worker = processes.start("worker-0", worker_args(concurrency=2), env)
    worker_since = 0  # the task log line where the current worker's record starts
    kills, killed_in_flight = 0, set()
    for point in KILL_POINTS:
        target = int(ARTICLES * (1 - point))
        reached = wait_until(lambda target=target: unfinished(ids) <= target, DEADLINE, 0.1)
        assert reached, f"the batch stalled before {point:.0%}:\n{worker.tail()}"
        # Kill while an extraction is running, so that work is really cut off mid-way.
        wait_until(lambda since=worker_since: bool(in_flight(scratch, since)), 10, 0.02)
        worker.kill()
        killed_in_flight |= in_flight(scratch, worker_since)
        kills += 1
        time.sleep(1)
        worker_since = len(task_log(scratch))
        worker = processes.start(f"worker-{kills}", worker_args(concurrency=2), env)

    finished = wait_until(lambda: unfinished(ids) == 0, DEADLINE, 1)
    elapsed = time.monotonic() - started
    processes.stop_all()
    assert finished, f"{unfinished(ids)} articles never finished:\n{worker.tail()}"

    statuses = dict(Article.objects.filter(pk__in=ids).values_list("pk", "status"))
    failed = {pk: status for pk, status in statuses.items() if status != "done"}
    counts = done_counts(scratch)
    extracted_twice = {pk: n for pk, n in counts.items() if n > 1}
    workers_state = timeline_state()

    reset_to_unprocessed(ids, originals, people_before)
    for article_id in ids:
        article_process(article_id)
    baseline = timeline_state()

    difference = compare_timelines(workers_state, baseline)
    figures.update(
        {
            "articles submitted": len(ids),
            "faults injected (worker SIGKILLs)": kills,
            "extractions cut off by a kill": len(killed_in_flight),
            "articles done": len(ids) - len(failed),
            "articles lost or failed": len(failed),
            "articles extracted to done twice": len(extracted_twice),
            "redundant messages (claim refused)": sum(
                1 for fields in task_log(scratch) if fields[0] == "end" and fields[-1] == "None"
            ),
            "meetings (workers / in-process)": (
                f"{workers_state['meeting_count']} / {baseline['meeting_count']}"
            ),
            "participations (workers / in-process)": (
                f"{workers_state['participation_count']} / {baseline['participation_count']}"
            ),
            "evidence (workers / in-process)": (
                f"{workers_state['evidence_count']} / {baseline['evidence_count']}"
            ),
            "duplicate meetings": difference["extra_meetings"],
            "duplicate participations": difference["extra_participations"]
            + workers_state["duplicate_participations"],
            "duplicate evidence": difference["extra_spans"] + workers_state["duplicate_evidence"],
            "evidence missing": difference["missing_spans"],
            "meetings differing by processing order": difference["meetings_differing"],
            "sweeps run": _sweeps(scratch),
            "seconds": round(elapsed, 1),
        }
    )

    assert kills == len(KILL_POINTS)
    assert killed_in_flight, "no extraction was running when the workers were killed"
    assert not failed, failed
    assert not extracted_twice, extracted_twice
    assert difference["extra_meetings"] == difference["missing_meetings"] == 0, difference
    assert difference["extra_spans"] == difference["missing_spans"] == 0, difference
    assert workers_state["participation_count"] == baseline["participation_count"], difference
    assert workers_state["duplicate_participations"] == 0
    assert workers_state["duplicate_evidence"] == 0
    assert workers_state["duplicate_topics"] == 0


def _sweeps(scratch) -> int:
    log = scratch / "beat.log"
    text = log.read_text() if log.exists() else ""
    return text.count("Sending due task sweep-unfinished-articles")
