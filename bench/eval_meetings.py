"""Strict evaluation: ingest each text set into a scratch database and score its meetings.

    python bench/eval_meetings.py [--set NAME]... [--json PATH] [--quiet]

Sets: the bundled samples (`diplomacy/reference/samples/`, scored per text as
`bench/eval_extraction.py` does), the project's real texts (`bench/eval/real/`) and, when a
`shared/eval/real/` folder sits next to the checkout, that one too. For a real set the texts go,
one at a time with their PUBLISHED date (`unknown`: none), through `manage.py ingest --sync`
into a fresh database that holds only the gazetteer; the meetings are then read exactly as
`GET /api/v1/meetings/` returns them and scored with `bench/eval/scoring.py`. The scratch
database is created on the configured server (DATABASE_URL, or the embedded cluster) and dropped
at the end. Each set's meetings are written to `bench/results/eval-<set>-meetings.json`, and all
figures and errors to `bench/results/eval-latest.json`, so two runs can be compared.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.eval.scoring import load_keys, score  # noqa: E402

RESULTS = BASE_DIR / "bench" / "results"
REAL_SETS = {
    "project-real": BASE_DIR / "bench" / "eval" / "real",
    "shared-real": BASE_DIR.parent / "shared" / "eval" / "real",
}
FIGURES = (
    ("main_recall", "main-subject recall"),
    ("precision", "record precision"),
    ("records_per_meeting", "records per real meeting"),
    ("date_acc", "date"),
    ("place_acc", "place"),
    ("kind_acc", "kind"),
    ("status_acc", "status"),
    ("participant_precision", "participant precision"),
    ("participant_recall", "participant recall"),
    ("topic_precision", "topic precision"),
    ("topic_recall", "topic recall"),
    ("topic_f1", "topic F1"),
)


class FailureCounter(logging.Handler):
    """Count extraction failures: extract() logs them instead of raising."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record):
        self.count += 1


def read_text(path: Path) -> tuple[str, date | None]:
    """Split a set's text file into its body and its PUBLISHED date (header lines dropped)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    published = None
    while lines and lines[0].split(":", 1)[0] in ("SOURCE", "PUBLISHED"):
        label, value = lines.pop(0).split(":", 1)
        if label == "PUBLISHED" and value.strip() != "unknown":
            published = date.fromisoformat(value.strip())
    while lines and not lines[0].strip():
        lines.pop(0)
    return "".join(lines), published


def fresh_gazetteer_only() -> None:
    """Empty every table, then load people, places and topics (no curated timeline)."""
    from django.core.management import call_command

    from diplomacy.gazetteer import gazetteer_forget
    from diplomacy.reference.loader import reference_load

    call_command("flush", interactive=False, verbosity=0)
    reference_load(gazetteer_only=True)
    gazetteer_forget()


def ingest_set(folder: Path) -> list[str]:
    """Ingest each text as `manage.py ingest FILE --sync --published DAY` does; return failures."""
    from django.core.management import call_command

    from articles.models import Article

    with tempfile.TemporaryDirectory() as scratch:
        for path in sorted(folder.glob("*.txt")):
            body, published = read_text(path)
            copy = Path(scratch) / path.name
            copy.write_text(body, encoding="utf-8")
            call_command("ingest", str(copy), published=published, sync=True, stdout=io.StringIO())
    return list(Article.objects.exclude(status="done").values_list("title", flat=True))


def meetings_dump() -> list[dict]:
    """Every meeting, page by page, exactly as the public API lists them."""
    from django.test import Client
    from django.urls import reverse

    client = Client()
    url, records = reverse("api:meeting-list") + "?page_size=500&ordering=start_date", []
    while url:
        page = client.get(url).json()
        records.extend(page["results"])
        url = page["next"]
    return records


def evaluate_real_set(name: str, folder: Path) -> dict:
    fresh_gazetteer_only()
    counter = FailureCounter()
    logging.getLogger("diplomacy").addHandler(counter)
    started = time.monotonic()
    try:
        unfinished = ingest_set(folder)
    finally:
        logging.getLogger("diplomacy").removeHandler(counter)
    records = meetings_dump()
    RESULTS.mkdir(parents=True, exist_ok=True)
    dump = RESULTS / f"eval-{name}-meetings.json"
    dump.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    result = score(load_keys(folder), records)
    return {
        "texts": len(list(folder.glob("*.txt"))),
        "seconds": round(time.monotonic() - started, 1),
        "failures": counter.count + len(unfinished),
        "meetings_file": str(dump.relative_to(BASE_DIR)),
        "figures": {key: round(value, 3) for key, value in result.figures().items()},
        "errors": result.errors,
    }


def evaluate_samples() -> dict:
    from bench.eval_extraction import evaluate

    return {"figures": evaluate()}


class ScratchDatabase:
    """A database of its own on the configured server, created with the schema and dropped after."""

    def __enter__(self):
        from django.conf import settings
        from django.db import connection

        self.started_server = False
        if settings.EMBEDDED_DATABASE:
            from devserver import devdb

            self.started_server = devdb.start()
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
            f"eval_backchannel_{os.getpid()}"
        )
        self.original = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        return self

    def __exit__(self, *exc):
        from django.db import connection

        connection.creation.destroy_test_db(self.original, verbosity=0)
        if self.started_server:
            from devserver import devdb

            devdb.stop()


def real_sets(chosen: list[str]) -> dict[str, Path]:
    """The real sets to run: present, holding texts, and chosen (all when none is chosen)."""
    found = {}
    for name, folder in REAL_SETS.items():
        if chosen and name not in chosen:
            continue
        if folder.is_dir() and any(folder.glob("*.gold.json")):
            found[name] = folder
    return found


def print_report(results: dict, quiet: bool) -> None:
    names = list(results)
    print(f"{'':<28}" + "".join(f"{name:>16}" for name in names))
    rows = [("texts", "texts"), ("failures", "failures")]
    for key, label in rows:
        cells = "".join(f"{results[name].get(key, ''):>16}" for name in names)
        print(f"{label:<28}{cells}")
    for key, label in FIGURES:
        cells = "".join(_cell(results[name]["figures"].get(key)) for name in names)
        print(f"{label:<28}{cells}")
    samples = results.get("samples", {}).get("figures", {})
    for key in ("meeting_precision", "meeting_recall", "topic_precision", "topic_recall"):
        if key in samples:
            print(f"samples {key.replace('_', ' '):<20}{_cell(samples[key])}")
    if quiet:
        return
    for name, result in results.items():
        errors = result.get("errors") or []
        if errors:
            print(f"\n{name}: {len(errors)} errors")
        for error in sorted(errors, key=lambda e: (e["class"], e["text"])):
            print(f"  {error['class']:<20} {error['text']:<44} {error['detail']}")


def _cell(value) -> str:
    return f"{value:>16.3f}" if isinstance(value, float | int) else f"{'':>16}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], help="samples or a real set name")
    parser.add_argument("--json", default=str(RESULTS / "eval-latest.json"))
    parser.add_argument("--quiet", action="store_true", help="figures only, no error list")
    options = parser.parse_args()

    import django

    django.setup()
    logging.getLogger("diplomacy.extraction").propagate = True
    results: dict[str, dict] = {}
    if not options.set or "samples" in options.set:
        results["samples"] = evaluate_samples()
    sets = real_sets(options.set)
    if sets:
        with ScratchDatabase():
            for name, folder in sets.items():
                results[name] = evaluate_real_set(name, folder)
    for name in REAL_SETS:
        if name not in results and (not options.set or name in options.set):
            print(f"{name}: no texts with keys at {REAL_SETS[name]}, skipped")
    print_report(results, options.quiet)
    Path(options.json).parent.mkdir(parents=True, exist_ok=True)
    Path(options.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten: {options.json}")
    return 1 if any(r.get("failures") for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
