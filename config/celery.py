"""The Celery application: `celery -A config worker` and `celery -A config beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("backchannel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def prepare_embedded_services(sender, **kwargs):
    """Start the embedded database and make the filesystem broker's folders when they are used."""
    from django.conf import settings

    from config import devdb

    if settings.EMBEDDED_DATABASE:
        devdb.start()
    for key in ("data_folder_in", "control_folder"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key)
        if folder:
            os.makedirs(folder, exist_ok=True)
