"""What the readiness page shows of an assessment, built where the assessment runs (a Celery task).

The page never assesses: it reads this, stored in ReadinessSummary.page_state
(reports.rollout.actions). The size stays bounded whatever the number of
sources: one row per service (unidentified sources: one per network) with at
most IPS_SHOWN addresses each and the count of the others, the ROWS_SHOWN
busiest rows per category and the count of the others; the per-source
evidence is left out. Plain data and the small value objects of the rules
(checks, steps, the what-if, freshness, DNS findings) are kept as they are.
"""

from __future__ import annotations

import hashlib
import inspect

from reports.freshness import queries as freshness_queries
from reports.freshness import rules as freshness_rules
from reports.marks import rules as marks_rules
from reports.rollout import decision, lint
from reports.rollout.rules import checks, classification, diagnosis, next_record, staging
from reports.rollout.rules import sources as assessed
from reports.rollout.rules.classification import AssessedSource, Network
from reports.rollout.rules.sources import ServiceRow, by_service
from reports.shared import vocabulary
from reports.shared.vocabulary import ALIGNED_SHARE, CATEGORIES

IPS_SHOWN = 10  # per service or network row; the sources page lists them all
# Per category: a botnet spread over hundreds of networks would otherwise make as many rows, and the
# page's size would grow with it. The rest are counted, and the sources page lists them.
ROWS_SHOWN = 20


def _version() -> str:
    # A stored page holds objects of these modules: after a change to any of them it is read as
    # missing and computed again, rather than shown with fields that no longer exist.
    modules = (decision, *LINT, *RULES, vocabulary, marks_rules, freshness_rules, freshness_queries)
    text = "".join(inspect.getsource(m) for m in modules) + inspect.getsource(inspect.getmodule(_version))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


RULES = (checks, classification, diagnosis, next_record, assessed, staging)
LINT = (lint, lint.problems, lint.dmarc, lint.spf, lint.dkim)
VERSION = _version()


def _network(n: Network | None) -> dict | None:
    if n is None:
        return None
    return {"asn": n.asn, "label": n.label, "country": n.country}


def _source(s: AssessedSource) -> dict:
    return {
        "ip": s.ip,
        "category": s.category,
        "service": s.service,
        "messages": s.messages,
        "hostname": s.hostname,
        "network": _network(s.network),
        "mark": s.mark,
    }


def _service(row: ServiceRow) -> dict:
    sender = row.sender
    return {
        "key": row.key,
        "name": row.name,
        "category": row.category,
        "by_network": row.by_network,
        "sender": {"id": sender.id, "name": sender.name, "kind_label": sender.kind_label} if sender else None,
        "network": _network(row.network),
        "sources": len(row.sources),
        "messages": row.messages,
        "problems": list(row.problems),
        "fixes": list(row.fixes),
        "shown": [_source(s) for s in row.sources[:IPS_SHOWN]],
        "hidden": max(0, len(row.sources) - IPS_SHOWN),
    }


def build(r, verified: dict) -> dict:
    """The readiness page's content of `r` (reports.rollout.readiness.Readiness); `verified` is
    reports.rollout.trust.verified_share over its window."""
    # One row per service (unidentified sources: per network), so thousands of spoofers take a few rows.
    rows = by_service(r.sources)
    groups = []
    for category in CATEGORIES:
        sources = r.by_category[category]
        services = [row for row in rows if row.category == category]
        more = services[ROWS_SHOWN:]
        groups.append(
            {
                "category": category,
                "services": [_service(row) for row in services[:ROWS_SHOWN]],
                "count": len(sources),
                "messages": sum(s.messages for s in sources),
                "more_rows": len(more),
                "more_sources": sum(len(row.sources) for row in more),
                "more_messages": sum(row.messages for row in more),
            }
        )
    return {
        "version": VERSION,
        "domain": r.domain,
        "start": r.start,
        "end": r.end,
        "days": r.days,
        "stage": r.stage,
        "next_stage": r.next_stage,
        "ready": r.ready,
        "record_from_reports": r.record_from_reports,
        "failed_checks": [c for c in r.checks if not c.ok and c.blocking],
        "passed_checks": [c for c in r.checks if c.ok and c.blocking],
        "advice": [c for c in r.checks if not c.blocking] + list(r.notes),
        "next_record": r.next_record,
        "steps": list(r.steps),
        "subdomain_advice": list(r.subdomain_advice),
        "subdomains": [row.as_json() for row in r.subdomains],
        "what_if": r.what_if,
        "legitimate_share": r.legitimate_share,
        "legitimate_pct": r.legitimate_pct,
        "reporters": r.reporters,
        "messages": r.messages,
        "threshold": f"{ALIGNED_SHARE:.0%}",
        "verified": verified,
        "fresh": r.freshness,
        "marks": list(r.marks),
        "groups": groups,
        "problems": list(r.problems),
        "inspection": r.inspection,
        "dkim_passing": list(r.dkim_passing),
    }
