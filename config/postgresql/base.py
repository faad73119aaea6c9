"""Django's PostgreSQL backend, with a health check that reads the socket before the server.

With CONN_HEALTH_CHECKS, Django checks a reused connection before a request's first query by
sending `SELECT 1`: one round trip to the server on every request, a third of the meeting
list's. A server that ended the connection (a restart, an administrator, an idle timeout, a
pooler going away) has said so on the socket: its last message, then the end of the stream,
are waiting there to be read. So a connection at rest whose socket has nothing to read is in
use as it was left, and is passed without a query; one with something waiting, or after an
error, gets Django's check, which reads what waits and replaces the connection if it ended.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        if not self.errors_occurred and self._at_rest_and_quiet():
            return True
        return super().is_usable()

    def _at_rest_and_quiet(self) -> bool:
        """Return whether the connection is idle outside a transaction, with nothing from
        the server waiting to be read."""
        pgconn = self.connection.pgconn
        if pgconn.transaction_status != TransactionStatus.IDLE:
            return False
        try:
            poll = select.poll()
            poll.register(pgconn.socket, select.POLLIN | select.POLLPRI)
            return not poll.poll(0)  # readable, hung up or in error: none of them
        except (OSError, ValueError, base.Database.OperationalError):  # no socket any more
            return False
