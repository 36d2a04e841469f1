"""The per-mailbox PostgreSQL advisory lock: two polls of one mailbox never run
at once, on any machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connections

from reports.mail.errors import MailboxBusy, TransientError
from reports.shared.text import first_line

# Advisory lock keys: a namespace in the high bits keeps ours apart from anyone else's.
_MAILBOX_LOCK = 0x4D42 << 40

_LIBPQ_OPTIONS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslpassword",
    "options",
    "passfile",
    "service",
}


class Lock:
    """The mailbox's advisory lock, held by a dedicated connection for the whole
    poll, so that nothing the poll does with Django's connection can drop it."""

    def __init__(self, conn):
        self.conn = conn

    def check(self) -> None:
        # If PostgreSQL restarted, the lock went with the connection: stop, so
        # that the poll does not carry on unguarded.
        try:
            self.conn.execute("SELECT 1")
        except psycopg.Error:
            raise TransientError("Lost the connection that holds the mailbox lock") from None


@contextmanager
def mailbox_lock(mailbox_id: int) -> Iterator[Lock]:
    params = connections["default"].settings_dict
    options = {k: v for k, v in params.get("OPTIONS", {}).items() if k in _LIBPQ_OPTIONS}
    try:
        conn = psycopg.connect(
            **options,
            dbname=params["NAME"],
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None,
            port=params.get("PORT") or None,
            connect_timeout=10,
            autocommit=True,
            application_name=f"dmarc mailbox lock {mailbox_id}",
        )
    except psycopg.Error as e:
        raise TransientError(f"The database is unavailable: {first_line(e)}") from None
    try:
        try:
            # A worker machine that vanishes mid-poll must not keep the lock for
            # the server's default two hours of TCP keepalive.
            conn.execute("SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10")
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", [_MAILBOX_LOCK + mailbox_id]).fetchone()[0]
        except psycopg.Error as e:
            raise TransientError(f"The database is unavailable: {first_line(e)}") from None
        if not got:
            raise MailboxBusy("Another poll of this mailbox is running")
        yield Lock(conn)
    finally:
        # Closing the session releases the lock.
        conn.close()
