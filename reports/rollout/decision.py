"""The decision block: exact figures beside thresholds, the records to publish step by step, what the
next stage changes. Plain rules over plain data; the readiness assessment feeds them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from reports.shared.vocabulary import ALIGNED, FORWARDED, MISCONFIGURED, STAGES, UNKNOWN

# The what-if's rows: forwarded mail a receiver already let through on ARC or forwarding evidence
# stands apart, since those receivers keep delivering it under any policy.
ARC_TRUSTED = "forwarded-arc"
REWRITTEN = "forwarded-rewritten"
# Lists that rewrite the From of mail from domains at quarantine or reject (docs/dmarc-notes.md §13).
REWRITES_FROM = ("google-groups", "mailman")
WHAT_IF_ROWS = (MISCONFIGURED, FORWARDED, UNKNOWN)


# ---------------------------------------------------------------- figures beside a threshold


def pct_text(share: float, threshold: float, decimals: int = 1) -> str:
    """`share` (0..1) as a percentage that never lands on the other side of `threshold` (0..1).

    97.96% against 98% reads "97.96%", not "98.0%"; more decimals are added until the text is
    on the right side, and at worst it is cut (never rounded up) at four decimals.
    """
    value, limit = 100 * share, 100 * threshold
    for places in range(decimals, 5):
        text = f"{value:.{places}f}"
        if (float(text) >= limit) == (value >= limit):
            return text + "%"
    factor = 10**4
    cut = math.floor(value * factor) / factor if value < limit else math.ceil(value * factor) / factor
    return f"{cut:.4f}%"


# ---------------------------------------------------------------- sp= and np=


def subdomain_advice(
    tags: dict[str, str], next_stage: str | None, subdomains_sending: list[str]
) -> list[str]:
    """What to do with sp= (subdomains) and np= (non-existent subdomains) at the next stage."""
    if next_stage is None:
        return []
    sp, np = tags.get("sp", "").lower(), tags.get("np", "").lower()
    advice = []
    sending = ", ".join(subdomains_sending[:5])
    if not sp:
        text = f"Without sp=, subdomains get p={next_stage} too."
        if sending and next_stage != "none":
            text += (
                f" Subdomains send mail ({sending}): check their sources above, or add sp=none "
                "until they align."
            )
        advice.append(text)
    elif sp in STAGES and STAGES.index(sp) < STAGES.index(next_stage):
        advice.append(
            f"sp={sp} keeps subdomains at a weaker policy than p={next_stage}; "
            "raise it once their mail aligns."
        )
    else:
        advice.append(
            f"sp={sp} sets the policy for subdomains; it stays in the record. "
            "During a trial step it is relaxed like p=: see each step."
        )
    if not np:
        advice.append(
            "np= (RFC 9989) sets the policy for subdomains that do not exist, which send no real mail: "
            "np=reject stops spoofing of made-up subdomains now, whatever the stage of p=. "
            "Receivers that do not know np= use sp= or p= instead."
        )
    else:
        advice.append(
            f"np={np} sets the policy for non-existent subdomains; it stays in the record. "
            "RFC 9989 receivers relax it while t=y is set, like p= and sp=."
        )
    return advice


# ---------------------------------------------------------------- what would change


@dataclass(frozen=True)
class Flow:
    """Messages of one category and one disposition applied today."""

    category: str
    disposition: str  # none | quarantine | reject, as the reporters applied it
    messages: int
    arc_trusted: bool = False  # the receiver let it through on ARC or forwarding evidence
    # Sent by a list that rewrites the From of domains at quarantine or reject (Google Groups, Mailman
    # with DMARC mitigation): delivered with the list's From, so the next stage does not change it.
    rewritten: bool = False
    # Days of the window its source has been sending (0: the whole window): a sender that started
    # three days ago sends its messages over three days, not over the window.
    days: int = 0


@dataclass
class Row:
    category: str
    messages: int
    per_day: float
    share: float  # of all mail

    @property
    def share_text(self) -> str:
        return share_text(self.share)

    def as_json(self) -> dict:
        return {
            "category": self.category,
            "messages": self.messages,
            "messages_per_day": self.per_day,
            "share": round(self.share, 6),
        }


@dataclass
class WhatIf:
    stage: str
    next_stage: str | None
    days: int
    total: int  # all mail in the window
    rows: list[Row] = field(default_factory=list)
    arc: Row | None = None  # forwarded mail that ARC-trusting receivers deliver anyway
    rewritten: Row | None = None  # list mail delivered with the list's From once the policy enforces
    change: Row | None = None  # the sum of `rows`

    @property
    def becomes(self) -> str:
        return {"none": "delivered", "quarantine": "sent to spam", "reject": "rejected"}.get(
            self.next_stage or "", ""
        )

    @property
    def was(self) -> str:
        return {"none": "delivered", "quarantine": "in spam", "reject": "rejected"}.get(self.stage, "")

    def as_json(self) -> dict:
        return {
            "stage": self.stage,
            "next_stage": self.next_stage,
            "days": self.days,
            "messages": self.total,
            "change": self.change.as_json() if self.change else None,
            "by_category": [r.as_json() for r in self.rows],
            "forwarded_arc_trusted": self.arc.as_json() if self.arc else None,
            "forwarded_rewritten": self.rewritten.as_json() if self.rewritten else None,
        }


def share_text(share: float) -> str:
    if share == 0:
        return "0%"
    if share < 0.0001:
        return "<0.01%"
    return f"{100 * share:.2f}%"


def what_if(flows: list[Flow], stage: str, next_stage: str | None, days: int) -> WhatIf:
    """Messages a day, and their share of all mail, whose disposition the next stage changes.

    A message changes when it fails DMARC and today's applied disposition is weaker than the
    next stage's: under p=quarantine, mail already quarantined today is no change at the
    quarantine step, and at the reject step only goes from spam to a bounce. Failing mail that
    a receiver delivered on ARC or forwarding evidence is counted apart: such receivers keep
    delivering it.
    """
    days = max(days, 1)
    total = sum(f.messages for f in flows)
    result = WhatIf(stage, next_stage, days, total)
    if next_stage is None or next_stage == "none":
        return result
    target = STAGES.index(next_stage)

    def row(category, messages, per_day):
        return Row(category, messages, round(per_day, 1), messages / total if total else 0.0)

    counts = dict.fromkeys(WHAT_IF_ROWS, 0)
    rates = dict.fromkeys(WHAT_IF_ROWS, 0.0)
    arc, arc_rate = 0, 0.0
    rewritten, rewritten_rate = 0, 0.0
    for f in flows:
        if f.category == ALIGNED or f.category not in counts:
            continue
        applied = STAGES.index(f.disposition) if f.disposition in STAGES else 0
        if applied >= target:
            continue  # already treated as harshly today
        rate = f.messages / min(days, f.days or days)
        if f.rewritten:
            rewritten, rewritten_rate = rewritten + f.messages, rewritten_rate + rate
        elif f.arc_trusted:
            arc, arc_rate = arc + f.messages, arc_rate + rate
        else:
            counts[f.category] += f.messages
            rates[f.category] += rate
    result.rows = [row(c, n, rates[c]) for c, n in counts.items()]
    result.arc = row(ARC_TRUSTED, arc, arc_rate)
    result.rewritten = row(REWRITTEN, rewritten, rewritten_rate)
    result.change = row("total", sum(counts.values()), sum(rates.values()))
    return result
