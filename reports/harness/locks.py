"""Holding a worker at a known point: the test takes a lock the worker's next write needs.

A test that must act while a worker is in the middle of something (kill it mid-ingest, say) does
not try to hit a window of time: it holds a table so that the worker stops at its first write
there, sees the worker's database session wait for that lock, acts, then lets go.

    with writes_held("reports_report") as held:
        ...start the work...
        waiting = wait_for(held.waiters, message="the ingest to reach the reports table")
        ...the worker is now stopped at its INSERT, inside its transaction...
"""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
from django.db import connection

from reports.harness.workers import database_url


class HeldLock:
    def __init__(self, conn: psycopg.Connection, table: str):
        self.conn = conn
        self.table = table
        self.pid = conn.info.backend_pid

    def waiters(self) -> list[int]:
        """The database sessions waiting for this lock now (read through the test's own connection,
        so that each call sees the present)."""
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_locks WHERE relation = %s::regclass AND NOT granted"
                " AND %s = ANY(pg_blocking_pids(pid))",
                [self.table, self.pid],
            )
            return [pid for (pid,) in cur.fetchall()]


@contextmanager
def writes_held(table: str):
    """Hold `table` so that readers pass and every writer waits (SHARE ROW EXCLUSIVE), from a
    connection of its own, until the block ends."""
    with psycopg.connect(database_url()) as conn:
        conn.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
        try:
            yield HeldLock(conn, table)
        finally:
            conn.rollback()


def sessions_alive(pids) -> list[int]:
    """Which of these database sessions still exist (a killed client's session lives on until
    the server notices; while it does, it keeps its locks)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
        return [pid for (pid,) in cur.fetchall()]
