"""The staging rules (reports.rollout.rules.staging) over plain data: every enforcing step before the
last is a trial for RFC 7489 receivers (pct below 100) and RFC 9989 receivers (t=y) alike, and
nothing enforcing is safe to publish while the domain is not ready."""

import pytest

from reports.rollout.rules.staging import plan

Q = "v=DMARC1; p=quarantine; fo=1; rua=mailto:dmarc@example.com"
R = "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@example.com"


def tags(record: str) -> dict[str, str]:
    return dict(p.strip().split("=", 1) for p in record.split(";") if "=" in p)


def test_moving_up_starts_with_a_trial_for_both_generations_and_steps_pct_with_t_y_kept():
    steps = plan(Q, "none", "quarantine", {"v": "DMARC1", "p": "none"}, ready=True)
    assert [s.record for s in steps] == [
        "v=DMARC1; p=quarantine; t=y; pct=0; fo=1; rua=mailto:dmarc@example.com",
        "v=DMARC1; p=quarantine; t=y; pct=10; fo=1; rua=mailto:dmarc@example.com",
        "v=DMARC1; p=quarantine; t=y; pct=25; fo=1; rua=mailto:dmarc@example.com",
        "v=DMARC1; p=quarantine; t=y; pct=50; fo=1; rua=mailto:dmarc@example.com",
        Q,
    ]
    # Every step before the last is a trial for both generations: t=y and pct below 100.
    for s in steps[:-1]:
        t = tags(s.record)
        assert t["t"] == "y" and int(t["pct"]) < 100
    assert [s.now for s in steps] == [True, False, False, False, False]
    first, last = steps[0], steps[-1]
    assert "pct=0 gives all of it p=none" in first.rfc7489
    assert "test mode: they apply p=none" in first.rfc9989
    assert "10% of failing mail" in steps[1].rfc7489 and "test mode" in steps[1].rfc9989
    assert "all failing mail" in last.rfc7489 and "all failing mail" in last.rfc9989


def test_a_domain_that_is_not_ready_gets_nothing_enforcing_to_publish_now():
    steps = plan(Q, "none", "quarantine", {"p": "none"}, ready=False)
    assert steps and not any(s.now for s in steps)
    assert steps[0].when.startswith("After the fixes")


def test_t_y_relaxes_sp_and_np_for_rfc_9989_and_pct_covers_subdomains_for_rfc_7489():
    first = plan(R, "quarantine", "reject", {"p": "quarantine"}, ready=True)[0]
    assert first.record == "v=DMARC1; p=reject; t=y; pct=0; sp=reject; rua=mailto:dmarc@example.com"
    assert "sp=reject as sp=quarantine" in first.subdomains
    assert "np=reject (from sp= or p=) as np=quarantine" in first.subdomains
    assert "pct=0 to subdomain mail too" in first.subdomains and "do not know np=" in first.subdomains
    assert "p=quarantine to the rest" not in first.rfc7489 and "p=quarantine" in first.rfc7489


@pytest.mark.parametrize(
    ("current", "pcts"),
    [
        ({"p": "quarantine", "t": "y", "pct": "0"}, ["10", "25", "50", None]),
        ({"p": "quarantine", "t": "Y", "pct": "25"}, ["50", None]),
        ({"p": "quarantine", "t": "y"}, [None]),  # t=y alone: RFC 7489 receivers already apply it in full
        ({"p": "quarantine", "pct": "10"}, ["25", "50", None]),
    ],
)
def test_mid_way_the_plan_goes_on_from_the_current_step(current, pcts):
    base = "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"
    steps = plan(base, "quarantine", "quarantine", current, ready=True)
    assert [tags(s.record).get("pct") for s in steps] == pcts
    testing = current.get("t", "").lower() == "y"
    assert all(("t" in tags(s.record)) == (testing and tags(s.record).get("pct") is not None) for s in steps)
    assert steps[0].now and not any(s.now for s in steps[1:])


def test_a_first_monitoring_record_is_safe_even_without_data_and_the_last_stage_has_no_steps():
    steps = plan("v=DMARC1; p=none; rua=mailto:d@example.com", "none", "none", {}, ready=False)
    assert [(s.record, s.now, s.enforcing) for s in steps] == [
        ("v=DMARC1; p=none; rua=mailto:d@example.com", True, False)
    ]
    assert plan(R, "reject", None, {"p": "reject"}, ready=True) == []
