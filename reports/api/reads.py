"""What the read endpoints answer, as JSON-ready dicts, from the pages' own queries: the figures are
those the pages show for the same domain, range and filters."""

from __future__ import annotations

from reports.dashboard import domain_table
from reports.shared.counts import Counts


def counts(c: Counts) -> dict:
    return {
        "messages": c.messages,
        "dmarc_pass": c.dmarc_pass,
        "dmarc_fail": c.dmarc_fail,
        "dkim_pass": c.dkim_pass,
        "spf_pass": c.spf_pass,
        "delivered": c.delivered,
        "quarantined": c.quarantined,
        "rejected": c.rejected,
        "dmarc_pass_pct": _pct(c.dmarc_pct),
        "dkim_pass_pct": _pct(c.dkim_pct),
        "spf_pass_pct": _pct(c.spf_pct),
    }


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def domain(row: domain_table.DomainRow) -> dict:
    """A row of the domains page: stage and readiness as last computed (None until a worker has), the
    DMARC pass rate over the last 30 days and the end of the last report."""
    verdict = row.verdict or {}
    return {
        "name": row.name,
        "stage": verdict.get("stage") or row.reported_policy or None,
        "next_stage": verdict.get("next_stage"),
        "ready": verdict.get("ready"),
        "blocking": verdict.get("blocking", []),
        "assessed": row.verdict is not None,
        "period_days": domain_table.PERIOD_DAYS,
        "messages": row.current.messages,
        "pass_rate": _pct(row.pass_pct),
        "pass_rate_change": _pct(row.change),
        "last_report": row.last_end.isoformat() if row.last_end else None,
    }


def daily(series) -> list[dict]:
    return [{"day": day.isoformat(), **counts(c)} for day, c in series]


def about(a) -> dict:
    """What is known of a source: names from the small tables a worker fills."""
    return {
        "reverse_dns": a.rdns,
        "asn": a.asn,
        "as_name": a.as_name,
        "country": a.country,
        "service": a.service,
        "service_id": a.service_id,
        "service_by_network": a.by_network,
        "category": a.category,
    }


def source_row(s) -> dict:
    return {
        "ip": s.ip,
        **counts(s),
        "first_seen": s.first_seen.isoformat() if s.first_seen else None,
        "last_seen": s.last_seen.isoformat() if s.last_seen else None,
        **about(s.about),
    }


def overview(ov, rng) -> dict:
    return {
        "start": rng.start.isoformat(),
        "end": rng.end.isoformat(),
        "totals": counts(ov.totals),
        "reporters": ov.reporters,
        # While a worker ranks a big domain's sources, their number and the top ones are unknown.
        "sources": ov.sources if ov.ranked else None,
        "top_sources": [source_row(s) for s in ov.top_sources] if ov.ranked else None,
        "daily": daily(ov.daily),
    }


def _auth(rows) -> list[dict]:
    return [
        {"domain": a.domain, "selector": a.selector, "scope": a.scope, "result": a.result,
         "aligned": a.aligned, "messages": a.messages}
        for a in rows
    ]  # fmt: skip


def record(r) -> dict:
    return {
        "id": r.pk,
        "report": r.report_id,
        "begin": r.begin.isoformat(),
        "source_ip": str(r.source_ip),
        "count": r.count,
        "disposition": r.disposition,
        "dkim": r.dkim,
        "spf": r.spf,
        "header_from": r.header_from,
        "envelope_from": r.envelope_from,
        "reasons": r.reasons if isinstance(r.reasons, list) else [],
        "auth": r.auth if isinstance(r.auth, list) else [],
        "dkim_aligned": r.dkim_aligned,
        "spf_aligned": r.spf_aligned,
    }


def source_detail(d, verdict, records: list, rng) -> dict:
    return {
        "ip": d.ip,
        "start": rng.start.isoformat(),
        "end": rng.end.isoformat(),
        "totals": counts(d.totals),
        **about(d.about),
        "verdict": verdict.as_json() if verdict else None,
        "header_from": [{"domain": name, "messages": n} for name, n in d.header_from],
        "reporters": [
            {"reporter": name, "messages": n, "verified": d.reporters_verified.get(name, 0)}
            for name, n in d.reporters
        ],
        "dkim": _auth(d.dkim),
        "spf": _auth(d.spf),
        "reasons": [{"type": t, "comment": c, "messages": n} for t, c, n in d.reasons],
        "daily": daily(d.daily),
        "records": [record(r) for r in records],
    }


def sender(s) -> dict:
    return {
        "service": s.service,
        "name": s.name,
        "kind": s.kind,
        "by_network": s.by_network,
        "sources": s.sources,
        "category": s.category,
        "categories": s.categories,
        "problems": s.problems,
        "fixes": s.fixes,
        **counts(s),
        "top_sources": [source_row(ip) for ip in s.ips],
    }


def report(r) -> dict:
    return {
        "id": r.pk,
        "org_name": r.org_name,
        "report_id": r.report_id,
        "domain": r.domain,
        "begin": r.begin.isoformat(),
        "end": r.end.isoformat(),
        "policy": {"p": r.p, "sp": r.sp, "np": r.np, "adkim": r.adkim, "aspf": r.aspf, "pct": r.pct},
        "records": r.record_count,
        "messages": r.message_count,
        "warnings": r.warnings if isinstance(r.warnings, list) else [],
        "received": r.created.isoformat(),
        "origin": r.origin,
        "reporter_verified": r.reporter_verified,
    }


def alert(a) -> dict:
    facts = a.facts if isinstance(a.facts, dict) else {}
    return {
        "id": a.pk,
        "rule": a.rule,
        "severity": a.severity,
        "subject": a.subject,
        "title": a.title,
        "text": a.text,
        "opened": a.opened.isoformat(),
        "resolved": a.resolved.isoformat() if a.resolved else None,
        "sources": [s for s in facts.get("sources") or [] if isinstance(s, dict)][:20],
    }


def page(results: list, total: int | None, number: int, size: int, has_next: bool | None = None) -> dict:
    """A page of results: `count` and `pages` when the total is known, else whether a next page exists."""
    body = {"page": number, "page_size": size}
    if total is not None:
        body.update(count=total, pages=max(1, -(-total // size)), has_next=number * size < total)
    else:
        body["has_next"] = bool(has_next)
    body["results"] = results
    return body
