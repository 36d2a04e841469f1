"""The per-sender drill-down: one source IP within a domain and range."""

from reports.models import Report


def test_it_shows_the_daily_messages_and_header_from_domains(superuser_client, scenario):
    response = superuser_client.get("/sources/192.0.2.10/?domain=example.com&range=7")
    detail = response.context["detail"]
    assert detail.totals.messages == 650
    assert sorted(c.messages for _, c in detail.daily if c.messages) == [200, 200, 250]
    assert detail.header_from == [("example.com", 350), ("news.example.com", 300)]
    assert dict(detail.reporters) == {"google.com": 600, "Yahoo": 50}


def test_it_lists_dkim_selectors_and_spf_domains_with_alignment(superuser_client, scenario):
    detail = superuser_client.get("/sources/192.0.2.10/?domain=example.com").context["detail"]
    dkim = {(a.domain, a.selector, a.result, a.aligned): a.messages for a in detail.dkim}
    assert dkim == {("example.com", "s1", "pass", True): 350, ("example.com", "s2", "pass", True): 300}
    spf = {(a.domain, a.scope, a.result, a.aligned): a.messages for a in detail.spf}
    assert spf == {("example.com", "mfrom", "pass", True): 650}


def test_it_shows_unsigned_mail_and_failing_spf(superuser_client, scenario):
    detail = superuser_client.get("/sources/198.51.100.7/?domain=example.com").context["detail"]
    assert [(a.domain, a.result, a.messages) for a in detail.dkim] == [("", "", 15)]
    assert [(a.domain, a.result, a.aligned, a.messages) for a in detail.spf] == [
        ("spoof.invalid", "fail", False, 15)
    ]
    assert detail.totals.quarantined == 15
    assert (
        b"No DKIM signature reported"
        in superuser_client.get("/sources/198.51.100.7/?domain=example.com").content
    )


def test_it_lists_override_reasons(superuser_client, scenario):
    detail = superuser_client.get("/sources/203.0.113.9/?domain=example.com").context["detail"]
    assert detail.reasons == [("local_policy", "arc=pass", 9)]
    dkim = {(a.domain, a.selector, a.aligned): a.messages for a in detail.dkim}
    assert dkim == {("lists.example.net", "list", False): 9}


def test_it_lists_the_records_behind_it_with_links_to_their_reports(superuser_client, scenario):
    response = superuser_client.get("/sources/192.0.2.10/?domain=example.com")
    records = response.context["records"]
    assert len(records) == 7  # 3 days x 2 records from google.com, 1 from Yahoo
    assert sum(r.count for r in records) == 650
    assert records[0].begin >= records[-1].begin
    report = Report.objects.get(org_name="Yahoo")
    assert f'href="/reports/{report.id}/?'.encode() in response.content


def test_the_range_limits_the_drill_down(superuser_client, scenario):
    assert (
        superuser_client.get("/sources/192.0.2.99/?domain=example.com").context["detail"].totals.messages == 0
    )
    wide = superuser_client.get("/sources/192.0.2.99/?domain=example.com&range=90").context
    assert wide["detail"].totals.messages == 7000
    assert len(wide["records"]) == 1


def test_ipv6_sources_work_and_non_addresses_are_a_bad_request(superuser_client, db):
    from reports.demo.report_xml import record_xml
    from reports.harness.builders import daily_report, import_ok

    import_ok(daily_report(1, [record_xml(ip="2001:db8::25", count=12)]))
    response = superuser_client.get("/sources/2001:db8::25/", follow=True)
    assert response.context["detail"].totals.messages == 12
    assert superuser_client.get("/sources/not-an-ip/").status_code == 400


def test_a_link_without_a_domain_opens_the_domain_that_has_the_source(superuser_client, scenario):
    # 192.0.2.77 sends only for other.example, the less busy domain.
    response = superuser_client.get("/sources/192.0.2.77/?range=7")
    assert response.status_code == 302
    assert response["Location"] == "/sources/192.0.2.77/?range=7&domain=other.example"
    page = superuser_client.get(response["Location"])
    assert page.context["domain"] == "other.example"
    assert page.context["detail"].totals.messages == 11


def test_a_source_no_domain_has_falls_back_to_the_busiest_domain(superuser_client, scenario):
    response = superuser_client.get("/sources/192.0.2.250/", follow=True)
    assert response.context["domain"] == "example.com"
    assert response.context["detail"].totals.messages == 0
