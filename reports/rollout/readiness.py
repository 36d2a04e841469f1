"""Readiness of a policy domain: gathers the evidence (reports.rollout.evidence) and the DNS records
(reports.rollout.lint through reports.rollout.resolve), applies the rules (reports.rollout.rules),
and returns what it found. It stores nothing: reports.rollout.actions keeps what the pages read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from reports.freshness import queries as freshness
from reports.freshness.queries import Freshness
from reports.marks import queries as marks_queries
from reports.marks.rules import Mark
from reports.rollout import asn, decision, evidence, lint, resolve
from reports.rollout.rdns import rdns_names
from reports.rollout.rules import checks as go_no_go
from reports.rollout.rules import subdomains as subdomain_rules
from reports.rollout.rules.checks import Check, Impact
from reports.rollout.rules.classification import AssessedSource, Group, forwarding_reason
from reports.rollout.rules.next_record import next_record
from reports.rollout.rules.sources import build_sources
from reports.rollout.rules.staging import Step, plan
from reports.rollout.rules.subdomains import SubdomainRow
from reports.shared.dates import WINDOW_DAYS, DateRange
from reports.shared.names import normalise, org_domain
from reports.shared.vocabulary import ALIGNED_SHARE, CATEGORIES, STAGES
from reports.sources.queries import known_services

MAX_DKIM_SELECTORS = 10


@dataclass
class Readiness:
    domain: str
    start: date
    end: date
    days: int  # window length
    record_raw: str
    record_tags: dict[str, str]
    problems: list[lint.Problem]
    stage: str
    next_stage: str | None
    ready: bool
    checks: list[Check]
    notes: list[Check]  # advice (Check.blocking False)
    next_record: str
    sources: list[AssessedSource]
    impact: dict[str, Impact]
    reporters: int = 0
    days_with_data: int = 0
    messages: int = 0
    legitimate_share: float | None = None
    inspection: lint.Inspection | None = None
    # The inspected DKIM keys (selector, domain) that signed mail passing DKIM in the window.
    dkim_passing: list[tuple[str, str]] = field(default_factory=list)
    record_from_reports: bool = False  # no usable DNS record: the stage comes from the reports
    # The decision block: the next stage's what-if, the records to publish in order, sp=/np= advice.
    what_if: decision.WhatIf | None = None
    steps: list[Step] = field(default_factory=list)  # the whole plan; `publish` is what is safe today
    subdomain_advice: list[str] = field(default_factory=list)
    subdomains: list[SubdomainRow] = field(default_factory=list)  # the domain, then each sending subdomain
    freshness: Freshness | None = None
    marks: list[Mark] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [r["text"] for r in self.reason_objects]

    @property
    def reason_objects(self) -> list[dict]:
        """Failed checks, then passed ones, then advice: {"code", "ok": true|false|null, "text"}."""
        failed = [c for c in self.checks if not c.ok and c.blocking]
        passed = [c for c in self.checks if c.ok and c.blocking]
        advice = [c for c in self.checks if not c.blocking] + self.notes
        return [
            {"code": c.code, "ok": c.ok if c.blocking else None, "text": c.message}
            for c in failed + passed + advice
        ]

    @property
    def publish(self) -> list[Step]:
        return [s for s in self.steps if s.now]

    @property
    def legitimate_pct(self) -> str:
        if self.legitimate_share is None:
            return ""
        return decision.pct_text(self.legitimate_share, ALIGNED_SHARE)

    @property
    def by_category(self) -> dict[str, list[AssessedSource]]:
        out = {c: [] for c in CATEGORIES}
        for s in self.sources:
            out[s.category].append(s)
        return out

    def as_json(self) -> dict:
        return {
            "domain": self.domain,
            "record": {
                "raw": self.record_raw,
                "tags": self.record_tags,
                "problems": [p.as_json() for p in self.problems],
            },
            "stage": self.stage,
            "next_stage": self.next_stage,
            "ready": self.ready,
            "reasons": self.reason_objects,
            "next_record": self.next_record,
            # Only what is safe to publish today: nothing enforcing while the domain is not ready.
            "publish": [s.as_json() for s in self.publish],
            "plan": [s.as_json() for s in self.steps],
            "subdomains": self.subdomain_advice,
            "subdomain_breakdown": [row.as_json() for row in self.subdomains],
            "sources": [s.as_json() for s in self.sources],
            "impact": self.what_if.as_json() if self.what_if else None,
            "marks": [m.as_json() for m in self.marks],
            "last_report": self.freshness.last_end.isoformat()
            if self.freshness and self.freshness.last_end
            else None,
        }


def assess(
    domain: str,
    *,
    days: int = WINDOW_DAYS,
    today: date | None = None,
    refresh_dns: bool = False,
    resolver: lint.Resolve | None = None,
) -> Readiness:
    """Everything the readiness page and `manage.py rollout` show, for one policy domain."""
    domain = normalise(domain)
    rng = DateRange.last(days, evidence.last_full_day(domain, today or timezone.now().date()))
    start, end = rng.start, rng.end
    dns = resolver or resolve.cached_resolver(refresh=refresh_dns)

    dmarc = lint.check_dmarc(domain, dns)
    rec = dmarc.record
    record_from_reports = rec is None
    if rec is None:
        rec = evidence.record_from_reports(domain)
    adkim, aspf = rec.adkim, rec.aspf

    groups = evidence.load_groups(domain, start, end)
    marks = marks_queries.marks(domain)
    sources = _sources(groups, domain, adkim, aspf, marks)
    evidence.first_seen(domain, sources)
    selectors = sorted(
        {(s, d) for g in groups for d, s, _ in g.dkim if s and d and org_domain(d) == org_domain(domain)}
    )[:MAX_DKIM_SELECTORS]
    # Microsoft 365 rotates between selector1 and selector2: a key seen under one needs the other too.
    pair = {"selector1": "selector2", "selector2": "selector1"}
    selectors = sorted(set(selectors) | {(pair[s], d) for s, d in selectors if s in pair})
    inspection = lint.Inspection(dmarc, lint.check_spf(domain, dns), lint.check_dkim(selectors, dns))

    problems = list(dmarc.problems)
    if dmarc.record is not None:
        problems += lint.context_problems(
            dmarc.record,
            days_on_none=evidence.days_on_none(domain, end),
            relaxed_spf=go_no_go.relying(groups, sources, "spf", domain),
            relaxed_dkim=go_no_go.relying(groups, sources, "dkim", domain),
            spf_fix_limited=go_no_go.strict_spf_limits(sources, domain),
        )

    reporters, days_with_data = evidence.coverage(domain, start, end)

    stage = rec.p if rec.p in STAGES else "none"
    next_stage = go_no_go.next_stage(rec, stage, record_from_reports)
    impact = go_no_go.impact(groups, max(days_with_data, 1))
    checks, share = go_no_go.checks(
        problems, sources, reporters, days_with_data, end, record_from_reports, dmarc
    )
    fresh = freshness.freshness(domain)
    # Stale data cannot say "ready": a silent reporter or a failing mailbox hides the last days.
    checks += [
        Check(f.code, f.ok, f.text) if f.ok is not None else go_no_go.advice(f.code, f.text)
        for f in fresh.checks
    ]
    notes = go_no_go.notes(rec, stage, next_stage, impact, problems)
    notes += go_no_go.spf_result_mismatch(sources, domain, inspection.spf.record)
    ready = next_stage is not None and all(c.ok for c in checks if c.blocking)
    next_rec = next_record(rec, next_stage or stage, domain, problems)
    # The what-if's rate of a sender that started within the window counts from its first day.
    active = {
        s.ip: (end - s.first_seen).days + 1 for s in sources if s.first_seen and start < s.first_seen <= end
    }
    flows = [
        decision.Flow(
            g.category,
            g.disposition,
            g.messages,
            arc_trusted=bool(forwarding_reason(g.reasons)),
            rewritten=_rewrites_from(g),
            days=active.get(g.ip, 0),
        )
        for g in groups
    ]
    subdomain_rows = subdomain_rules.breakdown(groups, domain)
    subdomains = sorted(
        {g.header_from for g in groups if g.header_from != domain and g.header_from.endswith("." + domain)}
    )
    if next_stage is None:
        checks.insert(0, Check("final", False, "The domain is at p=reject, the last stage: nothing further."))
    readiness = Readiness(
        domain=domain,
        start=start,
        end=end,
        days=days,
        record_raw=dmarc.record.raw if dmarc.record else "",
        record_tags=dict(dmarc.record.tags) if dmarc.record else {},
        problems=problems,
        stage=stage,
        next_stage=next_stage,
        ready=ready,
        checks=checks,
        notes=notes,
        next_record=next_rec,
        sources=sources,
        impact=impact,
        reporters=reporters,
        days_with_data=days_with_data,
        messages=sum(s.messages for s in sources),
        legitimate_share=share,
        inspection=inspection,
        dkim_passing=sorted(
            {(s, d) for g in groups for d, s, result in g.dkim if result == "pass"} & set(selectors)
        ),
        record_from_reports=record_from_reports,
        what_if=decision.what_if(flows, stage, next_stage, max(days_with_data, 1)),
        steps=plan(next_rec, stage, next_stage, dict(rec.tags), ready),
        subdomain_advice=decision.subdomain_advice(rec.tags, next_stage, subdomains)
        + subdomain_rules.advice(subdomain_rows, rec.tags, next_stage, days),
        subdomains=subdomain_rows,
        freshness=fresh,
        marks=marks,
    )
    return readiness


def _rewrites_from(g: Group) -> bool:
    sender = g.identification.sender if g.identification else None
    return bool(sender) and any(key in sender.id for key in decision.REWRITES_FROM)


def _sources(
    groups: list[Group], domain: str, adkim: str, aspf: str, marks: list[Mark]
) -> list[AssessedSource]:
    ips = {g.ip for g in groups}
    hostnames = rdns_names(ips, confirmed_only=True)
    networks = asn.networks(ips)
    return build_sources(groups, domain, adkim, aspf, hostnames, networks, marks, known_services())


def source_verdict(domain: str, ip: str, start: date, end: date) -> AssessedSource | None:
    """One source's category and diagnosis over a range: the drill-down's verdict (no DNS lookups)."""
    domain = normalise(domain)
    rec = lint.check_dmarc(domain, resolve.cache_only).record or evidence.record_from_reports(domain)
    groups = evidence.load_groups(domain, start, end, ip=ip)
    if not groups:
        return None
    sources = _sources(groups, domain, rec.adkim, rec.aspf, marks_queries.marks(domain))
    return sources[0]
