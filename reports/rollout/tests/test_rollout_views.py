"""The readiness page, the classification page, the DNS refresh action and the dashboard's rollout slots."""

import base64
import html
import json
import re
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import arc_mailing_list, build, google_workspace, ses_default, spoofer

pytestmark = pytest.mark.django_db

D = "ses.example"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the overview's readiness summary must come from this test's data
    yield
    cache.clear()


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        server.host("a8-21.smtp-out.amazonses.com", "54.240.8.21")
        server.txt(D, "v=spf1 include:amazonses.com -all")
        server.txt("amazonses.com", "v=spf1 ip4:54.240.0.0/18 -all")
        yield server


@pytest.fixture
def ses_domain(dns, settings):
    dns.txt(f"_dmarc.{D}", f"v=DMARC1; p=none; rua=mailto:dmarc@{D}")
    dns.serve(settings)
    build(D, [google_workspace(D), ses_default(D), arc_mailing_list(D), spoofer(D)])
    from reports.rollout.tasks import resolve_reverse_dns

    resolve_reverse_dns.apply(kwargs={"domain": D}).get()
    # The dashboard's own rollups (overview, drill-down): rebuilt from the stored reports.
    from reports.ingest import consistency as rollup

    rollup.rebuild(D)
    return D


def computed(domain: str, days: int = 30, refresh_dns: bool = False) -> str:
    """Run the summary task as the worker would; the readiness page reads what it stores."""
    from reports.rollout.tasks import refresh_summary

    refresh_summary.apply(args=[domain, days, refresh_dns]).get()
    return domain


def page_verdicts(body: str) -> dict:
    verdict = re.search(
        r'id="verdict" data-stage="([^"]*)" data-next-stage="([^"]*)" data-ready="([^"]*)"', body
    )
    sources = {
        ip: (html.unescape(service), category)
        for ip, category, service in re.findall(
            r'<span class="source" data-ip="([^"]+)" data-category="([^"]+)" data-service="([^"]*)"', body
        )
    }
    record = re.search(r'<pre class="mono break" id="next-record"[^>]*>([^<]*)</pre>', body).group(1)
    failed = re.findall(r'data-check="([^"]+)" data-ok="false"', body)
    counts = {c: int(n) for c, n in re.findall(r'id="sources-([a-z]+)" data-count="(\d+)"', body)}
    return {
        "counts": counts,
        "stage": verdict.group(1),
        "next_stage": verdict.group(2) or None,
        "ready": verdict.group(3) == "true",
        "sources": sources,
        "next_record": html.unescape(record),
        "failed": failed,
    }


def test_the_readiness_page_and_rollout_json_give_the_same_verdicts(superuser_client, ses_domain):
    computed(ses_domain)
    response = superuser_client.get(reverse("rollout", args=[ses_domain]))
    assert response.status_code == 200
    page = page_verdicts(response.content.decode())

    out = StringIO()
    call_command("rollout", ses_domain, "--json", stdout=out)
    data = json.loads(out.getvalue())

    assert page["stage"] == data["stage"] == "none"
    assert page["next_stage"] == data["next_stage"] == "quarantine"
    assert page["ready"] is data["ready"] is False
    assert page["next_record"] == data["next_record"]
    listed = {s["ip"]: (s["service"], s["category"]) for s in data["sources"]}
    # The page lists up to 10 sources per service or network row (spoofers come from many addresses) and
    # counts them all.
    assert page["sources"].items() <= listed.items()
    assert {ip for ip, (_, cat) in listed.items() if cat != "unknown"} <= set(page["sources"])
    assert page["counts"] == {c: sum(1 for _, cat in listed.values() if cat == c) for c in page["counts"]}
    assert page["counts"]["unknown"] > 50
    # One row per service, and the unknown sources folded per network: a few rows, not one per address.
    rows = re.findall(
        r'<tr class="service" data-key="([^"]+)" data-category="unknown"', response.content.decode()
    )
    assert 1 <= len(rows) <= 3 and len(rows) == len(set(rows))
    assert page["sources"]["54.240.8.21"] == ("Amazon SES", "misconfigured")
    assert {"unaligned", "share"} <= set(page["failed"])
    body = response.content.decode()
    assert "Enable Easy DKIM." in body
    assert "a8-21.smtp-out.amazonses.com" in body


def test_the_rollout_pages_need_a_login(client, ses_domain):
    for url in (reverse("rollout", args=[ses_domain]), reverse("rollout_how")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_unknown_domain_is_not_found(superuser_client):
    assert superuser_client.get(reverse("rollout", args=["nothing.example"])).status_code == 404


def test_refresh_dns_fetches_the_record_again(superuser_client, ses_domain, dns, settings, celery_broker):
    url = reverse("rollout", args=[computed(ses_domain)])
    assert 'data-stage="none"' in superuser_client.get(url).content.decode()

    dns.lines = [line for line in dns.lines if not line.startswith(f"txt-record=_dmarc.{D}")]
    dns.txt(f"_dmarc.{D}", f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{D}")
    dns.serve(settings)
    computed(ses_domain)  # beat's refresh
    assert 'data-stage="none"' in superuser_client.get(url).content.decode()  # still the cached answer

    assert superuser_client.get(reverse("rollout_refresh", args=[ses_domain])).status_code == 405
    response = superuser_client.post(reverse("rollout_refresh", args=[ses_domain]), follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert f"DNS records of {D} are being fetched again" in body
    # The request looked nothing up: it queued the work.
    assert ("reports.rollout.tasks.refresh_summary", [D, 30, True]) in queued_tasks()
    computed(ses_domain, refresh_dns=True)  # what the worker runs
    assert 'data-stage="quarantine"' in superuser_client.get(url).content.decode()


def test_the_classification_page_explains_the_rules_and_lists_the_senders(superuser_client):
    body = superuser_client.get(reverse("rollout_how")).content.decode()
    for word in ("Aligned", "Forwarded", "Misconfigured", "Unknown", "arc=pass", "98%", "t=y"):
        assert word in body
    assert "Amazon SES" in body and "Custom MAIL FROM domain" in body


def queued_tasks() -> list[tuple[str, list]]:
    """(task name, args) of the messages waiting in the tests' Redis queue."""
    import redis

    from reports.harness.workers import TEST_BROKER_URL, TEST_QUEUE

    messages = [json.loads(m) for m in redis.Redis.from_url(TEST_BROKER_URL).lrange(TEST_QUEUE, 0, -1)]
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


def drop_queued_tasks() -> None:
    import redis

    from reports.harness.workers import TEST_BROKER_URL, TEST_QUEUE

    redis.Redis.from_url(TEST_BROKER_URL).delete(TEST_QUEUE)


def test_the_overview_shows_the_stage_and_links_to_readiness(superuser_client, ses_domain, celery_broker):
    # Cold: the page does not assess (no DNS, no records scan); it says so and queues the computation, once.
    body = superuser_client.get(reverse("overview"), {"domain": ses_domain}).content.decode()
    assert 'data-stage="pending"' in body and "Readiness not computed yet" in body
    superuser_client.get(reverse("overview"), {"domain": ses_domain})
    assert queued_tasks() == [("reports.rollout.tasks.refresh_summary", [ses_domain, 30, False])]

    from reports.rollout.tasks import refresh_summary

    refresh_summary.apply(args=[ses_domain]).get()  # what the worker runs
    body = superuser_client.get(reverse("overview"), {"domain": ses_domain}).content.decode()
    assert 'class="domain-stage small" data-stage="none" data-ready="false"' in body
    assert "not ready for p=quarantine" in body
    assert f'href="{reverse("rollout", args=[ses_domain])}"' in body


def test_the_drill_down_names_the_service_and_explains_the_failure(superuser_client, ses_domain):
    body = superuser_client.get(
        reverse("source", args=["54.240.8.21"]), {"domain": ses_domain}
    ).content.decode()
    assert 'class="sender-verdict small" data-category="misconfigured" data-service="Amazon SES"' in body
    assert "Set up a custom MAIL FROM domain in SES so that SPF aligns." in body
    body = superuser_client.get(
        reverse("source", args=["23.83.209.10"]), {"domain": ses_domain}
    ).content.decode()
    assert 'data-category="forwarded"' in body


def test_the_background_refresh_keeps_the_overviews_verdict(superuser_client, ses_domain):
    from reports.rollout.actions import refresh_summaries
    from reports.rollout.queries import summary
    from reports.rollout.tasks import refresh_readiness

    assert summary(ses_domain) is None  # nothing computed yet: a page would say so
    refresh_readiness.apply().get()  # what beat runs
    assert ses_domain in refresh_summaries()
    stored = summary(ses_domain)
    assert stored["stage"] == "none" and stored["ready"] is False
    # The overview shows the stored verdict: the readiness page agrees with it.
    body = superuser_client.get(reverse("overview"), {"domain": ses_domain}).content.decode()
    assert 'data-stage="none" data-ready="false"' in body
    page = superuser_client.get(reverse("rollout", args=[ses_domain])).content.decode()
    assert page_verdicts(page)["ready"] is False


def test_a_readiness_page_not_computed_yet_says_so_and_queues_it(superuser_client, ses_domain, celery_broker):
    url = reverse("rollout", args=[ses_domain])
    body = superuser_client.get(url, {"days": 60}).content.decode()
    assert 'data-stage="pending"' in body and "Not computed yet" in body and "js/refresh.js" in body
    assert queued_tasks() == [("reports.rollout.tasks.refresh_summary", [ses_domain, 60, False])]
    computed(ses_domain, 60)
    body = superuser_client.get(url, {"days": 60}).content.decode()
    assert 'id="verdict" data-stage="none"' in body and "last 60 days" in body
    # The 30-day summary is its own: still to be computed.
    assert 'data-stage="pending"' in superuser_client.get(url).content.decode()


def test_a_stored_summary_that_cannot_be_read_is_computed_again(superuser_client, ses_domain, celery_broker):
    import pickle

    from reports.models import ReadinessSummary

    computed(ses_domain)
    stored = ReadinessSummary.objects.filter(domain=ses_domain)
    # Bytes that are no pickle, and a page stored by other code (another version of reports.rollout.page).
    for state in (b"<b>not a pickle", pickle.dumps({"version": "older", "start": "<b>", "groups": "x"})):
        cache.clear()  # each case queues its own computation
        stored.update(page_state=state)
        body = superuser_client.get(reverse("rollout", args=[ses_domain])).content.decode()
        assert 'data-stage="pending"' in body and "<b>" not in body
        assert queued_tasks() == [("reports.rollout.tasks.refresh_summary", [ses_domain, 30, False])]
        drop_queued_tasks()
    computed(ses_domain)
    assert 'data-stage="none"' in superuser_client.get(reverse("rollout", args=[ses_domain])).content.decode()


def test_the_readiness_page_reads_the_stored_summary_and_never_assesses(
    superuser_client, ses_domain, monkeypatch, django_assert_max_num_queries
):
    from reports.rollout import readiness

    computed(ses_domain)

    def no_assessment(*args, **kwargs):
        raise AssertionError("the readiness page assessed in the request")

    monkeypatch.setattr(readiness, "assess", no_assessment)
    # A few small reads (session, user, grants, the summary), whatever the number of sources.
    with django_assert_max_num_queries(12):
        body = superuser_client.get(reverse("rollout", args=[ses_domain])).content.decode()
    assert page_verdicts(body)["stage"] == "none"
    assert 'id="computed"' in body and "Computed " in body


def test_the_stored_page_keeps_a_few_addresses_per_row_and_counts_the_others(ses_domain):
    from reports.rollout import page
    from reports.rollout.queries import stored_page

    computed(ses_domain)
    shown = stored_page(ses_domain, 30)
    unknown = next(g for g in shown["groups"] if g["category"] == "unknown")
    assert unknown["count"] > page.IPS_SHOWN  # the spoofer's many addresses
    for group in shown["groups"]:
        rows = group["services"]
        assert all(len(row["shown"]) <= page.IPS_SHOWN for row in rows)
        assert sum(len(row["shown"]) + row["hidden"] for row in rows) == group["count"]
        assert group["more_rows"] == 0


def test_the_stored_page_keeps_the_busiest_rows_of_each_category_and_counts_the_others(
    ses_domain, superuser_client, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from reports.models import Record, SourceNetwork
    from reports.rollout import page
    from reports.rollout.queries import stored_page

    # Every address in a network of its own: the spoofer's make one row each among the unknown sources.
    now = timezone.now()
    for n, ip in enumerate(sorted(set(Record.objects.values_list("source_ip", flat=True)))):
        SourceNetwork.objects.update_or_create(
            ip=ip,
            defaults=dict(
                asn=64500 + n, as_name=f"NET-{n}", country="NL", fetched=now, expires=now + timedelta(days=1)
            ),
        )
    monkeypatch.setattr(page, "ROWS_SHOWN", 1)
    computed(ses_domain)
    shown = stored_page(ses_domain, 30)
    folded = [g for g in shown["groups"] if g["more_rows"]]
    assert folded, "a category with more than one service or network"
    for group in shown["groups"]:
        rows = group["services"]
        assert len(rows) <= 1
        assert sum(len(r["shown"]) + r["hidden"] for r in rows) + group["more_sources"] == group["count"]
        assert sum(r["messages"] for r in rows) + group["more_messages"] == group["messages"]
    body = superuser_client.get(reverse("rollout", args=[ses_domain])).content.decode()
    for group in folded:
        assert f'data-more-rows="{group["more_rows"]}"' in body
        assert f"category={group['category']}" in body


def test_the_sources_table_keeps_what_the_last_assessment_found_of_each_source(superuser_client, ses_domain):
    from reports.models import Report, SourceService

    def kept():
        return {
            row.ip: (row.service, row.category, row.messages, row.assessed)
            for row in SourceService.objects.filter(domain=ses_domain)
        }

    computed(ses_domain)
    first = kept()
    page = superuser_client.get(f"/sources/?domain={ses_domain}&range=30").context
    shown = {s.ip: s for s in page["rows"]}
    assert len(first) == page["total"] and set(shown) <= set(first)
    assert first["54.240.8.21"][:2] == ("amazon-ses", "misconfigured")
    assert all(first[ip][2] == s.messages and first[ip][1] == s.about.category for ip, s in shown.items())

    # Nothing changed: nothing is written again.
    computed(ses_domain)
    assert kept() == first

    # A source seen in one report only: kept while the report is, gone with it; the others' rows are
    # rewritten only where their figures changed.
    from reports.demo.report_xml import record_xml
    from reports.harness.builders import daily_report, import_ok

    import_ok(daily_report(2, [record_xml(ip="198.18.7.7", count=4)], domain=ses_domain, report_id="one-off"))
    computed(ses_domain)
    assert kept()["198.18.7.7"][2] == 4
    assert all(kept()[ip] == first[ip] for ip in first)
    Report.objects.filter(report_id="one-off").delete()
    computed(ses_domain)
    assert kept() == first
