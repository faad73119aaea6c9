from celery import shared_task

from diplomacy.services import TRANSIENT_ERRORS, articles_process_batch, reports_resettle_waiting


@shared_task(
    name="diplomacy.article_extract",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=8,
)
def article_extract(article_id: int) -> dict[str, list[int]] | None:
    """Extract meetings from an article, and from up to INGEST_BATCH_SIZE - 1 others waiting;
    return the ids that ended in each status. A re-run or a duplicate message is harmless."""
    return articles_process_batch(article_id)


@shared_task(
    name="diplomacy.reports_resettle",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=8,
)
def reports_resettle() -> int:
    """Place again the vague reports that extraction batches asked to be (every request
    waiting, in one go); return how many meetings changed. Harmless to run at any time."""
    return reports_resettle_waiting()
