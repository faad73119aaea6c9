"""The project's Celery app, with a record of every extraction a worker starts and finishes.

Fault runs start workers with `celery -A bench.faults.probe worker`: the same app and tasks as
`-A config`, plus one line per task event appended to FAULTS_TASK_LOG, so a run can prove that
each article was extracted to "done" exactly once even when workers are killed mid-batch.
Lines are short single writes in append mode, so processes of a prefork pool never interleave.
"""

import os

from celery.signals import task_postrun, task_prerun

from config.celery import app

__all__ = ["app"]

TRACKED = "diplomacy.article_extract"


def _write(line: str) -> None:
    path = os.environ.get("FAULTS_TASK_LOG")
    if not path:
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, (line + "\n").encode())
    finally:
        os.close(descriptor)


@task_prerun.connect
def _started(task_id=None, task=None, args=None, **kwargs):
    if task is not None and task.name == TRACKED and args:
        _write(f"start {args[0]} {os.getpid()}")


@task_postrun.connect
def _finished(task_id=None, task=None, args=None, retval=None, state=None, **kwargs):
    """One line per article the task's batch ended (its own and the others it took), or one
    for its own article when it found nothing to do or failed."""
    if task is None or task.name != TRACKED or not args:
        return
    if not isinstance(retval, dict):
        _write(f"end {args[0]} {os.getpid()} {state} {retval}")
        return
    for status, article_ids in sorted(retval.items()):
        for article_id in article_ids:
            _write(f"end {article_id} {os.getpid()} {state} {status}")
