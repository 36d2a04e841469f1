"""Each alert rule on real reports, a real DNS server, a real SMTP server and a real webhook receiver,
through `manage.py alerts`: one alert per scenario, to the right people and channels only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.alerts.tests.conftest import publish
from reports.harness.alert_scenarios import alerts, choose, people, ses_aligned, ses_broken, workspace
from reports.harness.rollout_scenarios import Flow, build
from reports.harness.smtp_server import parts
from reports.models import Alert, AlertThresholds, DnsCache

# Each scenario imports weeks of reports through the whole pipeline and evaluates the alerts.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def serve_instead(dns, settings, name, text):
    """Serve `text` (None: nothing) as the TXT record of `name`, and let the cached answers expire."""
    dns.lines = [line for line in dns.lines if not line.startswith(f"txt-record={name},")]
    if text is not None:
        dns.txt(name, text)
    dns.serve(settings)
    DnsCache.objects.update(expires=timezone.now())


def test_a_clean_domain_fires_nothing(dns, settings, smtp, webhook):
    d = "clean.example"
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    people(d)
    build(d, [workspace(d), ses_aligned(d)], p="reject")

    assert alerts() == []
    assert smtp.messages == [] and webhook.received == []
    assert not Alert.objects.exists()


def test_blocked_legitimate_mail_alerts_the_right_people_once(dns, settings, smtp, webhook):
    d = "blocked.example"
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    users = people(d)
    choose(users["bob"], d, ["dns"])
    choose(users["carol"], d, ["blocked", "ready"], email=False, urls=webhook.url("carol"))
    settings.DMARC_ALERT_URLS = [webhook.url("everyone")]
    # SES aligned for four weeks; on the last day its DKIM and MAIL FROM broke and receivers rejected it.
    build(d, [workspace(d), ses_aligned(d, until_days=1), ses_broken(d, since_days=1, disposition="reject")],
          p="reject")  # fmt: skip

    lines = alerts()
    assert [(x["rule"], x["state"], x["severity"], x["sent"]) for x in lines] == [
        ("blocked", "firing", "critical", True)
    ]
    line = lines[0]
    assert line["domain"] == d and line["key"] == f"{d}|blocked|Amazon SES"
    assert "Amazon SES" in line["title"] and "240" in line["title"]
    assert sorted(line["recipients"]) == sorted(
        [
            "alice@ops.test",
            f"json://127.0.0.1:{webhook.port}/carol",
            f"json://127.0.0.1:{webhook.port}/everyone",
        ]
    )

    # Email to alice only: bob chose DNS alerts only, carol no email, dave is inactive, erin may not
    # see the domain.
    assert [m.envelope_to for m in smtp.messages] == [["alice@ops.test"]]
    msg = smtp.messages[0]
    assert msg["Subject"].startswith("[DMARC critical]") and "Amazon SES" in msg["Subject"]
    assert msg["List-Unsubscribe"].strip().startswith("<http://dash.test/alerts/unsubscribe/")
    text, html = parts(msg)
    assert "240 messages" in text and "54.240.8.21" in text and "p=reject" in text
    assert "Fix:" in text and "custom MAIL FROM" in text
    assert f"http://dash.test/sources/54.240.8.21/?domain={d}" in text
    assert f'href="http://dash.test/sources/54.240.8.21/?domain={d}&amp;range=30"' in html
    assert "http://dash.test/alerts/unsubscribe/" in html
    # The webhook: carol's and the environment's, each once.
    for path in ("carol", "everyone"):
        (posted,) = webhook.at(path)
        assert "Amazon SES" in posted["title"] and "240" in posted["message"]

    # A second run right after sends nothing.
    assert alerts() == []
    assert len(smtp.messages) == 1 and len(webhook.received) == 2
    assert Alert.objects.filter(resolved__isnull=True).count() == 1


def test_a_source_that_stops_aligning_under_p_none(dns, settings, smtp):
    d = "drift.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
    people(d)
    build(d, [workspace(d), ses_aligned(d, until_days=1), ses_broken(d, since_days=1)])

    lines = alerts()
    assert [(x["rule"], x["state"], x["severity"]) for x in lines] == [
        ("stopped-aligning", "firing", "warning")
    ]
    assert lines[0]["key"] == f"{d}|stopped-aligning|Amazon SES"
    assert [m.envelope_to for m in smtp.messages] == [
        ["alice@ops.test"],
        ["bob@ops.test"],
        ["carol@ops.test"],
    ]
    text, _ = parts(smtp.to("bob@ops.test")[0])
    assert "240 of its 240 messages failed" in text
    assert alerts() == [] and len(smtp.messages) == 3


def test_a_new_spoofing_source_is_named_with_its_category(dns, settings, smtp):
    d = "spoofed.example"
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    people(d)
    spoof = Flow(["198.51.100.23"], 40, dkim="fail", spf="fail", dkim_results=(),
                 spf_results=((d, "mfrom", "fail"),), since_days=1, disposition="reject")  # fmt: skip
    build(d, [workspace(d), ses_aligned(d), spoof], p="reject")

    lines = alerts()
    day = (timezone.now().date() - timedelta(days=1)).isoformat()
    assert [(x["rule"], x["key"], x["severity"]) for x in lines] == [
        ("new-source", f"{d}|new-source|unknown:{day}", "info")
    ]
    assert "1 new unknown source" in lines[0]["title"]
    text, _ = parts(smtp.to("alice@ops.test")[0])
    assert "198.51.100.23" in text and "Category: unknown" in text and "spoofing" in text
    assert alerts() == []


def test_a_dmarc_record_change_served_by_the_dns_fires_once(dns, settings, smtp):
    d = "changed.example"
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    people(d)
    build(d, [workspace(d)], p="reject")
    assert alerts() == []  # the first look only remembers the record

    serve_instead(dns, settings, f"_dmarc.{d}", f"v=DMARC1; p=reject; fo=1; rua=mailto:dmarc@{d}")

    lines = alerts()
    assert [(x["rule"], x["severity"]) for x in lines] == [("dns", "info")]
    assert lines[0]["title"] == f"{d}: the DMARC record changed"
    text, _ = parts(smtp.to("bob@ops.test")[0])
    assert f"Was: v=DMARC1; p=reject; rua=mailto:dmarc@{d}" in text
    assert f"Now: v=DMARC1; p=reject; fo=1; rua=mailto:dmarc@{d}" in text
    assert alerts() == []


def test_an_spf_record_over_ten_lookups_fires_and_resolves_when_fixed(dns, settings, smtp):
    d = "spf.example"
    includes = " ".join(f"include:s{i}.{d}" for i in range(11))
    for i in range(11):
        dns.txt(f"s{i}.{d}", "v=spf1 ip4:192.0.2.0/24 -all")
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}", spf=f"v=spf1 {includes} -all")
    people(d)
    build(d, [workspace(d)], p="reject")

    lines = alerts()
    assert [(x["rule"], x["key"], x["severity"]) for x in lines] == [
        ("dns", f"{d}|dns|spf:too-many-lookups", "critical")
    ]
    assert alerts() == []

    serve_instead(dns, settings, d, "v=spf1 include:_spf.google.com -all")
    smtp.clear()
    lines = alerts()
    assert [(x["rule"], x["state"]) for x in lines] == [("dns", "resolved")]
    assert [m["Subject"] for m in smtp.to("alice@ops.test")] == [
        f"[DMARC resolved] {d}: SPF is broken (too-many-lookups)"
    ]
    assert alerts() == []


def test_a_silent_domain_fires_and_one_resolved_follows_its_next_report(dns, settings, smtp):
    d = "silent.example"
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    people(d)
    today = timezone.now().date()
    build(d, [workspace(d)], p="reject", days=20, today=today - timedelta(days=5))

    lines = alerts()
    assert [(x["rule"], x["key"], x["state"]) for x in lines] == [
        ("silence", f"{d}|silence|reports", "firing")
    ]
    assert lines[0]["title"] == f"{d}: no reports for 6 days"
    assert alerts() == []

    build(d, [workspace(d)], p="reject", days=1)  # yesterday's report arrives
    smtp.clear()
    lines = alerts()
    assert [(x["rule"], x["state"], x["sent"]) for x in lines] == [("silence", "resolved", True)]
    subjects = [m["Subject"] for m in smtp.to("carol@ops.test")]
    assert subjects == [f"[DMARC resolved] {d}: no reports for 6 days"]
    assert alerts() == [] and len(smtp.to("carol@ops.test")) == 1


def test_a_domain_that_becomes_ready_gets_the_record_to_publish(dns, settings, smtp):
    d = "ready.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
    people(d)
    build(d, [workspace(d)], days=10)
    assert alerts() == []  # ten days of reports: too few to judge

    today = timezone.now().date()
    build(d, [workspace(d)], days=6, today=today - timedelta(days=10))
    lines = alerts()
    assert [(x["rule"], x["key"], x["severity"]) for x in lines] == [
        ("ready", f"{d}|ready|quarantine", "info")
    ]
    text, html = parts(smtp.to("alice@ops.test")[0])
    # The same trial step as the readiness page's, never p=quarantine outright.
    trial = f"v=DMARC1; p=quarantine; t=y; pct=0; rua=mailto:dmarc@{d}"
    text = text.replace("\r\n", "\n")
    assert f"Publish this record now (TXT at _dmarc.{d}):\n\n{trial}\n" in text
    assert f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{d}\n" in text  # named as the end of the steps
    assert f"http://dash.test/rollout/{d}/" in html
    assert alerts() == []


def test_a_dkim_key_that_signed_passing_mail_and_vanished_fires_once(dns, settings, smtp):
    d = "dkim.example"
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    people(d)
    build(d, [workspace(d)], p="reject")
    assert alerts() == []

    serve_instead(dns, settings, f"google._domainkey.{d}", None)
    lines = alerts()
    assert [(x["rule"], x["key"], x["severity"]) for x in lines] == [
        ("dns", f"{d}|dns|dkim:google._domainkey.{d}", "critical")
    ]
    assert alerts() == []


def test_a_domains_own_threshold_wins_over_the_setting(dns, settings, smtp):
    d = "patient.example"
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    people(d)
    AlertThresholds.objects.create(domain=d, silent_days=10)
    build(d, [workspace(d)], p="reject", days=20, today=timezone.now().date() - timedelta(days=5))
    assert alerts() == []  # six days of silence: under this domain's ten
    AlertThresholds.objects.filter(domain=d).update(silent_days=None)
    assert [x["rule"] for x in alerts()] == ["silence"]


def test_a_dmarc_record_that_disappears_fires_and_resolves_when_it_is_back(dns, settings, smtp):
    d = "gone.example"
    record = f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}"
    publish(dns, settings, d, record)
    people(d)
    build(d, [workspace(d)], p="reject")
    assert alerts() == []

    serve_instead(dns, settings, f"_dmarc.{d}", None)
    lines = alerts()
    assert [(x["key"], x["severity"], x["state"]) for x in lines] == [
        (f"{d}|dns|dmarc:missing", "critical", "firing")
    ]
    text, _ = parts(smtp.to("alice@ops.test")[0])
    assert f"There is no DMARC record at _dmarc.{d} (it was: {record})" in text
    assert alerts() == []

    serve_instead(dns, settings, f"_dmarc.{d}", record)
    assert [(x["key"], x["state"]) for x in alerts()] == [(f"{d}|dns|dmarc:missing", "resolved")]
    assert alerts() == []


def test_a_legitimate_sender_failing_under_p_none_alerts_with_its_fix(dns, settings, smtp):
    d = "fabrikam.example"
    publish(dns, settings, d, f"v=DMARC1; p=none; rua=mailto:dmarc@{d}")
    people(d)
    build(d, [workspace(d), ses_broken(d)])
    lines = [x for x in alerts() if x["rule"] == "failing-legitimate"]
    assert [(x["key"], x["severity"]) for x in lines] == [(f"{d}|failing-legitimate|Amazon SES", "warning")]
    text, _ = parts(smtp.to("alice@ops.test")[0])
    text = text.replace("\r\n", "\n")
    assert "Amazon SES (54.240.8.21) sends as" in text and "Fix: " in text and "Easy DKIM" in text


def test_blocked_since_is_the_first_blocked_day_with_the_whole_count(dns, settings, smtp):
    d = "since.example"
    publish(dns, settings, d, f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{d}")
    people(d)
    # Aligned for weeks; quarantined for the last six days (two reporters, 120 a day each).
    broken = ses_broken(d, since_days=6, disposition="quarantine")
    build(d, [workspace(d), ses_aligned(d, until_days=6), broken], p="quarantine")
    (line,) = [x for x in alerts() if x["rule"] == "blocked"]
    first = (timezone.now().date() - timedelta(days=6)).isoformat()
    text, _ = parts(smtp.to("alice@ops.test")[0])
    assert f"Since {first}, receivers quarantined or rejected 1,440 messages" in text.replace("\r\n", "\n")
    assert "1,440 messages" in line["title"]
