"""Prepared statements, for the few statement shapes run on every request or every article
(the meeting list's, matching's): PostgreSQL parses and plans each once per connection."""

from django.db import connections
from django.db.backends.postgresql.base import ServerBindingCursor


class PreparedStatementCursor(ServerBindingCursor):
    """Bind parameters on the server and prepare every statement, so that PostgreSQL parses
    and plans each statement shape once per connection, not each time it runs."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def prepared_cursor(alias: str):
    """Return a Django cursor (logged like any other) that prepares its statements.

    Where the settings turn prepared statements off (prepare_threshold None: behind a
    transaction pooler the next transaction may run on another server connection, without
    the statement) it is an ordinary cursor, and the statements are sent whole. So it is
    while queries are logged (DEBUG, a test or a profile capturing them): the log then holds
    the statement with its values, which can be run again, as under EXPLAIN.
    """
    connection = connections[alias]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if connection.queries_logged or connection.connection.prepare_threshold is None:
        return connection.cursor()
    return connection.make_cursor(PreparedStatementCursor(connection.connection))
