"""The rules and the state machine on plain data: no database, no DNS."""

from datetime import UTC, date, datetime, timedelta

from reports.alerts import rules, tls
from reports.alerts.facts import (
    DnsEvidence,
    DomainEvidence,
    MailboxEvidence,
    ReadinessEvidence,
    SourceEvidence,
)
from reports.alerts.state import FIRING, RESOLVED, OpenAlert, transitions, within_cap

TODAY = date(2026, 6, 10)
LIMITS = rules.Thresholds()


def evidence(*sources, stage="reject", **kw):
    return DomainEvidence(
        "example.com",
        TODAY,
        TODAY - timedelta(days=1),
        sources=list(sources),
        readiness=ReadinessEvidence(stage=stage),
        last_report=TODAY - timedelta(days=1),
        dns=DnsEvidence(dmarc_record="v=DMARC1; p=reject", previous_record="v=DMARC1; p=reject"),
        **kw,
    )


def ses(**kw):
    base = dict(ip="54.240.8.21", service="Amazon SES", category="misconfigured", earlier_messages=1000,
                earlier_pass=1000, recent_messages=100, recent_pass=0, recent_blocked=100)  # fmt: skip
    return SourceEvidence(**{**base, **kw})


def test_a_clean_domain_has_no_condition():
    clean = ses(category="aligned", recent_pass=100, recent_blocked=0)
    found, judged = rules.conditions(evidence(clean), LIMITS)
    # Without TLS reports, the TLS rules are not judged (reports.alerts.tls): their alerts stay as they are.
    assert found == [] and judged == set(rules.RULES) - set(tls.TITLES)


def test_blocked_mail_of_a_source_that_aligned_before_is_one_critical_condition_not_two():
    found, _ = rules.conditions(evidence(ses(), ses(ip="54.240.8.22")), LIMITS)
    assert [(c.rule, c.subject, c.severity) for c in found] == [("blocked", "Amazon SES", "critical")]
    assert "200 messages" in found[0].title and "54.240.8.21, 54.240.8.22" in found[0].text


def test_under_p_none_the_same_source_stopped_aligning():
    found, _ = rules.conditions(evidence(ses(recent_blocked=0), stage="none"), LIMITS)
    assert [(c.rule, c.subject) for c in found] == [("stopped-aligning", "Amazon SES")]


def test_a_few_failing_messages_are_not_worth_an_alert():
    found, _ = rules.conditions(evidence(ses(recent_pass=95, recent_blocked=0), stage="none"), LIMITS)
    assert found == []


def test_unknown_new_sources_are_batched_per_day_and_known_ones_named():
    day = TODAY - timedelta(days=1)
    spoofers = [SourceEvidence(ip=f"203.0.113.{i}", category="unknown", first_seen=day, recent_messages=3)
                for i in range(12)]  # fmt: skip
    known = SourceEvidence(ip="192.0.2.5", service="Mailchimp", category="misconfigured", first_seen=TODAY,
                           recent_messages=50)  # fmt: skip
    found = rules.new_sources(evidence(known, *spoofers))
    assert [(c.subject, c.severity) for c in found] == [("Mailchimp", "warning"), (f"unknown:{day}", "info")]
    assert "12 unknown sources" in found[1].text and "and 2 more" in found[1].text
    assert not found[1].announce_resolved


def test_dns_problems_changes_and_vanished_keys():
    ev = evidence()
    ev.dns = DnsEvidence(
        dmarc_record="v=DMARC1; p=reject; fo=1",
        previous_record="v=DMARC1; p=reject",
        spf_problems=[("too-many-lookups", "12 lookups")],
        missing_dkim=[("s1._domainkey.example.com", "No DKIM key")],
    )
    subjects = [c.subject for c in rules.dns(ev)]
    assert subjects[0].startswith("dmarc:changed:")
    assert subjects[1:] == ["spf:too-many-lookups", "dkim:s1._domainkey.example.com"]
    ev.dns = DnsEvidence(dmarc_record="", dmarc_problems=[("no-record", "none")], previous_record="v=DMARC1")
    assert [c.subject for c in rules.dns(ev)] == ["dmarc:missing"]


def test_a_dns_that_did_not_answer_judges_nothing_and_resolves_nothing():
    ev = evidence()
    ev.dns = DnsEvidence(checked=False)
    found, judged = rules.conditions(ev, LIMITS)
    assert rules.DNS not in judged
    open_dns = OpenAlert("example.com|dns|spf:x", "example.com", "dns", "spf:x")
    assert transitions([open_dns], found, judged, {"example.com"}) == []


def test_silence_counts_days_since_the_last_report_and_mailboxes_count_hours():
    ev = evidence()
    ev.last_report = TODAY - timedelta(days=4)
    assert [c.title for c in rules.silence(ev, LIMITS)] == ["example.com: no reports for 4 days"]
    ev.last_report = TODAY - timedelta(days=3)
    assert rules.silence(ev, LIMITS) == []
    now = datetime(2026, 6, 10, 12, tzinfo=UTC)
    boxes = [
        MailboxEvidence("ok", True, now - timedelta(hours=1), now, ""),
        MailboxEvidence("stuck", True, now - timedelta(hours=7), now, "login failed"),
        MailboxEvidence("new", True, None, now, "refused", first_failure=now - timedelta(hours=1)),
        MailboxEvidence("never", True, None, now, "refused", first_failure=now - timedelta(hours=7)),
        MailboxEvidence("off", False, None, now - timedelta(days=9), "refused"),
    ]
    assert [c.subject for c in rules.mailbox_silence(boxes, now, LIMITS)] == [
        "mailbox:stuck",
        "mailbox:never",
    ]


def test_ready_names_the_trial_step_the_readiness_page_offers():
    ev = evidence(stage="none")
    trial = "v=DMARC1; p=quarantine; t=y; pct=0"
    ev.readiness = ReadinessEvidence(
        "none", "quarantine", True, "v=DMARC1; p=quarantine", trial, ["RFC 7489: pct=0"]
    )
    (c,) = rules.ready(ev)
    assert c.key == "example.com|ready|quarantine"
    assert f"Publish this record now (TXT at _dmarc.example.com):\n\n{trial}\n" in c.text
    assert "- RFC 7489: pct=0" in c.text and c.facts["record"] == trial
    ev.readiness.step = ""  # nothing safe to publish today: no "ready" alert
    assert rules.ready(ev) == []


def test_an_alert_fires_once_holds_silently_and_resolves_once():
    found, judged = rules.conditions(evidence(ses()), LIMITS)
    first = transitions([], found + found, judged, {"example.com"})
    assert [t.state for t in first] == [FIRING]
    opened = [OpenAlert(t.key, t.domain, t.rule, t.condition.subject) for t in first]
    assert transitions(opened, found, judged, {"example.com"}) == []
    gone = transitions(opened, [], judged, {"example.com"})
    assert [(t.state, t.key) for t in gone] == [(RESOLVED, "example.com|blocked|Amazon SES")]
    assert transitions(opened, [], judged, {"other.example"}) == []


def test_the_hourly_cap_holds_back_what_is_over_it_per_domain():
    assert within_cap(["a", "a", "b", "a"], {"a": 1}, {"a": 2, "b": 1}) == [True, False, True, False]
