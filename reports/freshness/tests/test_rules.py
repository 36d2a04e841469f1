"""The freshness rules over plain data."""

from datetime import UTC, datetime, timedelta

from reports.freshness import rules

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def mailbox(**kw):
    fields = {"name": "inbox", "enabled": True, "last_poll": NOW, "last_success": NOW, "last_error": ""}
    return rules.MailboxState(**{**fields, **kw})


def test_a_mailbox_polled_lately_without_error_is_ok():
    assert rules.mailbox_health(mailbox(last_success=NOW - timedelta(hours=5)), NOW, 6).status == "ok"


def test_a_mailbox_with_an_error_is_failing_whatever_its_last_success():
    health = rules.mailbox_health(mailbox(last_error="Authentication failed.\nmore"), NOW, 6)
    assert health.status == "failing" and not health.healthy
    # The error stays on the status page (superusers only): this text shows to every viewer.
    assert health.text == (
        "Mailbox inbox fails to poll (no success since 2026-06-10 12:00 UTC);"
        " the ingestion status page has the error."
    )


def test_a_mailbox_without_a_recent_success_is_stale_or_never_polled():
    assert rules.mailbox_health(mailbox(last_success=NOW - timedelta(hours=7)), NOW, 6).status == "stale"
    assert rules.mailbox_health(mailbox(last_success=None, last_poll=None), NOW, 6).status == "never"


def test_a_disabled_mailbox_is_left_out_of_the_check():
    health = [rules.mailbox_health(mailbox(enabled=False, last_error="x"), NOW, 6)]
    assert health[0].healthy
    assert rules.mailbox_check(health, 6).ok is None


def test_the_mailbox_check_fails_on_any_unhealthy_mailbox():
    good = rules.mailbox_health(mailbox(name="a"), NOW, 6)
    bad = rules.mailbox_health(mailbox(name="b", last_error="timeout"), NOW, 6)
    assert rules.mailbox_check([good], 6).ok is True
    check = rules.mailbox_check([good, bad], 6)
    assert check.ok is False and "Mailbox b fails to poll" in check.text and "timeout" not in check.text


def test_reports_must_be_newer_than_the_limit():
    assert rules.report_check("example.com", NOW - timedelta(days=2, hours=23), NOW, 3).ok is True
    stale = rules.report_check("example.com", NOW - timedelta(days=5), NOW, 3)
    assert stale.ok is False and "in the last 3 days" in stale.text and "2026-06-05 12:00 UTC" in stale.text
    assert rules.report_check("example.com", None, NOW, 3).ok is False


def test_a_reporter_silent_for_longer_than_the_limit_is_named_in_a_banner():
    reporters = [
        rules.ReporterLast("google.com", NOW - timedelta(days=1), NOW),
        rules.ReporterLast("Yahoo", NOW - timedelta(days=5), NOW - timedelta(days=5)),
    ]
    assert [r.reporter for r in rules.silent_reporters(reporters, NOW, 3)] == ["Yahoo"]
    banners = rules.banners("example.com", NOW - timedelta(days=1), reporters, [], NOW, 3)
    assert banners == ["Yahoo has sent no report for example.com since 2026-06-05 12:00 UTC."]


def test_a_silent_domain_gets_one_banner_not_one_per_reporter():
    reporters = [rules.ReporterLast("google.com", NOW - timedelta(days=5), NOW)]
    banners = rules.banners("example.com", NOW - timedelta(days=5), reporters, [], NOW, 3)
    assert banners == ["No report for example.com in the last 3 days (newest up to 2026-06-05 12:00 UTC)."]
