"""`make bench`: every benchmark at each scale, a table, and bench/results/latest.json.

    python bench/run.py [--scales 10k,100k,1m] [--runs 3] [--seconds 5] [--only api,ingest]

BENCH_SCALE (default 10k, so a fresh clone finishes in minutes) picks the scales when
--scales is not given; BENCH_RUNS and BENCH_SECONDS the repetitions and the length of each
load run. For each scale the corpus is loaded once into its own database (see bench/load.py)
and reused by later runs. Then:

1. extraction alone (bench/bench_extraction.py's texts, and the corpus's own), articles per
   CPU-second on one core;
2. the API, HTML pages and the minimal raw-SQL handler (the limit) under gunicorn with
   4 sync workers, with wrk on loopback: one client (latency) and 16 connections (throughput);
3. ingestion end to end: POST /api/v1/articles/ → done, through a Celery worker on Redis;
4. memory: RSS of the gunicorn and Celery workers after the runs.

Each figure is the median of the runs, with their min and max. Timing is never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench import load as bench_load  # noqa: E402

RESULTS = BASE_DIR / "bench" / "results"
WORK_DIR = BASE_DIR / ".devdata" / "bench"
GUNICORN_WORKERS = 4
CONNECTIONS = 16
SEED = 1

# Targets from the benchmark issue.
API_P95_MS = 50
SEARCH_P95_MS = 150
TIMELINE_P95_MS = 100
PAGE_P95_MS = 150
EXTRACTION_PER_CORE = 200
LIMIT_RATIO = 0.5
# Articles posted one after another (each waited for) for latency without queueing.
SEQUENTIAL_ARTICLES = 20
# Requests per endpoint in the in-process profile (--explain).
PROFILE_REQUESTS = 10

SEARCH_WORDS = (
    "talks",
    "officials said",
    "trade",
    "relationship",
    "climate change",
    "Taiwan Strait",
    "export controls",
    "fentanyl",
    "Blinken",
    "Wang Yi",
    "Sunnylands",
    "precursor chemicals",
    '"lines of communication"',
    "sanctions -tariffs",
    "Raimondo Beijing",
    "semiconductors",
    "North Korea",
    "debt relief",
    "Kerry climate",
    "military channels",
)


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def summarise(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def summarise_runs(runs: list[dict], keys=("rps", "p50_ms", "p95_ms", "p99_ms")) -> dict:
    # A run in which no request finished has throughput but no latency.
    answered = [run for run in runs if run["requests"]] or runs
    summary = {
        key: summarise([run[key] for run in (runs if key == "rps" else answered)]) for key in keys
    }
    summary["tools"] = sorted({run["tool"] for run in runs})
    summary["errors"] = sum(run["errors"] + run["non_2xx"] for run in runs)
    summary["requests"] = sum(run["requests"] for run in runs)
    return summary


# Machine -----------------------------------------------------------------------------------


def _first_line(command: list[str]) -> str:
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (output.stdout or output.stderr).strip().splitlines()[0] if output else ""


def machine_info(url: str) -> dict:
    import psycopg

    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    with psycopg.connect(url) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    commit = _first_line(["git", "-C", str(BASE_DIR), "rev-parse", "--short", "HEAD"])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "redis": _first_line(["redis-server", "--version"]),
        "wrk": _first_line(["wrk", "--version"]) if shutil.which("wrk") else "absent",
        "load_generator": "wrk" if shutil.which("wrk") else "python threads",
        "commit": commit,
    }


# Extraction ---------------------------------------------------------------------------------


def bench_extraction(runs: int) -> dict:
    """Run bench/bench_extraction.py's measurement, and the same on the corpus's texts."""
    from bench import bench_extraction
    from bench.corpus import Reference, article_texts
    from diplomacy.extraction import extract
    from diplomacy.reference.gazetteer import gazetteer_from_files

    gazetteer = bench_extraction.load_gazetteer()
    texts = bench_extraction.make_articles(gazetteer, 300, SEED)
    extract(texts[0][0], texts[0][1], gazetteer)
    own = [bench_extraction.run_once(gazetteer, texts)[0] for _ in range(runs)]

    reference_gazetteer = gazetteer_from_files()
    corpus_texts = [
        (text["body"], datetime.fromisoformat(text["published_at"]).date())
        for text in article_texts(300, SEED, Reference(reference_gazetteer))
    ]
    extract(corpus_texts[0][0], corpus_texts[0][1], reference_gazetteer)
    corpus = [bench_extraction.run_once(reference_gazetteer, corpus_texts)[0] for _ in range(runs)]
    return {
        "bench_extraction_texts": {
            "articles": len(texts),
            "mean_words": round(statistics.mean(len(t.split()) for t, _ in texts)),
            "articles_per_cpu_second": summarise(own),
        },
        "corpus_texts": {
            "articles": len(corpus_texts),
            "mean_words": round(statistics.mean(len(t.split()) for t, _ in corpus_texts)),
            "articles_per_cpu_second": summarise(corpus),
        },
        "target": EXTRACTION_PER_CORE,
    }


# API ---------------------------------------------------------------------------------------


def server_env(url: str, broker: str) -> dict:
    """Production settings for the servers: DEBUG off, throttles out of the way."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_ROOT": str(WORK_DIR / "static"),
        "THROTTLE_ANON": "1000000/second",
        "THROTTLE_USER": "1000000/second",
        "THROTTLE_INGEST": "1000000/second",
        "CELERY_BROKER_URL": broker,
        "LOG_LEVEL": "WARNING",
        "PUBLIC_READ": "true",
    }


def shared_cache_env(url: str, redis_problem: str | None) -> dict:
    """Return the settings that give gunicorn's workers one cache in Redis, as in production.

    The keys carry the database and this run, so that scales (whose data revisions may be the
    same numbers) and other runs on the same Redis never read each other's values. Without
    Redis the workers keep a cache each, and the table says so.
    """
    if redis_problem is not None:
        say(f"cache per worker process: {redis_problem}")
        return {}
    name = urlsplit(url).path.lstrip("/")
    return {"CACHE_REDIS": "true", "CACHE_KEY_PREFIX": f"bench:{name}:{os.getpid()}"}


# A curator (in the Curators group, not a superuser) with an API token and a signed-in
# session, for the review queue and the history: printed as "<token> <session key>".
CURATOR_SCRIPT = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import ApiToken
from diplomacy.roles import CURATORS, roles_ensure
roles_ensure()
user, _ = get_user_model().objects.get_or_create(username="bench-curator")
user.set_password("bench-curator-password-not-secret")
user.save()
user.groups.add(Group.objects.get(name=CURATORS))
token, _ = ApiToken.objects.get_or_create(user=user)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.set_expiry(86400)
session.create()
print(token.key, session.session_key)
"""


def curator_credentials(env: dict) -> dict[str, dict[str, str]]:
    """Return the headers that sign requests in as a curator: API token, and session cookie."""
    token, session = bench_load.manage_shell(CURATOR_SCRIPT, env).split()[-2:]
    return {
        "token": {"Authorization": f"Token {token}"},
        "session": {"Cookie": f"sessionid={session}"},
    }


def ingest_batch_size() -> str:
    """Return how many articles one ingestion task processes (the setting, when it exists)."""
    from django.conf import settings

    size = getattr(settings, "INGEST_BATCH_SIZE", None)
    return str(size) if size else "1 (per article)"


def collect_static(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )


REVIEW_REASONS = ("conflict", "low_confidence", "duplicate", "discovered_person", "single_report")
# Meetings reported by both governments' readouts (what the side-by-side comparison needs).
BOTH_READOUTS_SQL = """
SELECT m.id, m.slug
FROM diplomacy_evidence e
JOIN articles_article a ON a.id = e.article_id
JOIN articles_source s ON s.id = a.source_id
JOIN diplomacy_meeting m ON m.id = e.meeting_id
WHERE s.side IN ('us_government', 'prc_government')
  AND m.review_state <> 'rejected' AND m.merged_into_id IS NULL
GROUP BY m.id, m.slug
HAVING count(DISTINCT s.side) = 2
ORDER BY m.id
"""


def query_sets(url: str, credentials: dict | None = None) -> dict[str, dict]:
    """Return, per endpoint, the paths a load run cycles through (drawn from the data).

    `credentials` (from curator_credentials) adds the curators' reads: the review queue and
    the history.
    """
    import psycopg

    rng = random.Random(SEED)
    with psycopg.connect(url) as conn:
        topics = [row[0] for row in conn.execute("SELECT slug FROM diplomacy_topic ORDER BY slug")]
        people = [
            row[0]
            for row in conn.execute(
                "SELECT p.slug FROM diplomacy_person p JOIN diplomacy_participation pa "
                "ON pa.person_id = p.id GROUP BY p.slug ORDER BY count(*) DESC, p.slug LIMIT 24"
            )
        ]
        busiest = conn.execute(
            "SELECT id FROM diplomacy_meeting WHERE review_state <> 'rejected' "
            "ORDER BY evidence_count DESC LIMIT 1"
        ).fetchone()[0]
        samples = conn.execute(
            "SELECT m.id, m.start_date, "
            "(SELECT t.slug FROM diplomacy_meetingtopic mt JOIN diplomacy_topic t "
            " ON t.id = mt.topic_id WHERE mt.meeting_id = m.id ORDER BY t.slug LIMIT 1), "
            "(SELECT p.slug FROM diplomacy_participation pa JOIN diplomacy_person p "
            " ON p.id = pa.person_id WHERE pa.meeting_id = m.id ORDER BY pa.id LIMIT 1) "
            "FROM diplomacy_meeting m WHERE m.review_state <> 'rejected' "
            "AND m.start_date IS NOT NULL ORDER BY m.id"
        ).fetchall()
    picked = rng.sample(samples, min(200, len(samples)))
    ranges = []
    for _ in range(40):
        start = datetime(rng.randint(2017, 2025), rng.randint(1, 12), 1).date()
        months = rng.choice((1, 3, 6, 12))
        end_month = start.month - 1 + months
        end = start.replace(year=start.year + end_month // 12, month=end_month % 12 + 1)
        ranges.append((start, end))
    combined = []
    described = [sample for sample in picked if sample[2] and sample[3]]  # a topic and a person
    for _, day, topic, person in described[:40]:
        window_start = day.replace(month=1, day=1)
        window_end = day.replace(month=12, day=31)
        combined.append(
            f"/api/v1/meetings/?topic={topic}&participant={person}"
            f"&date_from={window_start}&date_to={window_end}"
        )
    search = [text.replace(" ", "+").replace('"', "%22") for text in SEARCH_WORDS]
    extra = feature_query_sets(url, rng, topics, people, credentials)
    meeting_lists = {
        "meetings?topic": [f"/api/v1/meetings/?topic={slug}" for slug in topics],
        "meetings?participant": [f"/api/v1/meetings/?participant={slug}" for slug in people],
        "meetings?date range": [
            f"/api/v1/meetings/?date_from={start}&date_to={end}" for start, end in ranges
        ],
        "meetings?combined": combined,
    }
    endpoints = {name: {"paths": paths, "limit": True} for name, paths in meeting_lists.items()}
    endpoints.update(
        {
            "meetings?q (full text)": {"paths": [f"/api/v1/meetings/?q={q}" for q in search]},
            "search page": {
                "paths": [f"/search/?q={q}" for q in search],
                "accept": "text/html",
            },
            "meeting detail": {
                "paths": [f"/api/v1/meetings/{row[0]}/" for row in picked],
                "explain": f"/api/v1/meetings/{busiest}/",
            },
            "topic activity": {
                "paths": [f"/api/v1/topics/{slug}/activity/?interval=month" for slug in topics]
            },
            # The front page, each topic's timeline, and a few pages further back.
            "timeline page": {
                "paths": ["/"]
                + [f"/?topic={slug}" for slug in topics]
                + [f"/?page={page}" for page in range(2, 6)],
                "accept": "text/html",
            },
        }
    )
    endpoints.update(extra)
    return endpoints


def feature_query_sets(url, rng, topics, people, credentials) -> dict[str, dict]:
    """Return the paths of channels, readouts and curation (the review queue, the history)."""
    import psycopg

    with psycopg.connect(url) as conn:
        channels = [row[0] for row in conn.execute("SELECT slug FROM diplomacy_channel ORDER BY 1")]
        both = conn.execute(BOTH_READOUTS_SQL).fetchall()
        curated = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT meeting_id FROM diplomacy_curationevent "
                "WHERE meeting_id IS NOT NULL ORDER BY 1"
            )
        ]
    readouts = rng.sample(both, min(100, len(both)))
    html = {"accept": "text/html", "target": PAGE_P95_MS}
    endpoints: dict[str, dict] = {}
    if channels:
        endpoints.update(
            {
                "channel index page": {"paths": ["/channels/"], **html},
                "channel page": {"paths": [f"/channels/{slug}/" for slug in channels], **html},
                "channels list": {
                    "paths": ["/api/v1/channels/"]
                    + [f"/api/v1/channels/?kind={kind}" for kind in ("office_pair", "mechanism")]
                    + [f"/api/v1/channels/?participant={slug}" for slug in people[:10]]
                    + [f"/api/v1/channels/?topic={slug}" for slug in topics[:10]]
                },
                "channel detail": {"paths": [f"/api/v1/channels/{slug}/" for slug in channels]},
                "meetings?channel": {
                    "paths": [f"/api/v1/meetings/?channel={slug}" for slug in channels]
                },
            }
        )
    if readouts:
        endpoints.update(
            {
                "meeting readouts": {
                    "paths": [f"/api/v1/meetings/{pk}/readouts/" for pk, _ in readouts]
                },
                "meeting page (readouts)": {
                    "paths": [f"/meetings/{slug}/" for _, slug in readouts],
                    **html,
                },
            }
        )
    if credentials:
        reasons = [f"?reason={reason}" for reason in REVIEW_REASONS]
        history = rng.sample(curated, min(60, len(curated))) + [pk for pk, _ in readouts[:20]]
        endpoints.update(
            {
                "review page": {
                    "paths": ["/review/"] + [f"/review/{query}" for query in reasons],
                    "headers": credentials["session"],
                    **html,
                },
                "review queue": {
                    "paths": ["/api/v1/review/"] + [f"/api/v1/review/{query}" for query in reasons],
                    "headers": credentials["token"],
                },
                "meeting history": {
                    "paths": [f"/api/v1/meetings/{pk}/history/" for pk in history],
                    "headers": credentials["token"],
                },
            }
        )
    return {name: spec for name, spec in endpoints.items() if spec["paths"]}


def target_for(name: str, spec: dict | None = None) -> float:
    if spec and spec.get("target"):
        return spec["target"]
    if name == "search page" or name.startswith("meetings?q"):
        return SEARCH_P95_MS
    if name == "timeline page":
        return TIMELINE_P95_MS
    return API_P95_MS


def bench_api(api, limit, endpoints: dict, runs: int, seconds: float) -> dict:
    """Measure every endpoint: one client, then CONNECTIONS; the limit beside the list."""
    from bench.http_load import run_load

    results: dict = {}
    for spec in endpoints.values():  # warm caches and connections once
        accept, headers = spec.get("accept", "application/json"), spec.get("headers")
        run_load(api.base, spec["paths"], 4, 1, accept, headers)
        if spec.get("limit"):
            run_load(limit.base, spec["paths"], 4, 1, accept)
    raw: dict = {name: {"single": [], "loaded": [], "limit": []} for name in endpoints}
    for run in range(runs):
        say(f"API run {run + 1}/{runs}")
        for name, spec in endpoints.items():
            accept, headers = spec.get("accept", "application/json"), spec.get("headers")
            raw[name]["single"].append(
                run_load(api.base, spec["paths"], 1, seconds, accept, headers).as_dict()
            )
            raw[name]["loaded"].append(
                run_load(api.base, spec["paths"], CONNECTIONS, seconds, accept, headers).as_dict()
            )
            if spec.get("limit"):
                raw[name]["limit"].append(
                    run_load(limit.base, spec["paths"], CONNECTIONS, seconds, accept).as_dict()
                )
    for name, spec in endpoints.items():
        single = summarise_runs(raw[name]["single"])
        loaded = summarise_runs(raw[name]["loaded"])
        entry = {
            "paths": len(spec["paths"]),
            "single_client": single,
            f"connections_{CONNECTIONS}": loaded,
            "p95_target_ms": target_for(name, spec),
            # No answer at all is no latency: it misses the target.
            "p95_met": bool(single["requests"])
            and single["errors"] == 0
            and single["p95_ms"]["median"] <= target_for(name, spec),
        }
        if raw[name]["limit"]:
            limit_summary = summarise_runs(raw[name]["limit"])
            ratios = [
                api_run["rps"] / limit_run["rps"]
                for api_run, limit_run in zip(raw[name]["loaded"], raw[name]["limit"], strict=True)
                if limit_run["rps"]
            ]
            entry["limit"] = limit_summary
            entry["ratio_to_limit"] = summarise(ratios) if ratios else None
            entry["ratio_met"] = bool(ratios) and statistics.median(ratios) >= LIMIT_RATIO
        results[name] = entry
    return results


def profile_endpoints(url: str, endpoints: dict, label: str) -> tuple[dict, Path]:
    """Split each endpoint's cost into Python CPU and SQL time, and EXPLAIN its slow queries.

    Requests go through Django's test client in this process, pointed at the scale's database
    (same server, another name), so the SQL is exactly what the views run. CPU time is this
    process's only, so it holds even when other work shares the machine. The two slowest
    queries of one request per endpoint are run again under EXPLAIN (ANALYZE, BUFFERS).
    """
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    connection.close()
    connection.settings_dict["NAME"] = urlsplit(url).path.lstrip("/")
    client = Client(HTTP_HOST="127.0.0.1")
    figures: dict = {}
    lines = []
    for name, spec in endpoints.items():
        paths = spec["paths"][:PROFILE_REQUESTS]
        accept = spec.get("accept", "application/json")
        headers = spec.get("headers") or {}
        for path in paths:  # warm the process and PostgreSQL's cache
            client.get(path, HTTP_ACCEPT=accept, headers=headers)
        figures[name] = {"requests": len(paths)}
        # Warm: what a load run sees. Cold: the cache emptied before each request, as after
        # every change of the data while articles stream in (caches are keyed by revision).
        for suffix, empty_cache in (("", False), ("_cold", True)):
            wall = cpu = sql = 0.0
            count = 0
            for path in paths:
                if empty_cache:
                    cache.clear()
                started, started_cpu = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as queries:
                    client.get(path, HTTP_ACCEPT=accept, headers=headers)
                wall += time.perf_counter() - started
                cpu += time.process_time() - started_cpu
                sql += sum(float(query["time"]) for query in queries.captured_queries)
                count += len(queries.captured_queries)
            figures[name].update(
                {
                    f"wall_ms{suffix}": round(wall / len(paths) * 1000, 1),
                    f"python_cpu_ms{suffix}": round(cpu / len(paths) * 1000, 1),
                    f"sql_ms{suffix}": round(sql / len(paths) * 1000, 1),
                    f"queries{suffix}": round(count / len(paths), 1),
                }
            )
        path = spec.get("explain", paths[0])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, HTTP_ACCEPT=accept, headers=headers)
        lines.append(f"=== {name}: GET {path} -> {response.status_code}; {figures[name]}")
        slowest = sorted(queries.captured_queries, key=lambda query: -float(query["time"]))
        for query in slowest[:2]:
            lines.append(f"--- {float(query['time']) * 1000:.1f} ms: {query['sql']}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                lines.extend("    " + row[0] for row in cursor.fetchall())
        lines.append("")
    connection.close()
    # Beside the logs (git ignores .devdata/); latest.json records where.
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    output = WORK_DIR / f"explain-{label}.txt"
    output.write_text("\n".join(lines) + "\n")
    return figures, output


# Ingestion ---------------------------------------------------------------------------------


def bench_ingest(url, marker, api, env, worker, runs: int, articles: int) -> dict:
    from bench import bench_ingest as ingest
    from bench.corpus import Corpus, Reference
    from diplomacy.reference.gazetteer import gazetteer_from_files

    token = ingest.api_token(env)
    corpus = Corpus(
        seed=SEED,
        articles=marker["articles"],
        reference=Reference(gazetteer_from_files()),
    )
    nonce = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    results = []
    try:
        warmup = corpus.extra_articles(ingest.WARMUP_ARTICLES, f"{nonce}-warmup")
        ingest.run_ingest(url, api.base, token, warmup, 4, worker.concurrency)
        single = ingest.run_one_at_a_time(
            url, api.base, token, corpus.extra_articles(SEQUENTIAL_ARTICLES, f"{nonce}-single")
        )
        say(f"ingest one at a time: p50 {single['p50_ms']} ms, p95 {single['p95_ms']} ms")
        for run in range(runs):
            texts = corpus.extra_articles(articles, f"{nonce}-{run}")
            result = ingest.run_ingest(url, api.base, token, texts, 8, worker.concurrency)
            say(
                f"ingest run {run + 1}/{runs}: {result.articles_per_second} articles/s, "
                f"p50 {result.p50_ms} ms, p95 {result.p95_ms} ms, failed {result.failed}"
            )
            results.append(result.as_dict())
    finally:
        ingest.cleanup(url, marker["max_article_id"], marker["max_meeting_id"])
    return {
        "one_at_a_time": single,
        "runs": results,
        "articles_per_run": articles,
        "articles_per_second": summarise([r["articles_per_second"] for r in results]),
        "p50_ms": summarise([r["p50_ms"] for r in results]),
        "p95_ms": summarise([r["p95_ms"] for r in results]),
        "post_p50_ms": summarise([r["post_p50_ms"] for r in results]),
        "placed_after_s": summarise([r["placed_after_s"] for r in results]),
        "failed": sum(r["failed"] for r in results),
        "worker_concurrency": worker.concurrency,
        "target_articles_per_second": ingest.TARGET_ARTICLES_PER_SECOND,
        "met": statistics.median(r["articles_per_second"] for r in results)
        >= ingest.TARGET_ARTICLES_PER_SECOND,
    }


# One scale ---------------------------------------------------------------------------------


def bench_scale(articles: int, options) -> dict:
    from bench import bench_ingest as ingest
    from bench import memory
    from bench.http_load import Server

    label = bench_load.scale_label(articles)
    url, marker = bench_load.ensure_loaded(articles, SEED, reload=options.reload, say=say)
    result: dict = {
        "scale": label,
        "load": marker,
        "started_at": datetime.now(UTC).isoformat(),
        "commit": _first_line(["git", "-C", str(BASE_DIR), "rev-parse", "--short", "HEAD"]),
    }
    broker = ingest.broker_url()
    env = server_env(url, broker)
    collect_static(env)
    redis_problem = ingest.redis_problem(broker)
    env.update(shared_cache_env(url, redis_problem))
    result["cache"] = "redis" if env.get("CACHE_REDIS") == "true" else "per process"
    if redis_problem is None:
        ingest.purge_queue(broker)
    elif "ingest" in options.only:
        say(f"skipping ingestion: {redis_problem}")
        result["ingest_skipped"] = redis_problem
    logs = WORK_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    credentials = curator_credentials(env)
    endpoints = {
        name: spec
        for name, spec in query_sets(url, credentials).items()
        if not options.endpoints or any(part in name for part in options.endpoints)
    }
    result["loadavg_before"] = os.getloadavg()
    if options.explain:
        result["profile"], plans = profile_endpoints(url, endpoints, label)
        result["explain"] = str(plans.relative_to(BASE_DIR))
    with (
        Server("config.wsgi:application", env, GUNICORN_WORKERS, logs / "api.log") as api,
        Server(
            "bench.minimal_handler:application", env, GUNICORN_WORKERS, logs / "limit.log"
        ) as limit,
    ):
        say(
            f"{label}: gunicorn ({GUNICORN_WORKERS} sync workers) at {api.base}, "
            f"the limit at {limit.base}"
        )
        if "api" in options.only:
            result["api"] = bench_api(api, limit, endpoints, options.runs, options.seconds)
        if "ingest" in options.only and redis_problem is None:
            concurrency = int(os.environ.get("BENCH_WORKER_CONCURRENCY", os.cpu_count() or 1))
            with ingest.Worker(env, concurrency, logs / "worker.log") as worker:
                result["ingest"] = bench_ingest(
                    url, marker, api, env, worker, options.runs, options.ingest_articles
                )
                result.setdefault("memory", {})["celery_worker"] = memory.summarise(
                    worker.child_pids(), memory.CELERY_WORKER_TARGET_MB
                )
        result.setdefault("memory", {})["web_worker"] = memory.summarise(
            api.worker_pids(), memory.WEB_WORKER_TARGET_MB
        )
    result["loadavg_after"] = os.getloadavg()
    result["finished_at"] = datetime.now(UTC).isoformat()
    return result


# Report ------------------------------------------------------------------------------------


def _range(summary: dict, digits: int = 1) -> str:
    return (
        f"{summary['median']:.{digits}f} ({summary['min']:.{digits}f}–{summary['max']:.{digits}f})"
    )


def print_table(results: dict) -> None:
    batch = results.get("settings", {}).get("ingest_batch_size", "1 (per article)")
    print(f"\nIngest batch size (articles per task): {batch}")
    extraction = results.get("extraction")
    if extraction:
        print("\nExtraction alone (articles per CPU-second, one core; median (min–max))")
        for name, figures in extraction.items():
            if isinstance(figures, dict):
                print(
                    f"  {name:<24} {_range(figures['articles_per_cpu_second'])}"
                    f"  ({figures['mean_words']} words)  target >= {extraction['target']}"
                )
    for label, scale in results.get("scales", {}).items():
        counts = (scale.get("load") or {}).get("counts", {})
        print(
            f"\nScale {label}: {counts.get('articles', '?'):,} articles, "
            f"{counts.get('meetings', '?'):,} meetings, {counts.get('evidence', '?'):,} evidence"
        )
        if scale.get("loadavg_before"):
            before = ", ".join(f"{value:.1f}" for value in scale["loadavg_before"])
            after = ", ".join(f"{value:.1f}" for value in scale.get("loadavg_after") or ())
            print(f"  machine load average before: {before}; after: {after}")
        api = scale.get("api")
        if api:
            header = (
                f"  {'endpoint':<24} {'1 client p50/p95/p99 ms':>26} "
                f"{'req/s @16':>18} {'p95 @16':>8} {'limit req/s':>18} {'ratio':>6}  target"
            )
            print(header)
            for name, entry in api.items():
                single = entry["single_client"]
                loaded = entry[f"connections_{CONNECTIONS}"]
                latency = (
                    f"{single['p50_ms']['median']:.1f}/{single['p95_ms']['median']:.1f}/"
                    f"{single['p99_ms']['median']:.1f}"
                )
                limit = _range(entry["limit"]["rps"], 0) if entry.get("limit") else "-"
                ratio = (
                    f"{entry['ratio_to_limit']['median']:.2f}"
                    if entry.get("ratio_to_limit")
                    else "-"
                )
                verdict = "met" if entry["p95_met"] else "MISSED"
                if "ratio_met" in entry:
                    verdict += ", ratio " + ("met" if entry["ratio_met"] else "MISSED")
                if "sequence" in single.get("tools", ()):
                    latency += "*"  # too slow for a timed run: one request per path instead
                throughput = _range(loaded["rps"], 0) if loaded["requests"] else "none done"
                loaded_p95 = f"{loaded['p95_ms']['median']:.1f}" if loaded["requests"] else "-"
                print(
                    f"  {name:<24} {latency:>26} {throughput:>18} "
                    f"{loaded_p95:>8} {limit:>18} {ratio:>6}  "
                    f"p95<={entry['p95_target_ms']}: {verdict}"
                    + (
                        f"  [{single['errors'] + loaded['errors']} errors]"
                        if single["errors"] or loaded["errors"]
                        else ""
                    )
                )
            print("  * one request per path, one after another: too slow for a timed run")
        profile = scale.get("profile")
        if profile:
            print("  in-process cost per request (ms): Python CPU / SQL / queries, warm | cold")
            for name, figures in profile.items():
                print(
                    f"    {name:<24} {figures['python_cpu_ms']:>7.1f} {figures['sql_ms']:>7.1f} "
                    f"{figures['queries']:>5.1f} | {figures.get('python_cpu_ms_cold', 0):>7.1f} "
                    f"{figures.get('sql_ms_cold', 0):>7.1f} {figures.get('queries_cold', 0):>5.1f}"
                )
        ingest = scale.get("ingest")
        if ingest:
            print(
                f"  ingest end to end, {ingest['articles_per_run']} articles posted by 8 clients: "
                f"{_range(ingest['articles_per_second'])} articles/s, "
                f"p50 {_range(ingest['p50_ms'], 0)} ms, p95 {_range(ingest['p95_ms'], 0)} ms "
                f"per article (target >= {ingest['target_articles_per_second']}/s: "
                f"{'met' if ingest['met'] else 'MISSED'})"
            )
            if ingest.get("placed_after_s"):
                print(
                    "  vague reports placed again after the last article was done: "
                    f"{_range(ingest['placed_after_s'])} s"
                )
            single = ingest.get("one_at_a_time")
            if single:
                print(
                    f"  ingest one article at a time (no queue): p50 {single['p50_ms']} ms, "
                    f"p95 {single['p95_ms']} ms"
                )
        for name, figures in (scale.get("memory") or {}).items():
            if figures.get("max_rss_mb") is not None:
                print(
                    f"  memory {name}: max RSS {figures['max_rss_mb']} MB, PSS "
                    f"{figures['max_pss_mb']} MB (target <= {figures['target_mb']} MB: "
                    f"{'met' if figures['met'] else 'MISSED'})"
                )


def markdown_report(results: dict) -> str:
    """Return the figures of latest.json as the Markdown tables bench/README.md shows."""
    lines = []
    machine = results.get("machine", {})
    lines.append(
        f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, "
        f"{machine.get('memory_mb', 0) // 1024} GB RAM, PostgreSQL {machine.get('postgresql')}, "
        f"Python {machine.get('python')}, load generator {machine.get('load_generator')}, "
        f"commit {machine.get('commit')}. Ingest batch size (articles per task): "
        f"{results.get('settings', {}).get('ingest_batch_size', '1 (per article)')}."
    )
    extraction = results.get("extraction")
    if extraction:
        lines += [
            "",
            "| extraction alone (one core) | words | articles per CPU-second |",
            "|---|---|---|",
        ]
        for name, figures in extraction.items():
            if isinstance(figures, dict):
                lines.append(
                    f"| {name} | {figures['mean_words']} | "
                    f"{_range(figures['articles_per_cpu_second'])} |"
                )
    labels = list(results.get("scales", {}))
    for label in labels:
        scale = results["scales"][label]
        counts = (scale.get("load") or {}).get("counts", {})
        seconds = (scale.get("load") or {}).get("seconds", {})
        lines += [
            "",
            f"#### {label}: {counts.get('articles', 0):,} articles, "
            f"{counts.get('meetings', 0):,} meetings, {counts.get('evidence', 0):,} evidence, "
            f"{counts.get('mentions', 0):,} mentions (loaded in {seconds.get('total', '?')} s; "
            f"commit {scale.get('commit', '?')})",
            "",
        ]
        if scale.get("loadavg_before"):
            lines.append(
                f"Load average of the shared machine before / after: "
                f"{scale['loadavg_before'][0]:.1f} / {(scale.get('loadavg_after') or [0])[0]:.1f}."
            )
            lines.append("")
        api = scale.get("api") or {}
        if api:
            lines += [
                "| endpoint | 1 client p50 / p95 / p99 ms | req/s @16 | limit req/s @16 | "
                "ratio | p95 target |",
                "|---|---|---|---|---|---|",
            ]
        for name, entry in api.items():
            single = entry["single_client"]
            loaded = entry[f"connections_{CONNECTIONS}"]
            star = "*" if "sequence" in single.get("tools", ()) else ""
            latency = (
                f"{single['p50_ms']['median']:.0f} / {single['p95_ms']['median']:.0f} / "
                f"{single['p99_ms']['median']:.0f}{star}"
            )
            throughput = _range(loaded["rps"], 0) if loaded["requests"] else "none finished"
            limit = _range(entry["limit"]["rps"], 0) if entry.get("limit") else ""
            ratio = (
                f"{entry['ratio_to_limit']['median']:.2f}" if entry.get("ratio_to_limit") else ""
            )
            verdict = "met" if entry["p95_met"] else "**missed**"
            if "ratio_met" in entry:
                verdict += "; ratio " + ("met" if entry["ratio_met"] else "**missed**")
            lines.append(
                f"| {name} | {latency} | {throughput} | {limit} | {ratio} | "
                f"<= {entry['p95_target_ms']} ms: {verdict} |"
            )
        profile = scale.get("profile")
        if profile:
            lines += [
                "",
                "| endpoint (in process) | Python CPU ms | SQL ms | queries | "
                "cold cache: CPU ms | SQL ms | queries |",
                "|---|---|---|---|---|---|---|",
            ]
            for name, figures in profile.items():
                lines.append(
                    f"| {name} | {figures['python_cpu_ms']} | {figures['sql_ms']} | "
                    f"{figures['queries']} | {figures.get('python_cpu_ms_cold', '')} | "
                    f"{figures.get('sql_ms_cold', '')} | {figures.get('queries_cold', '')} |"
                )
        ingest = scale.get("ingest")
        if ingest:
            single = ingest.get("one_at_a_time") or {}
            lines += [
                "",
                f"Ingest end to end ({ingest['articles_per_run']} articles posted by 8 clients, "
                f"worker concurrency {ingest['worker_concurrency']}): "
                f"{_range(ingest['articles_per_second'])} articles/s; per article p50 "
                f"{_range(ingest['p50_ms'], 0)} ms, p95 {_range(ingest['p95_ms'], 0)} ms "
                f"(queueing included); one article at a time: p50 {single.get('p50_ms')} ms, "
                f"p95 {single.get('p95_ms')} ms. Target >= "
                f"{ingest['target_articles_per_second']}/s: "
                f"{'met' if ingest['met'] else '**missed**'}.",
            ]
        memory = scale.get("memory") or {}
        parts = [
            f"{name.replace('_', ' ')} {figures['max_rss_mb']} MB RSS / {figures['max_pss_mb']} "
            f"MB PSS (<= {figures['target_mb']} MB: {'met' if figures['met'] else '**missed**'})"
            for name, figures in memory.items()
            if figures.get("max_rss_mb") is not None
        ]
        if parts:
            lines += ["", "Memory after the runs: " + "; ".join(parts) + "."]
    return "\n".join(lines) + "\n"


def write_results(results: dict) -> Path:
    """Write latest.json, keeping other scales' figures from earlier runs on this machine."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    latest = RESULTS / "latest.json"
    merged = results
    if latest.exists():
        try:
            previous = json.loads(latest.read_text())
        except ValueError:
            previous = {}
        if previous.get("machine", {}).get("cpu") == results["machine"]["cpu"]:
            scales = dict(previous.get("scales", {}))
            for label, figures in results.get("scales", {}).items():
                # A partial run (--only) replaces only the figures it measured.
                before = scales.get(label, {})
                merged_scale = {**before, **figures}
                for key in ("api", "memory", "profile"):
                    if isinstance(figures.get(key), dict) and isinstance(before.get(key), dict):
                        merged_scale[key] = {**before[key], **figures[key]}
                scales[label] = merged_scale
            merged = {**previous, **results, "scales": scales}
            if "extraction" not in results and "extraction" in previous:
                merged["extraction"] = previous["extraction"]
    latest.write_text(json.dumps(merged, indent=2, default=str) + "\n")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"run-{stamp}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    return latest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=os.environ.get("BENCH_SCALE", "10k"))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "5"))
    )
    parser.add_argument(
        "--ingest-articles", type=int, default=int(os.environ.get("BENCH_INGEST_ARTICLES", "200"))
    )
    parser.add_argument(
        "--only",
        default="extraction,api,ingest",
        help="comma-separated: extraction, api, ingest",
    )
    parser.add_argument("--reload", action="store_true", help="reload the corpus databases")
    parser.add_argument(
        "--endpoints", default="", help="comma-separated parts of endpoint names to run (all)"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="write EXPLAIN ANALYZE of each endpoint's slowest queries to .devdata/bench/",
    )
    parser.add_argument(
        "--report", action="store_true", help="print latest.json as Markdown tables and stop"
    )
    options = parser.parse_args(argv)
    if options.report:
        print(markdown_report(json.loads((RESULTS / "latest.json").read_text())))
        return 0
    options.only = {part.strip() for part in options.only.split(",") if part.strip()}
    options.endpoints = [part.strip() for part in options.endpoints.split(",") if part.strip()]
    scales = [bench_load.parse_scale(part) for part in options.scales.split(",") if part.strip()]

    server = bench_load.server_url()
    try:
        return run_benchmarks(server, scales, options)
    finally:
        bench_load.stop_started_database()


def run_benchmarks(server: str, scales: list[int], options: argparse.Namespace) -> int:
    # The in-process profile (--explain) runs with the servers' settings.
    os.environ.update(
        {
            key: value
            for key, value in server_env(server, "redis://127.0.0.1:6379/0").items()
            if key not in ("DATABASE_URL", "CELERY_BROKER_URL")
        }
    )
    bench_load.setup_django(server)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results: dict = {
        "generated_at": datetime.now(UTC).isoformat(),
        "machine": machine_info(server),
        "settings": {
            "runs": options.runs,
            "seconds_per_load_run": options.seconds,
            "gunicorn": f"{GUNICORN_WORKERS} sync workers",
            "connections": CONNECTIONS,
            "seed": SEED,
            "ingest_batch_size": ingest_batch_size(),
        },
        "scales": {},
    }
    say(f"machine: {results['machine']}")
    if "extraction" in options.only:
        say("extraction alone")
        results["extraction"] = bench_extraction(max(options.runs, 3))
    for articles in scales:
        label = bench_load.scale_label(articles)
        say(f"scale {label}")
        results["scales"][label] = bench_scale(articles, options)
    results["seconds"] = round(time.monotonic() - started)
    path = write_results(results)
    print_table(results)
    say(f"wrote {path.relative_to(BASE_DIR)} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
