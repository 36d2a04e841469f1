"""Big domains: a worker ranks the sources, the overview and the sources table read that ranking while
it is exact, and say so, at once, while it is not.

DMARC_RANK_IN_REQUEST_SOURCES is set low here, so that a few sources make a "big" domain; every figure
the ranking gives is compared with the live sums of a small domain's page (the setting back up).
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.dashboard.tasks import rank_sources, total_senders
from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok
from reports.harness.waiting import wait_for
from reports.models import Report, SenderTotals, SourceRanking

OVERVIEW = "/?domain=example.com&range=30"
SOURCES = "/sources/?domain=example.com&range=30"


@pytest.fixture
def big(settings):
    settings.DMARC_RANK_IN_REQUEST_SOURCES = 2


def live(superuser_client, settings, url):
    """What the page shows when it sums the sources itself."""
    settings.DMARC_RANK_IN_REQUEST_SOURCES = 1_000_000
    try:
        return superuser_client.get(url)
    finally:
        settings.DMARC_RANK_IN_REQUEST_SOURCES = 2


def shown(response) -> tuple:
    ctx = response.context
    if "ov" in ctx:
        ov = ctx["ov"]
        return ov.sources, [(s.ip, s.messages, s.dmarc_pass, s.first_seen) for s in ov.top_sources]
    return ctx["total"], [(s.ip, s.messages, s.dmarc_pass, s.first_seen) for s in ctx["rows"]]


def rank(rng_days=30, order="messages:desc"):
    """Run the worker's task for the last `rng_days` days, as a page would have queued it."""
    today = timezone.now().date()
    start = today - timedelta(days=rng_days - 1)
    return rank_sources.apply(args=["example.com", start.isoformat(), today.isoformat(), order]).get()


def test_a_big_domain_says_its_sources_are_being_ranked_then_shows_the_exact_ranking(
    superuser_client, settings, scenario, big, celery_broker
):
    page = superuser_client.get(OVERVIEW)
    body = page.content.decode()
    assert not page.context["ov"].ranked and page.context["ranking_queued"]
    assert 'data-ranking="pending"' in body and "js/refresh.js" in body
    assert "being counted" in body
    # The totals and the charts do not wait: they come from the per-day rollup.
    assert (
        page.context["ov"].totals.messages
        == live(superuser_client, settings, OVERVIEW).context["ov"].totals.messages
    )
    page = superuser_client.get(SOURCES)
    assert page.context["ranking_pending"] and page.context["rows"] == []
    assert 'data-ranking="pending"' in page.content.decode()
    # The filters by text or name read the same ranking, which is not there yet.
    assert superuser_client.get(SOURCES + "&q=192.0.2").context["ranking_pending"]

    assert rank() == 3
    page = superuser_client.get(OVERVIEW)
    assert page.context["ov"].ranked and 'data-ranking="pending"' not in page.content.decode()
    assert shown(page) == shown(live(superuser_client, settings, OVERVIEW))
    assert shown(page)[0] == 3 and shown(page)[1][0][0] == "192.0.2.10"
    page = superuser_client.get(SOURCES)
    assert not page.context.get("ranking_pending") and shown(page) == shown(
        live(superuser_client, settings, SOURCES)
    )
    assert "js/refresh.js" not in page.content.decode()
    # The filters by text or name depend on the source alone: applied to the stored order as it is read.
    from reports.models import SourceNetwork, SourceService

    # "Unidentified" while no source is identified: a filter that keeps every source.
    assert shown(superuser_client.get(SOURCES + "&service=-")) == shown(page)

    SourceNetwork.objects.create(
        ip="198.51.100.7", asn=64500, country="NL", fetched=timezone.now(), expires=timezone.now()
    )
    SourceService.objects.create(
        domain="example.com",
        ip="192.0.2.10",
        service="google-workspace",
        category="aligned",
        assessed=timezone.now(),
    )
    for narrowed in (
        "&q=192.0.2",
        "&q=203.0.113.0/24",
        "&q=nothing-here",
        "&asn=AS64500",
        "&country=NL",
        "&category=aligned",
        "&service=-",
        "&service=google-workspace",
        "&q=192&page=7",
    ):
        page = superuser_client.get(SOURCES + narrowed)
        assert not page.context.get("ranking_pending"), narrowed
        assert shown(page) == shown(live(superuser_client, settings, SOURCES + narrowed)), narrowed
        assert page.context["page"] == live(superuser_client, settings, SOURCES + narrowed).context["page"]
    # In another order: that order's ranking, narrowed the same way.
    url = SOURCES + "&service=google-workspace&sort=ip&dir=desc"
    assert superuser_client.get(url).context["ranking_pending"]
    rank(order="ip:desc")
    assert shown(superuser_client.get(url)) == shown(live(superuser_client, settings, url))


def test_a_ranking_is_not_read_once_any_record_of_its_range_changes(
    superuser_client, settings, scenario, big, celery_broker
):
    rank()
    assert superuser_client.get(OVERVIEW).context["ov"].ranked
    # A report outside the range changes nothing the ranking counts: it stays in use.
    import_ok(daily_report(45, [record_xml(ip="192.0.2.200", count=1)], report_id="outside"))
    assert superuser_client.get(OVERVIEW).context["ov"].ranked

    # A new source within the range: the stored order would miss it.
    import_ok(daily_report(4, [record_xml(ip="198.18.0.1", count=5000)], report_id="late"))
    assert not superuser_client.get(OVERVIEW).context["ov"].ranked
    rank()
    assert shown(superuser_client.get(OVERVIEW))[1][0][:2] == ("198.18.0.1", 5000)

    # Deleted again: the day's row is rewritten, and then gone.
    Report.objects.filter(report_id="late").delete()
    assert not superuser_client.get(OVERVIEW).context["ov"].ranked
    rank()
    assert shown(superuser_client.get(OVERVIEW)) == shown(live(superuser_client, settings, OVERVIEW))

    # Deleted and imported again, on a day that has other reports: back to the same totals, but not
    # the state the ranking was computed from.
    Report.objects.filter(org_name="Yahoo").delete()
    rank()
    import_ok(daily_report(2, [record_xml(ip="192.0.2.10", count=50)], org="Yahoo"))
    assert not superuser_client.get(OVERVIEW).context["ov"].ranked


ORDERS = [
    f"&sort={sort}&dir={direction}"
    for sort in (
        "ip",
        "messages",
        "failing",
        "dmarc",
        "dkim",
        "spf",
        "quarantined",
        "first_seen",
        "last_seen",
    )
    for direction in ("asc", "desc")
]


@pytest.mark.slow
def test_every_order_and_the_failing_and_new_filters_are_ranked_exactly(
    superuser_client, settings, scenario, big, celery_broker
):
    import_ok(
        daily_report(
            5, [record_xml(ip=f"198.18.1.{n}", count=n, dkim="fail", spf="fail") for n in range(1, 40)]
        )
    )
    for query in [*ORDERS, "&failing=on", "&new=on&sort=dmarc&dir=asc", "&failing=on&new=on&sort=last_seen"]:
        url = SOURCES + query
        page = superuser_client.get(url)
        assert page.context["ranking_pending"], query
        flt = page.context["flt"]
        rank(order=flt.order_key)
        page = superuser_client.get(url)
        assert not page.context.get("ranking_pending"), query
        assert shown(page) == shown(live(superuser_client, settings, url)), query


def test_an_order_by_first_seen_depends_on_days_outside_the_range(
    superuser_client, settings, scenario, big, celery_broker
):
    url = SOURCES + "&sort=first_seen&dir=asc"
    rank(order="first_seen:asc")
    rank(order="messages:desc")
    assert not superuser_client.get(url).context.get("ranking_pending")
    # An older sighting of a source moves it in this order, though nothing in the range changed.
    import_ok(daily_report(200, [record_xml(ip="203.0.113.9", count=1)], report_id="long-ago"))
    assert superuser_client.get(url).context["ranking_pending"]
    assert superuser_client.get(OVERVIEW).context["ov"].ranked  # the range's own order still holds
    rank(order="first_seen:asc")
    page = superuser_client.get(url)
    assert (
        shown(page) == shown(live(superuser_client, settings, url)) and shown(page)[1][0][0] == "203.0.113.9"
    )


def test_pages_of_the_ranked_order_match_the_live_pages(superuser_client, settings, db, big, celery_broker):
    records = [record_xml(ip=f"10.0.{i // 200}.{i % 200}", count=(i * 7) % 31 + 1) for i in range(130)]
    import_ok(daily_report(1, records[:70]))
    import_ok(daily_report(2, records[50:], org="Yahoo"))
    assert rank() == 130
    for page in (1, 2, 3, 9):
        url = f"{SOURCES}&page={page}"
        got = superuser_client.get(url)
        assert not got.context.get("ranking_pending")
        assert shown(got) == shown(live(superuser_client, settings, url)) and got.context["page"] == min(
            page, 3
        )


def test_a_domain_below_the_setting_is_summed_within_the_request(superuser_client, scenario, celery_broker):
    page = superuser_client.get(OVERVIEW)
    assert page.context["ov"].ranked and page.context["ov"].sources == 3
    assert not SourceRanking.objects.exists()


def test_only_what_pages_read_and_no_longer_holds_is_computed_again_and_unread_rows_go(
    superuser_client, scenario, big, celery_broker
):
    from reports.dashboard.ranking import still_read

    rank()
    superuser_client.get("/senders/?domain=example.com&range=30")
    total_senders.apply(args=["example.com", *(d.isoformat() for d in _last(30))]).get()
    assert still_read("example.com") == []  # both exact
    import_ok(daily_report(3, [record_xml(ip="198.18.0.9", count=2)], report_id="more"))
    assert [(rng.start, flt and flt.order_key) for rng, flt in still_read("example.com")] == [
        (_last(30)[0], "messages:desc"),
        (_last(30)[0], None),
    ]
    # Unread for more than a day: no longer computed after imports, and gone after two.
    SourceRanking.objects.update(read=timezone.now() - timedelta(days=3))
    SenderTotals.objects.update(read=timezone.now() - timedelta(days=3))
    assert still_read("example.com") == []
    rank(rng_days=90)
    assert list(SourceRanking.objects.values_list("start", flat=True)) == [_last(90)[0]]
    assert not SenderTotals.objects.exists()


def test_the_senders_of_a_big_domain_are_totalled_by_a_worker(
    superuser_client, settings, scenario, big, celery_broker
):
    url = "/senders/?domain=example.com&range=30"

    def senders(response):
        return [
            (r.service, r.category, r.messages, r.sources, [s.ip for s in r.ips])
            for r in response.context["rows"]
        ]

    page = superuser_client.get(url)
    assert page.context["ranking_pending"] and page.context["rows"] == []
    assert 'data-ranking="pending"' in page.content.decode()
    total_senders.apply(args=["example.com", *(d.isoformat() for d in _last(30))]).get()
    page = superuser_client.get(url)
    assert not page.context.get("ranking_pending") and senders(page) == senders(
        live(superuser_client, settings, url)
    )
    assert senders(page) and "js/refresh.js" not in page.content.decode()
    # The assessment names the sources anew: the rows name services, so they are totalled again.
    from reports.rollout.tasks import refresh_summary

    refresh_summary.apply(args=["example.com"]).get()
    assert superuser_client.get(url).context["ranking_pending"]
    total_senders.apply(args=["example.com", *(d.isoformat() for d in _last(30))]).get()
    assert senders(superuser_client.get(url)) == senders(live(superuser_client, settings, url))


def _last(days: int):
    today = timezone.now().date()
    return today - timedelta(days=days - 1), today


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_ranks_what_a_page_asked_for_and_ranks_it_again_after_an_import(
    superuser_client, settings, celery_broker, celery_worker, tmp_path
):
    settings.DMARC_RANK_IN_REQUEST_SOURCES = 2
    for n in (1, 2, 3):
        import_ok(daily_report(n, [record_xml(ip=f"192.0.2.{n}", count=n * 10)], report_id=f"r{n}"))
    assert not superuser_client.get(OVERVIEW).context["ov"].ranked  # queued for a worker
    celery_worker()
    wait_for(lambda: superuser_client.get(OVERVIEW).context["ov"].ranked, timeout=60, message="the ranking")
    assert shown(superuser_client.get(OVERVIEW))[1][0][:2] == ("192.0.2.3", 30)

    # An import through the command queues the ranking again, as pages still read it.
    path = tmp_path / "more.xml"
    path.write_bytes(daily_report(1, [record_xml(ip="192.0.2.99", count=99)], report_id="more"))
    call_command("import_reports", str(path))
    wait_for(
        lambda: superuser_client.get(OVERVIEW).context["ov"].ranked, timeout=60, message="the ranking again"
    )
    assert shown(superuser_client.get(OVERVIEW)) == shown(live(superuser_client, settings, OVERVIEW))
    assert shown(superuser_client.get(OVERVIEW))[1][0][:2] == ("192.0.2.99", 99)
