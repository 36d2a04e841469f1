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
