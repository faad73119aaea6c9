"""The Celery application: `celery -A config worker` and `celery -A config beat`."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("backchannel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def beat_schedule(settings) -> dict:
    """Every periodic job, in one place."""
    return {
        # Re-enqueue articles a lost message or a dead worker left unfinished.
        "sweep-unfinished-articles": {
            "task": "articles.articles_sweep",
            "schedule": float(settings.INGEST_SWEEP_INTERVAL),
        },
        # Place the vague reports batches asked for, should a queued task have been lost.
        "resettle-waiting-reports": {
            "task": "diplomacy.reports_resettle",
            "schedule": float(settings.INGEST_SWEEP_INTERVAL),
        },
        # Poll the feeds that are due; each source keeps its own interval.
        "poll-due-feeds": {"task": "articles.sources_poll_due", "schedule": 60.0},
        # One email a day per user with the events their email watches caught.
        "send-alert-digests": {
            "task": "alerts.digests_send",
            "schedule": crontab(minute=0, hour=settings.ALERTS_DIGEST_HOUR),
        },
    }


@app.on_after_configure.connect
def prepare_embedded_services(sender, **kwargs):
    """Start the embedded database and make the filesystem broker's folders when they are used."""
    from django.conf import settings

    from devserver import devdb

    sender.conf.beat_schedule = beat_schedule(settings)
    if settings.EMBEDDED_DATABASE:
        devdb.start()
    for key in ("data_folder_in", "control_folder"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key)
        if folder:
            os.makedirs(folder, exist_ok=True)
