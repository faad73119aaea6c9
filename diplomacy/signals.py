"""What diplomacy announces about meetings, for apps that react to them (alerts).

Receivers run after the transaction that made the change commits, and only enqueue work:
recording a meeting never waits for what others do with the news.
"""

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

# Sent after commit with `created` (ids of meetings recorded for the first time) and `held`
# (ids of planned meetings now reported held). Receivers must return quickly.
meetings_reported = Signal()


def meetings_announce(*, created: Iterable[int] = (), held: Iterable[int] = ()) -> None:
    """Announce new and newly held meetings once the current transaction commits."""
    created, held = sorted(set(created)), sorted(set(held))
    if not created and not held:
        return
    transaction.on_commit(
        lambda: meetings_reported.send_robust(sender=None, created=created, held=held),
        robust=True,
    )
