"""Start real Celery workers and other processes against the test database."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
WORKER_COMMAND = [
    sys.executable,
    "-m",
    "celery",
    "-A",
    "config",
    "worker",
    "--pool",
    "solo",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
    "--loglevel",
    "warning",
]


def process_env(**extra) -> dict:
    """Return an environment pointing child processes at the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.update(extra)
    return env


def start_worker(env: dict, output=subprocess.PIPE) -> subprocess.Popen:
    """Start one single-process worker; the caller terminates it."""
    return subprocess.Popen(
        WORKER_COMMAND, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
    )
