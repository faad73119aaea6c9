"""React to articles being stored: articles announces, diplomacy extracts."""

from django.dispatch import receiver

from articles.signals import article_stored


@receiver(article_stored, dispatch_uid="diplomacy.extract_stored_article")
def extract_stored_article(sender, article_id: int, sync: bool = False, **kwargs):
    """Queue extraction, or run it right away for callers that wait (`ingest --sync`)."""
    if sync:
        from diplomacy.services import article_process

        article_process(article_id)
    else:
        from diplomacy.tasks import article_extract

        article_extract.delay(article_id)
