"""The advice suite through the rules alone (no database, no DNS): the scenarios' flows become the
groups the evidence loader would give, and every rule a verdict needs runs on them."""

from datetime import date

import pytest

from reports.rollout import lint
from reports.rollout.rules import checks as go_no_go
from reports.rollout.rules.classification import Group
from reports.rollout.rules.next_record import next_record
from reports.rollout.rules.sources import build_sources
from reports.rollout.rules.staging import plan
from reports.rollout.tests.advice_scenarios import SCENARIOS, Scenario

DAYS, END = 29, date(2026, 3, 31)


def groups(s: Scenario) -> list[Group]:
    out = []
    for n, flow in enumerate(s.make_flows(s.domain)):
        ips = flow.ips or [f"203.0.113.{n * 10 + i + 1}" for i in range(flow.random_ips)]
        spf = flow.spf_results
        if spf and isinstance(spf[0], str):
            spf = (spf,)
        for ip in ips:
            out.append(
                Group(
                    ip=ip,
                    header_from=s.domain,
                    envelope_from=flow.envelope_from or "",
                    dkim_verdict=flow.dkim,
                    spf_verdict=flow.spf,
                    reasons=tuple(flow.reasons),
                    dkim=tuple(flow.dkim_results),
                    spf=tuple(spf),
                    messages=DAYS * max(1, flow.per_day // len(ips)),
                    disposition=flow.disposition,
                )
            )
    return out


def verdict(s: Scenario):
    rec = lint.parse_dmarc(s.record)
    found = groups(s)
    sources = build_sources(found, s.domain, rec.adkim, rec.aspf, {})
    problems = list(rec.problems) + lint.context_problems(
        rec,
        days_on_none=DAYS,
        relaxed_spf=go_no_go.relying(found, sources, "spf", s.domain),
        relaxed_dkim=go_no_go.relying(found, sources, "dkim", s.domain),
        spf_fix_limited=go_no_go.strict_spf_limits(sources, s.domain),
    )
    checks, _ = go_no_go.checks(problems, sources, 2, DAYS, END, False, None)
    ready = all(c.ok for c in checks if c.blocking)
    target = next_record(rec, "quarantine", s.domain, problems)
    return sources, problems, checks, ready, plan(target, "none", "quarantine", dict(rec.tags), ready)


@pytest.mark.parametrize("s", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_rules_give_the_expected_advice(s: Scenario):
    sources, problems, checks, ready, steps = verdict(s)
    by_ip = {src.ip: src for src in sources}
    expected = {ip: c for ip, c in s.categories.items() if ip != "*"}
    assert {ip: by_ip[ip].category for ip in expected} == expected
    others = {src.category for ip, src in by_ip.items() if ip not in expected}
    assert others == ({s.categories["*"]} if "*" in s.categories else set())
    assert {c.code for c in checks if c.blocking and not c.ok} == s.failing
    assert ready is s.ready
    assert {p.code for p in problems if p.severity == "error"} == s.errors
    for ip, piece in s.fixes.items():
        assert piece in by_ip[ip].diagnosis, by_ip[ip].diagnosis
    for ip, piece in s.first_fix.items():
        assert piece in by_ip[ip].fixes[0], by_ip[ip].fixes
    for ip, piece in s.not_in_fixes.items():
        assert piece not in by_ip[ip].diagnosis
    assert steps[0].record == s.first_step
    assert steps[0].now is s.ready and not any(st.now for st in steps[1:])
