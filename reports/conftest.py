"""Shared fixtures: a real Dovecot, real Celery worker processes on the test database, and the
dashboard's scenario of real reports."""

from __future__ import annotations

import os

import pytest

from dmarcapp.celery import app as celery_app
from reports.demo.report_xml import record_xml
from reports.tests.dashboard import HOSTILE_ID, HOSTILE_ORG, daily_report, import_ok, xml_text
from reports.tests.dovecot import Dovecot
from reports.tests.workers import TEST_BROKER_URL, TEST_QUEUE, CeleryWorker, worker_env

# Celery lets the CELERY_BROKER_URL environment variable (which `make test` exports) win over
# its configuration, so both must point at the tests' broker.
os.environ["CELERY_BROKER_URL"] = TEST_BROKER_URL
celery_app.conf.broker_url = TEST_BROKER_URL
celery_app.conf.task_default_queue = TEST_QUEUE


# --- Counts stay exact ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def rollups_match_records(request):
    """After every test that uses the database, check_rollups' comparison finds no difference.

    A test that breaks the rollups on purpose marks itself `rollups_broken`.
    """
    uses_db = {"db", "transactional_db"} & set(request.fixturenames) or request.node.get_closest_marker(
        "django_db"
    )
    if not uses_db or request.node.get_closest_marker("rollups_broken"):
        yield
        return
    # Requested here (pytest-django's own helper picks plain or transactional), so that the
    # database is torn down after this fixture's check.
    request.getfixturevalue("_django_db_helper")
    yield
    from reports.ingest.consistency import differences

    found = differences()
    assert not found, "rollups differ from the records:\n" + "\n".join(map(str, found[:20]))


# --- Dovecot ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot():
    server = Dovecot().start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def oauth():
    """A Dovecot that also takes bearer tokens, and the token server that issues and checks them."""
    from reports.tests.oauth_server import TokenServer

    server = Dovecot()
    tokens = TokenServer(server.dir / "server.pem", server.dir / "server.key")
    server.accept_tokens(tokens.introspection_url).start()
    tokens.dovecot = server
    yield tokens
    tokens.close()
    server.close()


@pytest.fixture
def imap_user(dovecot):
    """A fresh, empty IMAP account on the session's Dovecot."""
    return dovecot.add_user()


@pytest.fixture
def make_mailbox(dovecot, imap_user):
    """Create a Mailbox row for the test's IMAP account (security none unless told)."""
    from reports.models import Mailbox

    def make(user=None, security="none", **fields):
        return Mailbox.objects.create(**dovecot.mailbox_fields(user or imap_user, security, **fields))

    return make


# --- Celery -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _drop_test_queue():
    """Leave no queue of this run behind in Redis (the name is unique to the run)."""
    yield
    import redis

    try:
        r = redis.Redis.from_url(TEST_BROKER_URL)
        # The queue, and kombu's bindings for it.
        r.delete(TEST_QUEUE, *r.keys(f"_kombu.binding*.{TEST_QUEUE}"))
    except redis.RedisError:
        pass


@pytest.fixture
def celery_broker(django_db_blocker):
    """This process's Celery app, on the tests' Redis database, emptied of earlier tests' tasks."""
    import redis

    redis.Redis.from_url(TEST_BROKER_URL).delete(TEST_QUEUE)
    # The marks of tasks queued before (reports.rollout.tasks.queue_summary) go with them: the
    # database cache outlives a transactional test's flush.
    from django.core.cache import cache

    with django_db_blocker.unblock():
        cache.clear()
    return celery_app


@pytest.fixture
def celery_worker(celery_broker):
    """Start worker processes with start_worker(**env); all are stopped at the end of the test."""
    workers = []

    def start_worker(concurrency=2, **env):
        worker = CeleryWorker(worker_env(**env), concurrency).start()
        workers.append(worker)
        return worker

    yield start_worker
    for worker in workers:
        worker.stop()
        worker.log.unlink(missing_ok=True)


# --- The dashboard's scenario ---------------------------------------------------------------------------


@pytest.fixture
def scenario(db):
    """example.com over the last days, seen by two reporters, plus an older report and a second domain.

    Sources: 192.0.2.10 aligned (two records of 100 per report), 198.51.100.7 failing and
    quarantined (5), 203.0.113.9 a mailing list let through by local_policy arc=pass (3).
    """
    for days_ago in (1, 2, 3):
        import_ok(
            daily_report(
                days_ago,
                [
                    record_xml(ip="192.0.2.10", count=100, header_from="example.com",
                               dkim_results=(("example.com", "s1", "pass"),)),
                    record_xml(ip="192.0.2.10", count=100, header_from="news.example.com",
                               dkim_results=(("example.com", "s2", "pass"),)),
                    record_xml(ip="198.51.100.7", count=5, disposition="quarantine", dkim="fail", spf="fail",
                               dkim_results=(), spf_results=(("spoof.invalid", "mfrom", "fail"),)),
                    record_xml(ip="203.0.113.9", count=3, dkim="fail", spf="fail",
                               dkim_results=(("lists.example.net", "list", "pass"),),
                               spf_results=(("lists.example.net", "mfrom", "pass"),),
                               reasons=(("local_policy", "arc=pass"),)),
                ],
            )
        )  # fmt: skip
    import_ok(daily_report(2, [record_xml(ip="192.0.2.10", count=50)], org="Yahoo"))
    # Outside the default 30 days, inside 90.
    import_ok(daily_report(60, [record_xml(ip="192.0.2.99", count=7000)]))
    from reports.models import Domain

    # A second domain with data: monitored too when the test set up monitored domains (a grant does).
    if Domain.objects.exists():
        Domain.objects.get_or_create(name="other.example")
    import_ok(daily_report(1, [record_xml(ip="192.0.2.77", count=11, header_from="other.example")],
                           domain="other.example"))  # fmt: skip


@pytest.fixture
def hostile(db):
    """A report whose reporter name and report ID are markup, as a forged report may carry."""
    outcomes = import_ok(
        daily_report(
            1,
            [record_xml(ip="192.0.2.66", count=4, dkim="fail", spf="fail",
                        reasons=(("other", xml_text("<b>bold</b>")),))],
            org=xml_text(HOSTILE_ORG),
            report_id=xml_text(HOSTILE_ID),
        )
    )  # fmt: skip
    return outcomes[0]
