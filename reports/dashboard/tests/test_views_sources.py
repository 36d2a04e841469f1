"""The sources table: one row per source IP, sortable, filterable, paginated, exported as CSV."""

import csv
import io

import pytest

from reports.demo.report_xml import record_xml
from reports.harness.builders import daily_report, import_ok


def ips(response):
    return [s.ip for s in response.context["rows"]]


def test_it_lists_sources_by_messages_with_their_pass_rates(superuser_client, scenario):
    response = superuser_client.get("/sources/?domain=example.com")
    rows = {s.ip: s for s in response.context["rows"]}
    assert ips(response) == ["192.0.2.10", "198.51.100.7", "203.0.113.9"]
    good, bad, listed = rows["192.0.2.10"], rows["198.51.100.7"], rows["203.0.113.9"]
    assert (good.messages, good.dmarc_pct, good.dkim_pct, good.spf_pct) == (650, 100.0, 100.0, 100.0)
    assert (bad.messages, bad.dmarc_pass, bad.quarantined, bad.delivered) == (15, 0, 15, 0)
    assert listed.messages == 9 and listed.dmarc_fail == 9
    assert good.first_seen < good.last_seen
    assert response.context["total"] == 3


def test_it_sorts_by_any_column_both_ways(superuser_client, scenario):
    assert ips(superuser_client.get("/sources/?domain=example.com&sort=ip&dir=asc")) == [
        "192.0.2.10", "198.51.100.7", "203.0.113.9"]  # fmt: skip
    assert ips(superuser_client.get("/sources/?domain=example.com&sort=messages&dir=asc"))[0] == "203.0.113.9"
    assert ips(superuser_client.get("/sources/?domain=example.com&sort=failing"))[0] == "198.51.100.7"
    assert ips(superuser_client.get("/sources/?domain=example.com&sort=dmarc&dir=asc"))[-1] == "192.0.2.10"
    # The active column's link flips the direction.
    headers = {h["label"]: h for h in superuser_client.get("/sources/?domain=example.com").context["headers"]}
    assert headers["Messages"]["active"] and "dir=asc" in headers["Messages"]["url"]


def test_failing_only_keeps_sources_with_dmarc_failures(superuser_client, scenario):
    response = superuser_client.get("/sources/?domain=example.com&failing=on")
    assert sorted(ips(response)) == ["198.51.100.7", "203.0.113.9"]
    assert response.context["total"] == 2


def test_the_search_matches_addresses_and_networks(superuser_client, scenario):
    assert ips(superuser_client.get("/sources/?domain=example.com&q=198.51")) == ["198.51.100.7"]
    assert ips(superuser_client.get("/sources/?domain=example.com&q=203.0.113.0/24")) == ["203.0.113.9"]
    assert ips(superuser_client.get("/sources/?domain=example.com&q=%25")) == []  # LIKE wildcards are literal
    assert b"No sources match" in superuser_client.get("/sources/?domain=example.com&q=nothing-here").content


def test_it_pages_fifty_sources_at_a_time(superuser_client, db):
    import_ok(daily_report(1, [record_xml(ip=f"10.0.{i // 200}.{i % 200}", count=i + 1) for i in range(120)]))
    first = superuser_client.get("/sources/")
    assert len(first.context["rows"]) == 50 and first.context["pages"] == 3
    assert first.context["rows"][0].messages == 120
    third = superuser_client.get("/sources/" + first.context["next_url"].replace("page=2", "page=3"))
    assert len(third.context["rows"]) == 20
    assert third.context["rows"][-1].messages == 1
    # A page beyond the end shows the last page.
    assert superuser_client.get("/sources/?page=9").context["page"] == 3


def test_the_csv_holds_exactly_the_filtered_rows(superuser_client, scenario):
    response = superuser_client.get("/sources.csv?domain=example.com&failing=on&sort=messages")
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="dmarc-sources-example.com-' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["source_ip"] for r in rows] == ["198.51.100.7", "203.0.113.9"]
    assert (
        rows[0]["messages"] == "15" and rows[0]["quarantined"] == "15" and rows[0]["dmarc_pass_pct"] == "0.0"
    )
    everything = list(
        csv.DictReader(
            io.StringIO(superuser_client.get("/sources.csv?domain=example.com&range=90").content.decode())
        )
    )
    assert len(everything) == 4
    assert sum(int(r["messages"]) for r in everything) == 674 + 7000


def test_the_csv_link_carries_the_filters(superuser_client, scenario):
    url = superuser_client.get("/sources/?domain=example.com&failing=on&q=198&range=7").context["csv_url"]
    assert url.startswith("/sources.csv?")
    for part in ("failing=on", "q=198", "range=7", "domain=example.com"):
        assert part in url


@pytest.fixture
def old_and_new(db):
    """192.0.2.40 first seen 40 days ago and again 2 days ago; 192.0.2.41 new 5 days ago."""
    import_ok(daily_report(40, [record_xml(ip="192.0.2.40", count=3)]))
    import_ok(daily_report(2, [record_xml(ip="192.0.2.40", count=4), record_xml(ip="192.0.2.41", count=2)]))
    import_ok(daily_report(5, [record_xml(ip="192.0.2.41", count=1)], org="Yahoo"))


def test_first_seen_is_the_first_day_ever_not_the_start_of_the_range(superuser_client, old_and_new):
    from reports.harness.rollout_scenarios import day

    response = superuser_client.get("/sources/?domain=example.com&range=30")
    rows = {s.ip: s for s in response.context["rows"]}
    assert rows["192.0.2.40"].first_seen == day(40)
    assert rows["192.0.2.40"].last_seen == day(2)
    assert rows["192.0.2.40"].messages == 4  # the counts stay those of the range
    assert rows["192.0.2.41"].first_seen == day(5)
    assert day(40).isoformat() in response.content.decode()
    # The same when the table is sorted by first seen (the whole table reads the days ever seen).
    assert ips(superuser_client.get("/sources/?domain=example.com&range=30&sort=first_seen&dir=asc")) == [
        "192.0.2.40", "192.0.2.41"]  # fmt: skip


def test_new_in_this_range_keeps_the_sources_first_seen_inside_it(superuser_client, old_and_new):
    response = superuser_client.get("/sources/?domain=example.com&range=30&new=on")
    assert ips(response) == ["192.0.2.41"]
    assert response.context["total"] == 1
    assert 'name="new" checked' in response.content.decode()
    # Over 90 days both are new.
    assert sorted(ips(superuser_client.get("/sources/?domain=example.com&range=90&new=on"))) == [
        "192.0.2.40",
        "192.0.2.41",
    ]


def test_the_csv_gives_the_days_ever_seen(superuser_client, old_and_new):
    from reports.harness.rollout_scenarios import day

    response = superuser_client.get("/sources.csv?domain=example.com&range=30")
    rows = {r["source_ip"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    assert rows["192.0.2.40"]["first_seen"] == day(40).isoformat()
    assert rows["192.0.2.40"]["last_seen"] == day(2).isoformat()
    assert rows["192.0.2.40"]["messages"] == "4"
    new_only = superuser_client.get("/sources.csv?domain=example.com&range=30&new=on").content.decode()
    assert "192.0.2.41" in new_only and "192.0.2.40" not in new_only
