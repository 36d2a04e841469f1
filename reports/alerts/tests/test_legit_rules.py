"""The alerts say what the readiness page says (plain data, no database): a legitimate sender failing
under p=none is a warning naming the service and its fix; "blocked since" is the first day of the
blocking and the whole count since then."""

from datetime import timedelta

from reports.alerts import rules
from reports.alerts.tests.test_rules import LIMITS, TODAY, evidence, ses


def test_a_legitimate_sender_failing_under_p_none_is_a_warning_with_the_service_and_its_fix():
    never = ses(
        earlier_pass=0, recent_blocked=0, diagnosis="Signs with amazonses.com.", fix="Enable Easy DKIM."
    )
    found, judged = rules.conditions(evidence(never, stage="none"), LIMITS)
    assert [(c.rule, c.subject, c.severity) for c in found] == [
        ("failing-legitimate", "Amazon SES", "warning")
    ]
    (c,) = found
    assert "Amazon SES" in c.title and "50 a day" in c.title
    assert "Fix: Enable Easy DKIM." in c.text and "not ready until this is fixed" in c.text
    assert "failing-legitimate" in judged
    # Under quarantine the blocked rule speaks for it; a source that stopped aligning is alerted once.
    never.recent_blocked = 100
    assert [c.rule for c in rules.conditions(evidence(never, stage="quarantine"), LIMITS)[0]] == ["blocked"]
    stopped = ses(recent_blocked=0)
    assert [c.rule for c in rules.conditions(evidence(stopped, stage="none"), LIMITS)[0]] == [
        "stopped-aligning"
    ]
    # Spoofing and forwarding are not legitimate failures.
    for category in ("unknown", "forwarded"):
        other = ses(category=category, earlier_pass=0, recent_blocked=0)
        assert rules.conditions(evidence(other, stage="none"), LIMITS)[0] == []


def test_blocked_since_gives_the_first_day_and_the_whole_count():
    began = TODAY - timedelta(days=6)
    found, _ = rules.conditions(
        evidence(ses(recent_blocked=128, blocked_since=began, blocked_total=384), stage="quarantine"), LIMITS
    )
    (c,) = found
    assert c.text.startswith(f"Since {began.isoformat()}, receivers quarantined or rejected 384 messages")
    assert "384 messages" in c.title and c.facts["since"] == began.isoformat()
