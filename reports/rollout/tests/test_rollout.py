"""The rollout assistant on realistic scenarios: weeks of reports imported through ingest_bytes,
a real DNS server (dnsmasq) serving the domain's records and the senders' reverse DNS names.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from reports.harness.dns_server import DnsServer
from reports.harness.rollout_scenarios import (
    Flow,
    arc_mailing_list,
    build,
    google_workspace,
    ses_default,
    spoofer,
)
from reports.models import ReverseDns
from reports.rollout import readiness as rollout
from reports.rollout.tasks import resolve_reverse_dns

pytestmark = pytest.mark.django_db


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        # Reverse DNS of the well-known senders, forward-confirmed as the real ones are.
        server.host("mail-qk1-f41.google.com", "209.85.220.41")
        server.host("mail-qk1-f69.google.com", "209.85.220.69")
        server.host("mail-qk1-f73.google.com", "209.85.220.73")
        server.host("a8-21.smtp-out.amazonses.com", "54.240.8.21")
        server.host("smtp-a.mtasv.net", "50.31.156.6")
        server.txt("_spf.google.com", "v=spf1 ip4:209.85.128.0/17 ~all")
        yield server


def publish(dns, settings, domain, record, spf="v=spf1 include:_spf.google.com -all"):
    dns.txt(f"_dmarc.{domain}", record)
    dns.txt(domain, spf)
    dns.serve(settings)


def resolve_sources(domain):
    # The Celery task, run in-process: it resolves every recent source without a fresh entry.
    resolve_reverse_dns.apply(kwargs={"domain": domain}).get()


def by_ip(r):
    return {s.ip: s for s in r.sources}


def check(r, code):
    return next(c for c in r.checks if c.code == code)


def test_amazon_ses_without_custom_mail_from_is_misconfigured_and_blocks_quarantine(dns, settings):
    d = "ses.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
    build(d, [google_workspace(d), ses_default(d)])
    resolve_sources(d)

    r = rollout.assess(d)
    sources = by_ip(r)
    ses = sources["54.240.8.21"]
    assert (ses.service, ses.category) == ("Amazon SES", "misconfigured")
    assert "Set up a custom MAIL FROM domain in SES so that SPF aligns." in ses.diagnosis
    assert "Enable Easy DKIM." in ses.diagnosis
    assert "SPF passes for us-east-1.amazonses.com" in ses.diagnosis
    google = sources["209.85.220.41"]
    assert (google.service, google.category, google.hostname) == (
        "Google Workspace",
        "aligned",
        "mail-qk1-f41.google.com",
    )

    assert (r.stage, r.next_stage, r.ready) == ("none", "quarantine", False)
    assert not check(r, "unaligned").ok and "Amazon SES (54.240.8.21" in check(r, "unaligned").message
    assert not check(r, "share").ok  # 600 aligned vs 240 SES a day: 71.4%
    assert r.legitimate_pct == "71.4%"
    assert check(r, "coverage").ok and check(r, "new-source").ok and check(r, "record").ok
    # Two reporters each see 120 SES messages a day.
    assert r.impact["quarantine"].by_category == {"forwarded": 0.0, "misconfigured": 240.0, "unknown": 0.0}
    assert r.impact["reject"].messages_per_day == 240.0
    assert r.next_record == f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{d}"


def test_aligned_workspace_with_a_list_and_spoofers_is_ready_for_quarantine(dns, settings):
    d = "ready.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; fo=1; rua=mailto:dmarc@{d},mailto:d@reports.example.net")
    dns.txt(f"{d}._report._dmarc.reports.example.net", "v=DMARC1")
    # A spoofer that names itself after Amazon SES: the name does not point back, so it proves nothing.
    dns.ptr("198.51.100.66", "a1-1.smtp-out.amazonses.com")
    dns.serve(settings)
    groups = Flow(
        ["209.85.220.73"],
        30,
        dkim="fail",
        spf="fail",
        dkim_results=(("googlegroups.com", "20230601", "pass"), (d, "google", "fail")),
        spf_results=(("googlegroups.com", "mfrom", "pass"),),
    )
    fake_ses = Flow(["198.51.100.66"], 2, dkim="fail", spf="fail", spf_results=((d, "mfrom", "fail"),))
    build(d, [google_workspace(d), arc_mailing_list(d), groups, spoofer(d), fake_ses])
    resolve_sources(d)

    r = rollout.assess(d)
    sources = by_ip(r)
    assert sources["209.85.220.41"].category == "aligned"
    lst = sources["23.83.209.10"]
    assert lst.category == "forwarded"
    assert "local_policy (arc=pass)" in lst.diagnosis and "Nothing to fix on your side" in lst.diagnosis
    assert (sources["209.85.220.73"].service, sources["209.85.220.73"].category) == (
        "Google Groups",
        "forwarded",
    )
    spoofers = [s for s in r.sources if s.ip.startswith("203.0.113.")]
    assert spoofers and all(s.category == "unknown" and s.service == "" for s in spoofers)
    assert "it is spoofing" in spoofers[0].diagnosis
    fake = sources["198.51.100.66"]
    assert (fake.category, fake.service) == ("unknown", "")
    assert ReverseDns.objects.get(ip="198.51.100.66").confirmed is False

    assert (r.stage, r.next_stage, r.ready) == ("none", "quarantine", True), r.reasons
    assert all(c.ok for c in r.checks)
    assert r.legitimate_pct == "100.0%"
    # Forwarded: 20 (list) + 30 (Groups) per reporter; unknown: 4 random IPs + the fake, 1 and 2 per reporter.
    assert r.impact["quarantine"].by_category == {"forwarded": 100.0, "misconfigured": 0.0, "unknown": 12.0}
    assert r.next_record == (
        f"v=DMARC1; p=quarantine; fo=1; rua=mailto:dmarc@{d},mailto:d@reports.example.net"
    )
    assert any("t=y" in n.message for n in r.notes)


def test_a_record_with_aspf_s_breaks_ses_custom_mail_from(dns, settings):
    d = "strict.example"
    publish(dns, settings, d, f"v=DMARC1; p=quarantine; aspf=s; rua=mailto:dmarc@{d}")
    ses_custom = Flow(
        ["54.240.8.21"],
        100,
        dkim="fail",
        spf="fail",  # strict: mail.strict.example is not strict.example
        dkim_results=(("amazonses.com", "6gbrjpgwjskckoa6a5zn6fwqkn67xbtw", "pass"),),
        spf_results=((f"mail.{d}", "mfrom", "pass"),),
    )
    build(d, [google_workspace(d), ses_custom], p="quarantine", aspf="s")
    resolve_sources(d)

    r = rollout.assess(d)
    ses = by_ip(r)["54.240.8.21"]
    assert (ses.service, ses.category) == ("Amazon SES", "misconfigured")
    assert "Your record says aspf=s, so SES's MAIL FROM subdomain can never align: remove aspf=s" in (
        ses.diagnosis
    )
    assert "Enable Easy DKIM." in ses.diagnosis
    strict = [p for p in r.problems if p.code == "strict-spf"]
    assert strict and strict[0].severity == "error" and "Amazon SES" in strict[0].message
    assert (r.stage, r.next_stage, r.ready) == ("quarantine", "reject", False)
    assert not check(r, "record").ok
    # The next record keeps the reporting address and drops the aspf=s that breaks SES.
    assert r.next_record == f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}"


def test_a_new_legitimate_sender_last_week_means_wait(dns, settings):
    d = "new.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
    postmark = Flow(
        ["50.31.156.6"],
        40,
        dkim_results=((d, "20240101pm", "pass"),),
        spf_results=((f"pm-bounces.{d}", "mfrom", "pass"),),
        since_days=6,
    )
    build(d, [google_workspace(d), postmark])
    resolve_sources(d)

    r = rollout.assess(d)
    pm = by_ip(r)["50.31.156.6"]
    assert (pm.service, pm.category) == ("Postmark", "aligned")
    assert r.ready is False
    failed = [c.code for c in r.checks if not c.ok]
    assert failed == ["new-source"]
    assert "Postmark (first seen" in check(r, "new-source").message
    assert r.impact["quarantine"].messages_per_day == 0.0
    assert r.next_record == f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{d}"


def test_too_few_reporters_and_days_is_not_enough_to_judge(dns, settings):
    d = "young.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
    build(d, [google_workspace(d)], days=5, reporters=("google.com",))
    r = rollout.assess(d)
    assert not r.ready
    cov = check(r, "coverage")
    assert not cov.ok and "1 reporter on 5 days" in cov.message
    # Every source is new when the reports only start this week.
    assert not check(r, "new-source").ok


def test_without_a_dmarc_record_in_dns_the_stage_comes_from_the_reports(dns, settings):
    d = "gone.example"
    dns.serve(settings)
    build(d, [google_workspace(d)], p="quarantine")
    r = rollout.assess(d)
    assert r.record_from_reports and r.record_raw == ""
    assert r.stage == "quarantine" and not r.ready
    assert "no-record" in {p.code for p in r.problems}


def test_rollout_json_prints_the_documented_shape(dns, settings):
    d = "ses.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; pct=100; rua=mailto:dmarc@{d}")
    build(d, [google_workspace(d), ses_default(d), spoofer(d)], days=20)
    out = StringIO()
    call_command("rollout", d, "--days", "30", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {
        "domain",
        "record",
        "stage",
        "next_stage",
        "ready",
        "reasons",
        "next_record",
        "publish",
        "plan",
        "subdomains",
        "subdomain_breakdown",
        "sources",
        "impact",
        "marks",
        "last_report",
    }
    assert set(data["record"]) == {"raw", "tags", "problems"}
    assert data["record"]["tags"]["pct"] == "100"
    assert {p["code"] for p in data["record"]["problems"]} == {"obsolete-pct"}
    assert all(
        set(s)
        == {"ip", "rdns", "asn", "as_name", "country", "service", "service_id", "by_network", "category",
            "messages", "diagnosis", "mark"}
        for s in data["sources"]
    )  # fmt: skip
    assert set(data["impact"]) == {
        "stage", "next_stage", "days", "messages", "change", "by_category", "forwarded_arc_trusted",
        "forwarded_rewritten",
    }  # fmt: skip
    assert (data["impact"]["stage"], data["impact"]["next_stage"]) == ("none", "quarantine")
    assert all(set(r) == {"code", "ok", "text"} for r in data["reasons"])
    assert {r["ok"] for r in data["reasons"]} <= {True, False, None}
    assert data["next_record"] == f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{d}"  # pct is obsolete: dropped
    assert data["ready"] is False and data["reasons"]
    # Not ready: nothing enforcing to publish today; the plan is there, every step "after the fixes".
    assert data["publish"] == []
    assert data["plan"][0]["record"] == f"v=DMARC1; p=quarantine; t=y; pct=0; rua=mailto:dmarc@{d}"
    assert all(not s["now"] and s["when"].startswith("After") for s in data["plan"])


def test_rollout_text_output_names_the_verdict_and_the_record(dns, settings):
    d = "ses.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
    build(d, [google_workspace(d), ses_default(d)], days=20)
    out = StringIO()
    call_command("rollout", d, stdout=out)
    text = out.getvalue()
    assert "p=none -> quarantine: NOT READY" in text
    assert f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{d}" in text
    assert "Enable Easy DKIM." in text


def test_microsoft_365_selector2_is_checked_beside_the_selector1_seen_in_reports(dns, settings):
    from reports.harness.rollout_scenarios import Flow

    d = "m365.example"
    dns.txt(f"selector1._domainkey.{d}", "v=DKIM1; k=rsa; p=" + "A" * 300)
    publish(
        dns,
        settings,
        d,
        f"v=DMARC1; p=none; rua=mailto:dmarc@{d}",
        spf="v=spf1 include:spf.protection.outlook.com -all",
    )
    build(
        d,
        [
            Flow(
                ["40.107.22.10"],
                100,
                dkim_results=((d, "selector1", "pass"),),
                spf_results=((d, "mfrom", "pass"),),
            )
        ],
    )
    r = rollout.assess(d)
    keys = {k.selector: k for k in r.inspection.dkim}
    assert set(keys) == {"selector1", "selector2"}
    assert "no-key" in {p.code for p in keys["selector2"].problems}
