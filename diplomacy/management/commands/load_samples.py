import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand

from articles.services import article_ingest, source_get_or_create
from diplomacy.services import article_process_now

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "reference" / "samples"


class Command(BaseCommand):
    help = "Ingest the bundled sample articles (diplomacy/reference/samples) for the demo."

    def add_arguments(self, parser):
        parser.add_argument("--sync", action="store_true", help="extract here and wait")

    def handle(self, *args, sync=False, **options):
        manifest = json.loads((SAMPLES_DIR / "manifest.json").read_text(encoding="utf-8"))
        created = 0
        for item in manifest:
            source = source_get_or_create(
                item["source"], item.get("source_kind", "news"), item.get("source_side", "media")
            )
            outcome = article_ingest(
                body=(SAMPLES_DIR / item["file"]).read_text(encoding="utf-8"),
                title=item.get("title", ""),
                url=item.get("url"),
                published_at=date.fromisoformat(item["published"])
                if item.get("published")
                else None,
                source=source,
                announce=not sync,
            )
            if sync and outcome.created:
                article_process_now(outcome.article.pk)
            created += outcome.created
        state = "processed" if sync else "queued for the worker"
        self.stdout.write(
            f"Sample articles: {created} new ({state}), {len(manifest) - created} already stored."
        )
