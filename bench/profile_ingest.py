"""Ingestion in process: what processing costs per article on a benchmark database.

    DATABASE_URL=postgresql://backchannel@127.0.0.1:54329/backchannel_bench_10k \\
        .venv/bin/python bench/profile_ingest.py [--articles 60] [--top 10] [--batch 32]

New texts from the corpus generator (the ones bench_ingest.py posts) are stored with
`article_ingest` and processed with `article_process` (with `--batch N`, N at a time by
`articles_process_batch`, as one extraction task does), each in a transaction that is rolled
back, so the database stays the loaded corpus. Figures are per article (a batch's divided by
its size). Prints the median (and p90, max) wall ms, CPU ms,
SQL ms and queries per article; `--top` adds the statements that took the most SQL time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

WARMUP_ARTICLES = 5


class Rollback(Exception):
    pass


calls: Counter = Counter()


def measure(texts: list[dict], statements: Counter | None) -> dict:
    """Store the texts and process them as one batch (one article: `article_process`);
    return the costs per article."""
    from django.db import connection, transaction

    from articles.services import article_ingest
    from diplomacy.services import article_process, articles_process_batch

    result = {}
    try:
        with transaction.atomic():
            articles = [
                article_ingest(
                    body=text["body"],
                    title=text["title"],
                    published_at=_day(text["published_at"]),
                    source=text["source"],
                ).article
                for text in texts
            ]
            queries: list[tuple[str, float]] = []
            with connection.execute_wrapper(_timed(queries)):
                wall, cpu = time.perf_counter(), time.process_time()
                if len(articles) == 1:
                    done = int(article_process(articles[0].pk) == "done")
                else:
                    ended = articles_process_batch(articles[0].pk, len(articles)) or {}
                    done = len(ended.get("done", []))
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            count = len(articles)
            result = {
                "status": "done" if done == count else f"{done} of {count} done",
                "ms": wall * 1000 / count,
                "cpu_ms": cpu * 1000 / count,
                "sql_ms": sum(ms for _, ms in queries) / count,
                "queries": len(queries) / count,
            }
            if statements is not None:
                for sql, ms in queries:
                    statements[sql[:160]] += ms
                    calls[sql[:160]] += 1
            raise Rollback
    except Rollback:
        pass
    return result


def _timed(queries: list):
    """Return an execute wrapper that records each statement and its milliseconds."""

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((sql, (time.perf_counter() - started) * 1000))

    return wrapper


def _day(value: str):
    from datetime import date

    return date.fromisoformat(value)


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"{statistics.median(ordered):7.1f} {p90:7.1f} {ordered[-1]:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--nonce", default="profile")
    parser.add_argument("--top", type=int, default=0, help="show the N costliest statements")
    parser.add_argument(
        "--batch", type=int, default=1, help="articles processed together (one task's batch)"
    )
    options = parser.parse_args()
    if "bench" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a benchmark database (backchannel_bench_…).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from bench.corpus import Corpus, Reference
    from bench.load import loaded_corpus
    from diplomacy.reference.gazetteer import gazetteer_from_files

    marker = loaded_corpus(os.environ["DATABASE_URL"])
    if marker is None:
        sys.exit("That database holds no benchmark corpus.")
    corpus = Corpus(
        seed=marker["seed"],
        articles=marker["articles"],
        reference=Reference(gazetteer_from_files()),
    )
    texts = corpus.extra_articles(WARMUP_ARTICLES + options.articles, options.nonce)
    for text in texts[:WARMUP_ARTICLES]:
        measure([text], None)
    statements = Counter() if options.top else None
    measured = texts[WARMUP_ARTICLES:]
    batches = [measured[i : i + options.batch] for i in range(0, len(measured), options.batch)]
    rows = [measure(batch, statements) for batch in batches]
    done = [row for row in rows if row.get("status") == "done"]
    print(
        f"{marker['articles']:,} articles loaded; batches of {options.batch}: "
        f"{len(done)} of {len(rows)} batches processed done"
    )
    print(f"{'per article':<12} {'median':>7} {'p90':>7} {'max':>7}")
    for key in ("ms", "cpu_ms", "sql_ms", "queries"):
        print(f"{key:<12} {summary([row[key] for row in done])}")
    if statements:
        print(f"\ncostliest statements (total SQL ms, calls, over {len(measured)} articles):")
        for sql, ms in statements.most_common(options.top):
            print(f"{ms:9.1f} {calls[sql]:5}  {sql}")


if __name__ == "__main__":
    main()
