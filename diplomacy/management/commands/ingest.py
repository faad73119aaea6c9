"""Ingest text from files, folders or standard input: stored by articles, extracted here.

The command lives with diplomacy because `--sync` runs the extraction in this process.
"""

import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.exceptions import IngestError
from articles.models import Article
from articles.services import article_ingest, page_text
from diplomacy.services import article_process_now

SUFFIXES = {".txt", ".md", ".html", ".htm"}
# Above this many files a progress bar replaces the per-file lines on a terminal.
PROGRESS_AFTER = 5


class Command(BaseCommand):
    help = (
        "Ingest articles from files, folders (walked for .txt, .md and .html) or standard input "
        "('-'). Without --sync, extraction is queued for the worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files, folders, or - for standard input")
        parser.add_argument("--published", type=_iso_date, help="publication date, YYYY-MM-DD")
        parser.add_argument("--title", default="", help="title (one input only)")
        parser.add_argument("--url", default=None, help="the article's address (one input only)")
        parser.add_argument("--source", default=None, help="source name, created when new")
        parser.add_argument(
            "--sync", action="store_true", help="extract in this process and wait until done"
        )

    def handle(self, *args, paths, published, title, url, source, sync, **options):
        inputs = list(_expand(paths))
        if not inputs:
            raise CommandError("No .txt, .md or .html files were found in the given paths.")
        if (title or url) and len(inputs) > 1:
            raise CommandError("--title and --url apply to a single input, not several.")
        counts = {"new": 0, "duplicate": 0, "failed": 0}
        progress = self._progress(len(inputs))
        for path in inputs:
            name = "standard input" if path == "-" else str(path)
            try:
                outcome = self._ingest_one(path, published, title, url, source, sync)
            except (IngestError, OSError, UnicodeDecodeError) as error:
                counts["failed"] += 1
                self.stderr.write(f"failed     {name}: {getattr(error, 'message', error)}")
            else:
                article = Article.objects.get(pk=outcome.article.pk)
                counts["new" if outcome.created else "duplicate"] += 1
                if progress is None:
                    state = "new" if outcome.created else "duplicate"
                    self.stdout.write(
                        f"{state:<10} {name} → article {article.pk} ({article.status})"
                    )
            if progress is not None:
                progress.update(1)
        if progress is not None:
            progress.close()
        summary = f"{counts['new']} new, {counts['duplicate']} duplicate, {counts['failed']} failed"
        self.stdout.write(self.style.SUCCESS(summary) if not counts["failed"] else summary)
        if counts["failed"] and not (counts["new"] or counts["duplicate"]):
            raise CommandError("Nothing was ingested.")

    def _progress(self, total):
        if total <= PROGRESS_AFTER or not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit="file", file=sys.stderr)

    def _ingest_one(self, path, published, title, url, source, sync):
        if path == "-":
            raw = sys.stdin.buffer.read()
            suffix = ".txt"
        else:
            raw = path.read_bytes()
            suffix = path.suffix.lower()
        try:
            text = raw.decode("utf-8-sig")  # a byte order mark is not part of the text
        except UnicodeDecodeError:
            raise IngestError("The text is not UTF-8 (binary data or another encoding).") from None
        found_title, found_date = "", None
        if suffix in (".html", ".htm"):
            page = page_text(text, url)
            text, found_title, found_date = page.text, page.title, page.published
        elif path != "-" and not title:
            found_title = _first_line_title(text)
        outcome = article_ingest(
            body=text,
            url=url,
            title=title or found_title,
            published_at=published or found_date,
            source=source,
            published_source="metadata" if found_date and not published else None,
            announce=not sync,
        )
        if sync and outcome.created:
            article_process_now(outcome.article.pk)
        return outcome


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        from argparse import ArgumentTypeError

        raise ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _expand(paths):
    for raw in paths:
        if raw == "-":
            yield "-"
            continue
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUFFIXES and p.stem.upper() != "README"
            )
        elif path.is_file():
            yield path
        else:
            raise CommandError(f"{raw}: no such file or folder.")


def _first_line_title(text: str) -> str:
    """Use a short first line as the title, as plain-text articles usually start with one."""
    first = text.strip().split("\n", 1)[0].strip().lstrip("# ").strip()
    return first if 0 < len(first) <= 200 and not first.endswith(".") else ""
