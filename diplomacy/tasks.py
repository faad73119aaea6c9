from celery import shared_task

from diplomacy.services import TRANSIENT_ERRORS, article_process


@shared_task(
    name="diplomacy.article_extract",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=8,
)
def article_extract(article_id: int) -> str | None:
    """Extract meetings from an article; a re-run or a duplicate message is harmless."""
    return article_process(article_id)
