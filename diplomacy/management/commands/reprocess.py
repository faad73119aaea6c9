from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from articles.models import Article
from diplomacy.gazetteer import gazetteer_forget
from diplomacy.services import article_reprocess


class Command(BaseCommand):
    help = (
        "Re-run extraction on articles (after the gazetteer or topics change). Each article's "
        "evidence is replaced; other articles' evidence stays as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="article ids")
        parser.add_argument("--all", action="store_true", help="every article with text")
        parser.add_argument("--since", type=date.fromisoformat, help="published on or after")
        parser.add_argument("--sync", action="store_true", help="process here and wait")

    def handle(self, *args, ids, all, since, sync, **options):
        if not (ids or all or since):
            raise CommandError("Give article ids, --all or --since YYYY-MM-DD.")
        articles = Article.objects.filter(content_hash__isnull=False)
        if ids:
            articles = articles.filter(pk__in=ids)
            missing = set(ids) - set(articles.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No article with text has id {sorted(missing)}.")
        if since:
            articles = articles.filter(Q(published_at__date__gte=since))
        gazetteer_forget()
        queued = 0
        for article_id in articles.order_by("id").values_list("pk", flat=True).iterator():
            if article_reprocess(article_id, now=sync):
                queued += 1
        verb = "Reprocessed" if sync else "Queued"
        self.stdout.write(self.style.SUCCESS(f"{verb} {queued} articles."))
