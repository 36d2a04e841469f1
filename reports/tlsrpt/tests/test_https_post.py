"""RFC 8460's HTTPS delivery through the running app (pytest-django's live server): what a reporter
may post, and what it may not."""

import gzip

import pytest
import redis
import requests

from reports.demo import tls_json
from reports.harness.workers import TEST_BROKER_URL
from reports.models import TlsReport
from reports.tlsrpt.tests.test_import_tls import DAY

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def post(live_server, settings):
    settings.DMARC_DOMAINS = ["example.com"]
    settings.DMARC_API_RATE_REDIS_URL = TEST_BROKER_URL
    # Each test counts its own posts: the count of 127.0.0.1 lives for a minute.
    server = redis.Redis.from_url(TEST_BROKER_URL)
    for key in server.scan_iter("dmarc:tlsrpt:rate:*"):
        server.delete(key)

    def send(data: bytes, ctype="application/tlsrpt+gzip"):
        return requests.post(
            f"{live_server.url}/tlsrpt/", data=data, headers={"Content-Type": ctype}, timeout=10
        )

    return send


def test_a_reporter_posts_json_and_gzip_and_a_repeat_is_a_duplicate(post):
    google = tls_json.dumps(tls_json.google("example.com", DAY))
    ms = tls_json.dumps(
        tls_json.microsoft(
            "example.com", DAY, failures=[tls_json.failure("certificate-expired", "mx1.example.com", 4)]
        )
    )
    first = post(gzip.compress(google))
    assert first.status_code == 201, first.text
    assert first.json()["kind"] == "tlsrpt" and first.json()["status"] == "imported"
    assert post(ms, "application/tlsrpt+json").status_code == 201
    again = post(google, "application/tlsrpt+json")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert sorted(TlsReport.objects.values_list("org_name", "failed_sessions")) == [
        ("Google Inc.", 0),
        ("Microsoft Corporation", 4),
    ]
    assert TlsReport.objects.get(org_name="Google Inc.").origin.startswith("HTTPS POST from 127.0.0.1")


def test_what_is_not_a_tls_report_for_a_monitored_domain_is_refused_and_not_kept(post, settings):
    settings.DMARC_TLSRPT_MAX_BYTES = 2048
    from reports.demo.report_xml import report_xml

    cases = [
        (
            post(tls_json.dumps(tls_json.google("other.example", DAY)), "application/tlsrpt+json"),
            403,
            "foreign",
        ),
        (post(report_xml(), "application/xml"), 415, None),
        (post(gzip.compress(report_xml())), 400, None),  # a DMARC report, gzipped, is not a TLS report
        (post(b'{"hello": 1}', "application/tlsrpt+json"), 400, "not-dmarc"),
        (post(b"\x1f\x8b broken"), 400, None),
        (post(gzip.compress(b"{" + b" " * 100_000 + b"}")), 400, None),  # a small gzip of a big body
        (post(b"{" + b" " * 5000 + b"}", "application/tlsrpt+json"), 413, None),
    ]
    for response, status, outcome in cases:
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"] == "application/json"
        if outcome:
            assert response.json()["status"] == outcome
    assert not TlsReport.objects.exists()
    from reports.models import Rejection

    assert not Rejection.objects.exists()


def test_posts_past_the_rate_get_429(post, settings):
    settings.DMARC_TLSRPT_POSTS_PER_MINUTE = 3
    answers = [post(b"{}", "application/tlsrpt+json").status_code for _ in range(4)]
    # The fourth is refused, unless the minute turned during the four (then it counts afresh).
    assert answers[:3] == [400, 400, 400] and answers[3] in (429, 400)
    if answers[3] == 429:
        assert post(b"{}", "application/tlsrpt+json").status_code == 429
