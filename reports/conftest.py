"""Shared fixtures: a real Dovecot, real Celery worker processes on the test database, the
dashboard's scenario of real reports, one person and one signed-in client per role, a browser.

What they are built from (servers, builders, personas, the registry of pages) is in reports.harness.
"""

from __future__ import annotations

import os

import pytest

from dmarcapp.celery import app as celery_app
from reports.harness import personas
from reports.harness.browser import launch_chromium
from reports.harness.builders import OTHER, dashboard_scenario, hostile_report
from reports.harness.dovecot import Dovecot
from reports.harness.workers import TEST_BROKER_URL, TEST_QUEUE, CeleryWorker, worker_env

# Celery lets the CELERY_BROKER_URL environment variable (which `make test` exports) win over
# its configuration, so both must point at the tests' broker.
os.environ["CELERY_BROKER_URL"] = TEST_BROKER_URL
celery_app.conf.broker_url = TEST_BROKER_URL
celery_app.conf.task_default_queue = TEST_QUEUE


# --- Markers from what a test starts ------------------------------------------------------------------
# `make test-fast` runs -m "not imap and not browser and not slow": a test that starts one of these is
# marked for it here, whether or not its author remembered to.
MARK_OF_FIXTURE = {"dovecot": "imap", "oauth": "imap", "browser": "browser", "celery_worker": "slow"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, mark in MARK_OF_FIXTURE.items():
            if fixture in used and item.get_closest_marker(mark) is None:
                item.add_marker(mark)


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
    from reports.harness.oauth_server import TokenServer

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
    """example.com over the last days, seen by two reporters, plus an older report and other.example
    (reports.harness.builders.dashboard_scenario)."""
    dashboard_scenario()


@pytest.fixture
def hostile(db):
    """A report whose reporter name and report ID are markup, as a forged report may carry."""
    return hostile_report()


# --- People: one per role, and a signed-in client of each ---------------------------------------------
# reports.harness.personas says what each may do. pytest-django's own `admin_client` (a superuser)
# is replaced: here `admin_client` is the admin role, and `superuser_client` the superuser.


@pytest.fixture
def viewer(db):
    """viewer: may read the pages of example.com (a real grant)."""
    return personas.viewer()


@pytest.fixture
def operator(db):
    """operator: may also upload, retry, refresh DNS, edit alerts and mark senders on example.com."""
    return personas.operator()


@pytest.fixture
def admin(db):
    """admin: staff with every permission of the app, users and groups; no domain granted."""
    return personas.admin()


@pytest.fixture
def superuser(db):
    return personas.superuser()


@pytest.fixture
def viewer_client(viewer):
    return personas.signed_in(viewer)


@pytest.fixture
def operator_client(operator):
    return personas.signed_in(operator)


@pytest.fixture
def admin_client(admin):
    return personas.signed_in(admin)


@pytest.fixture
def superuser_client(superuser):
    return personas.signed_in(superuser)


@pytest.fixture
def people(viewer, operator, admin, superuser):
    """Every persona, plus a member of a team that views example.com and a user with no grant."""
    from reports.models import Domain

    # Both domains of the scenario are monitored: a grant makes its domain a monitored one, and the
    # other's reports must not be refused as foreign.
    Domain.objects.get_or_create(name=OTHER)
    return {
        "viewer": viewer,
        "operator": operator,
        "admin": admin,
        "superuser": superuser,
        "member": personas.member(),
        "nobody": personas.nobody(),
    }


# --- A browser --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, launched once for the run."""
    with launch_chromium() as chromium:
        yield chromium
