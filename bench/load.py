"""Load the benchmark corpus into its own PostgreSQL database with COPY.

    python bench/load.py --articles 100000 [--seed 1] [--database NAME] [--reload]

Each scale gets a database of its own on the same server as the development database
(`backchannel_bench_10k`, …), created and migrated here, with the gazetteer loaded by
`manage.py load_reference --gazetteer-only`. Meetings, participations and topics are copied
from this process; articles with their evidence and mentions are generated and copied in chunks
by one process per core, each on its own connection. Secondary indexes, unique constraints and
foreign keys are dropped before the copy and rebuilt after it (one index build is far cheaper
than a million index insertions), then the meeting counters are set from the evidence and the
tables are vacuumed and analysed.

A small table, `bench_corpus`, records what was loaded (seed, size, generator and gazetteer
versions); a database that already holds the same corpus is reused as it is.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench import corpus as corpus_module  # noqa: E402
from bench.corpus import Corpus, Reference  # noqa: E402

CHUNK_ARTICLES = 2_000
# Tables written by the loader, children last (so their foreign keys are dropped with them).
TABLES = (
    "articles_source",
    "articles_article",
    "diplomacy_meeting",
    "diplomacy_participation",
    "diplomacy_meetingtopic",
    "diplomacy_evidence",
    "diplomacy_mention",
    "diplomacy_articletopic",
)
# Written after the copy (by the channel service) or small: analysed, never dropped.
LINKED_TABLES = (
    "diplomacy_meetingchannel",
    "diplomacy_curationevent",
    "diplomacy_person",
    "diplomacy_topicday",
)
MARKER_TABLE = "bench_corpus"
# Corpora up to this size are settled after the copy (see settle_reports). At 1m the placing
# holds the corpus's large component at once: 10 minutes and 5 GB before its first write.
SETTLE_UP_TO = 100_000
# The application's own channel linking, run once over every loaded meeting.
LINK_CHANNELS = (
    "from diplomacy.services.channels import channels_assign_all; print(channels_assign_all())"
)


def scale_label(articles: int) -> str:
    """Return 10k, 100k, 1m … for an article count."""
    if articles >= 1_000_000 and articles % 1_000_000 == 0:
        return f"{articles // 1_000_000}m"
    if articles >= 1000 and articles % 1000 == 0:
        return f"{articles // 1000}k"
    return str(articles)


def parse_scale(text: str) -> int:
    """Return the article count of "10k", "100k", "1m" or a plain number."""
    text = text.strip().lower().replace("_", "").replace(",", "")
    factor = {"k": 1000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


_started_embedded = False


def server_url() -> str:
    """Return the URL of the server the development database lives on.

    Without DATABASE_URL that is the embedded cluster, started here when it is not running;
    `stop_started_database()` stops it again, as `make run` does on its way out.
    """
    global _started_embedded
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    from devserver import devdb

    _started_embedded = devdb.start() or _started_embedded
    return devdb.url()


def stop_started_database() -> None:
    """Stop the embedded cluster if server_url() started it; leave one found running alone."""
    global _started_embedded
    if _started_embedded:
        from devserver import devdb

        devdb.stop()
        _started_embedded = False


def database_url(name: str, base: str | None = None) -> str:
    parts = urlsplit(base or server_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_database_name(articles: int) -> str:
    return f"backchannel_bench_{scale_label(articles)}"


def _maintenance_connection(url: str) -> psycopg.Connection:
    return psycopg.connect(database_url("postgres", url), autocommit=True)


def create_database(url: str) -> None:
    """Drop and create the database named in `url`, then migrate it and load the gazetteer."""
    name = urlsplit(url).path.lstrip("/")
    with _maintenance_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    prepare_schema(url)


def prepare_schema(url: str) -> None:
    """Apply migrations and the gazetteer (both idempotent) to the database at `url`."""
    env = django_env(url)
    for command in (["migrate", "--noinput", "-v", "0"], ["load_reference", "--gazetteer-only"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=BASE_DIR,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def link_channels(url: str) -> int:
    """Link every meeting to its reference channels with the app's service; return the links.

    The service decides membership as it does for ingested meetings (office pair held on the
    meeting's date, or a mechanism named in its title or evidence), so the bench reads the
    same links the application would write.
    """
    return int(manage_shell(LINK_CHANNELS, django_env(url)).strip().splitlines()[-1])


def settle_reports(url: str) -> None:
    """Place the copied vague reports as ingestion would have (`manage.py resettle`).

    The generator files each report on the meeting it wrote it about; the matching rules may
    put an undated one on another meeting of the same people, and ingestion re-places a pair's
    vague reports whenever one of its meetings changes. Settled once here, the corpus is what
    a database fed article by article holds, and an ingest benchmark measures that steady
    state instead of the first re-placing of each pair.
    """
    subprocess.run(
        [sys.executable, "manage.py", "resettle", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=django_env(url),
        check=True,
        stdout=subprocess.DEVNULL,  # what goes wrong is on standard error
    )


def django_env(url: str) -> dict:
    """The environment the application's commands run in against the database at `url`."""
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}


def manage_shell(script: str, env: dict) -> str:
    """Run `script` in `manage.py shell` with `env`; return what it printed."""
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def database_exists(url: str) -> bool:
    name = urlsplit(url).path.lstrip("/")
    with _maintenance_connection(url) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def loaded_corpus(url: str) -> dict | None:
    """Return what the marker table says was loaded, or None."""
    if not database_exists(url):
        return None
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", [MARKER_TABLE]).fetchone()[0]
        if exists is None:
            return None
        row = conn.execute(
            f"SELECT seed, articles, generator_version, gazetteer_version, max_article_id, "
            f"max_meeting_id, seconds, counts FROM {MARKER_TABLE}"
        ).fetchone()
    if row is None:
        return None
    keys = (
        "seed",
        "articles",
        "generator_version",
        "gazetteer_version",
        "max_article_id",
        "max_meeting_id",
        "seconds",
        "counts",
    )
    return dict(zip(keys, row, strict=True))


def reference_ids(conn: psycopg.Connection) -> dict[tuple[str, str], int]:
    ids = {}
    for kind, table in (
        ("person", "diplomacy_person"),
        ("location", "diplomacy_location"),
        ("topic", "diplomacy_topic"),
    ):
        for slug, pk in conn.execute(f"SELECT slug, id FROM {table}"):
            ids[(kind, slug)] = pk
    return ids


def copy_rows(
    conn: psycopg.Connection, table: str, columns: Iterable[str], rows: Iterable[tuple]
) -> int:
    names = ", ".join(f'"{column}"' for column in columns)
    count = 0
    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _next_id(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]


def build_corpus(
    conn: psycopg.Connection,
    articles: int,
    seed: int,
    gazetteer=None,
    meetings: int | None = None,
) -> Corpus:
    """Return the corpus for this database: ids continue after the rows already there."""
    if gazetteer is None:
        from diplomacy.reference.gazetteer import gazetteer_from_files

        gazetteer = gazetteer_from_files()
    return Corpus(
        seed=seed,
        articles=articles,
        meetings=meetings,
        reference=Reference(gazetteer, reference_ids(conn)),
        article_id_base=_next_id(conn, "articles_article"),
        meeting_id_base=_next_id(conn, "diplomacy_meeting"),
        source_id_base=_next_id(conn, "articles_source"),
        person_id_base=_next_id(conn, "diplomacy_person"),
    )


@dataclass
class LoadReport:
    articles: int = 0
    meetings: int = 0
    evidence: int = 0
    mentions: int = 0
    participations: int = 0
    meeting_topics: int = 0
    curation_events: int = 0
    channel_links: int = 0
    words: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict:
        return {
            "articles": self.articles,
            "meetings": self.meetings,
            "evidence": self.evidence,
            "mentions": self.mentions,
            "participations": self.participations,
            "meeting_topics": self.meeting_topics,
            "curation_events": self.curation_events,
            "channel_links": self.channel_links,
            "mean_words": round(self.words / self.articles) if self.articles else 0,
        }


def copy_meetings(conn: psycopg.Connection, corpus: Corpus, report: LoadReport) -> None:
    copy_rows(conn, "articles_source", corpus_module.SOURCE_COLUMNS, corpus.source_rows())
    copy_rows(conn, "diplomacy_person", corpus_module.PERSON_COLUMNS, corpus.person_rows())
    report.meetings = copy_rows(
        conn, "diplomacy_meeting", corpus_module.MEETING_COLUMNS, corpus.meeting_rows()
    )
    report.participations = copy_rows(
        conn,
        "diplomacy_participation",
        corpus_module.PARTICIPATION_COLUMNS,
        corpus.participation_rows(),
    )
    report.meeting_topics = copy_rows(
        conn,
        "diplomacy_meetingtopic",
        corpus_module.MEETING_TOPIC_COLUMNS,
        corpus.meeting_topic_rows(),
    )
    report.curation_events = copy_rows(
        conn,
        "diplomacy_curationevent",
        corpus_module.CURATION_EVENT_COLUMNS,
        corpus.curation_event_rows(),
    )


def copy_article_chunk(conn: psycopg.Connection, corpus: Corpus, index: int, size: int) -> tuple:
    batch = corpus.article_chunk(index, size)
    copy_rows(conn, "articles_article", corpus_module.ARTICLE_COLUMNS, batch.articles)
    copy_rows(conn, "diplomacy_evidence", corpus_module.EVIDENCE_COLUMNS, batch.evidence)
    copy_rows(conn, "diplomacy_mention", corpus_module.MENTION_COLUMNS, batch.mentions)
    return len(batch.articles), len(batch.evidence), len(batch.mentions), batch.words


def finish(conn: psycopg.Connection, corpus: Corpus) -> None:
    """Set the counters every meeting keeps from its evidence, derive the articles' topics from
    their mentions (what extraction's article_topics_refresh writes), and move the id sequences
    on."""
    from diplomacy.services.article_topics import DERIVE

    conn.execute(DERIVE.format(articles="mention.article_id > %s"), [corpus.article_id_base])
    first = corpus.meeting_id_base + 1
    last = corpus.meeting_id_base + len(corpus.meetings)
    conn.execute(
        """
        UPDATE diplomacy_meeting AS meeting
        SET evidence_count = counted.evidence,
            article_count = counted.articles,
            first_reported_at = counted.first
        FROM (
            SELECT evidence.meeting_id,
                   count(*) AS evidence,
                   count(DISTINCT evidence.article_id) AS articles,
                   min(article.published_at) AS first
            FROM diplomacy_evidence AS evidence
            JOIN articles_article AS article ON article.id = evidence.article_id
            WHERE evidence.meeting_id BETWEEN %s AND %s
            GROUP BY evidence.meeting_id
        ) AS counted
        WHERE meeting.id = counted.meeting_id
        """,
        [first, last],
    )
    for table in ("articles_source", "articles_article", "diplomacy_meeting", "diplomacy_person"):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )


# Dropping and rebuilding indexes around the copy -------------------------------------------


@dataclass
class Schema:
    """The secondary indexes and constraints of the loaded tables, to drop and rebuild."""

    indexes: list[tuple[str, str]]  # (name, CREATE INDEX statement), unique ones included
    unique: list[tuple[str, str]]  # (table, constraint name) backed by an index of that name
    foreign_keys: list[tuple[str, str, str]]  # (table, name, definition)


def read_schema(conn: psycopg.Connection) -> Schema:
    tables = list(TABLES)
    indexes = conn.execute(
        """
        SELECT index.relname, pg_get_indexdef(index.oid)
        FROM pg_index
        JOIN pg_class AS index ON index.oid = pg_index.indexrelid
        JOIN pg_class AS owner ON owner.oid = pg_index.indrelid
        WHERE owner.relname = ANY(%s) AND NOT pg_index.indisprimary
        ORDER BY owner.relname, index.relname
        """,
        [tables],
    ).fetchall()
    constraints = conn.execute(
        """
        SELECT owner.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
        FROM pg_constraint AS con
        JOIN pg_class AS owner ON owner.oid = con.conrelid
        WHERE owner.relname = ANY(%s) AND con.contype IN ('u', 'f')
        ORDER BY owner.relname, con.conname
        """,
        [tables],
    ).fetchall()
    return Schema(
        indexes=list(indexes),
        unique=[(table, name) for table, name, kind, _ in constraints if kind == "u"],
        foreign_keys=[
            (table, name, definition)
            for table, name, kind, definition in constraints
            if kind == "f"
        ],
    )


def drop_schema(conn: psycopg.Connection, schema: Schema) -> None:
    for table, name, _ in schema.foreign_keys:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table, name in schema.unique:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    unique_names = {name for _, name in schema.unique}
    for name, _ in schema.indexes:
        if name not in unique_names:
            conn.execute(f'DROP INDEX "{name}"')


def rebuild_schema(url: str, schema: Schema, workers: int, say: Callable[[str], None]) -> None:
    """Build the indexes on `workers` connections at once, then restore the constraints."""

    def build(statement: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute(statement)

    # The big full-text indexes first, so the small ones fill in around them.
    statements = sorted(
        (statement for _, statement in schema.indexes), key=lambda s: ("gin" not in s.lower(), s)
    )
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(build, statements))
    say(f"built {len(statements)} indexes")
    with psycopg.connect(url, autocommit=True) as conn:
        for table, name in schema.unique:
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{name}"')
        for table, name, definition in schema.foreign_keys:
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


# The load ----------------------------------------------------------------------------------

_worker_corpus: Corpus | None = None
_worker_url = ""
_worker_conn: psycopg.Connection | None = None


def _copy_chunk_in_worker(task: tuple[int, int]) -> tuple:
    global _worker_conn
    if _worker_conn is None:
        _worker_conn = psycopg.connect(_worker_url, autocommit=True)
        _worker_conn.execute("SET synchronous_commit = off")
    index, size = task
    with _worker_conn.transaction():
        return copy_article_chunk(_worker_conn, _worker_corpus, index, size)


def load(
    url: str,
    articles: int,
    seed: int,
    workers: int | None = None,
    rebuild_indexes: bool = True,
    say: Callable[[str], None] = print,
    meetings: int | None = None,
    channels: bool = True,
) -> LoadReport:
    """Generate the corpus and copy it into the (migrated) database at `url`."""
    global _worker_corpus, _worker_url
    workers = workers or os.cpu_count() or 1
    report = LoadReport()
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        corpus = build_corpus(conn, articles, seed, meetings=meetings)
        report.seconds["plan"] = round(time.monotonic() - started, 1)
        schema = read_schema(conn) if rebuild_indexes else None
        if schema is not None:
            drop_schema(conn, schema)
        mark = time.monotonic()
        copy_meetings(conn, corpus, report)
    # Forked only now, so that no child inherits a connection of this process.
    _worker_corpus, _worker_url = corpus, url
    tasks = [(index, CHUNK_ARTICLES) for index in range(corpus.chunk_count(CHUNK_ARTICLES))]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for done, result in enumerate(pool.imap_unordered(_copy_chunk_in_worker, tasks), 1):
            report.articles += result[0]
            report.evidence += result[1]
            report.mentions += result[2]
            report.words += result[3]
            if done % max(1, len(tasks) // 10) == 0 or done == len(tasks):
                rate = report.articles / (time.monotonic() - mark)
                say(f"copied {report.articles:,} articles ({rate:,.0f}/s)")
    report.seconds["copy"] = round(time.monotonic() - mark, 1)
    mark = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET work_mem = '256MB'")
        finish(conn, corpus)
    report.seconds["counters"] = round(time.monotonic() - mark, 1)
    if schema is not None:
        mark = time.monotonic()
        rebuild_schema(url, schema, workers, say)
        report.seconds["indexes"] = round(time.monotonic() - mark, 1)
    if articles <= SETTLE_UP_TO:
        mark = time.monotonic()
        settle_reports(url)
        with psycopg.connect(url, autocommit=True) as conn:
            report.meetings = conn.execute("SELECT count(*) FROM diplomacy_meeting").fetchone()[0]
        report.seconds["settle"] = round(time.monotonic() - mark, 1)
    if channels:
        mark = time.monotonic()
        report.channel_links = link_channels(url)
        report.seconds["channels"] = round(time.monotonic() - mark, 1)
    mark = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in (*TABLES, *LINKED_TABLES):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    report.seconds["vacuum_analyze"] = round(time.monotonic() - mark, 1)
    report.seconds["total"] = round(time.monotonic() - started, 1)
    return report


def write_marker(url: str, seed: int, articles: int, report: LoadReport) -> None:
    from diplomacy.reference.gazetteer import gazetteer_from_files

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (
                seed integer, articles integer, generator_version text,
                gazetteer_version text, max_article_id bigint, max_meeting_id bigint,
                seconds jsonb, counts jsonb, loaded_at timestamptz DEFAULT now()
            )
            """
        )
        conn.execute(f"DELETE FROM {MARKER_TABLE}")
        conn.execute(
            f"INSERT INTO {MARKER_TABLE} (seed, articles, generator_version, gazetteer_version, "
            "max_article_id, max_meeting_id, seconds, counts) VALUES (%s, %s, %s, %s, "
            "(SELECT max(id) FROM articles_article), (SELECT max(id) FROM diplomacy_meeting), "
            "%s, %s)",
            [
                seed,
                articles,
                corpus_module.GENERATOR_VERSION,
                gazetteer_from_files().version,
                psycopg.types.json.Jsonb(report.seconds),
                psycopg.types.json.Jsonb(report.counts()),
            ],
        )


def ensure_loaded(
    articles: int,
    seed: int = 1,
    name: str | None = None,
    reload: bool = False,
    workers: int | None = None,
    say: Callable[[str], None] = print,
    meetings: int | None = None,
    channels: bool = True,
) -> tuple[str, dict]:
    """Return the URL of a database holding this corpus, loading it first when needed.

    The second value is the marker: what was loaded, its counts and how long the load took.
    """
    from diplomacy.reference.gazetteer import gazetteer_from_files

    url = database_url(name or bench_database_name(articles))
    marker = None if reload else loaded_corpus(url)
    wanted = (seed, articles, corpus_module.GENERATOR_VERSION, gazetteer_from_files().version)
    if (
        marker
        and (
            marker["seed"],
            marker["articles"],
            marker["generator_version"],
            marker["gazetteer_version"],
        )
        == wanted
    ):
        say(f"reusing {urlsplit(url).path.lstrip('/')} ({marker['counts']})")
        prepare_schema(url)  # new migrations since the load
        return url, marker
    say(f"creating {urlsplit(url).path.lstrip('/')} and loading {articles:,} articles")
    create_database(url)
    report = load(
        url, articles, seed, workers=workers, say=say, meetings=meetings, channels=channels
    )
    write_marker(url, seed, articles, report)
    say(f"loaded in {report.seconds['total']:.0f} s: {report.counts()} {report.seconds}")
    return url, loaded_corpus(url)


def setup_django(url: str | None = None) -> None:
    """Configure Django (for the gazetteer and the models) without touching the database."""
    if url:
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="10k", help="10k, 100k, 1m or a number")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="database name (default backchannel_bench_<scale>)")
    parser.add_argument("--reload", action="store_true", help="load even if already loaded")
    parser.add_argument("--workers", type=int, help="processes generating and copying")
    parser.add_argument(
        "--meetings",
        help="meetings instead of one per 20 articles (at most 80%% of the articles), in a "
        "database of its own: backchannel_bench_<articles>_<meetings>_meetings",
    )
    parser.add_argument(
        "--no-channels", action="store_true", help="skip linking meetings to channels"
    )
    options = parser.parse_args(argv)
    articles = parse_scale(options.articles)
    meetings = parse_scale(options.meetings) if options.meetings else None
    if meetings and not options.database:
        label = f"{scale_label(articles)}_{scale_label(meetings)}_meetings"
        options.database = f"backchannel_bench_{label}"
    server = server_url()
    setup_django(server)
    url, _ = ensure_loaded(
        articles,
        options.seed,
        options.database,
        options.reload,
        options.workers,
        meetings=meetings,
        channels=not options.no_channels,
    )
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
