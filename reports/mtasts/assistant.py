"""The MTA-STS rollout assistant: none -> testing -> enforce, as plain rules over plain data.

Moving to enforce too early bounces mail exactly as p=reject does too early, and for max_age
seconds. So enforce needs a valid policy served right, every MX matched by it, TLS reports from
at least two reporters on most days of the window, and no failure in the window that enforce
would turn into a bounce (certificate problems, STARTTLS missing, policy fetch or validation
errors). The reasons name the MX at fault and say what fixes it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from reports.mtasts import policy as policies
from reports.tlsrpt.results import STS_FAILURES, TLS_FAILURES, explain

MIN_REPORTERS = 2
# Enforce's first max_age: a mistake then lasts a day; raise it once enforce has run clean.
FIRST_ENFORCE_MAX_AGE = 86_400
LONG_MAX_AGE = 1_209_600  # two weeks, once enforce has run clean
TESTING_MAX_AGE = 86_400
BLOCKING = STS_FAILURES | TLS_FAILURES


@dataclass
class Window:
    """What the TLS reports of the window say."""

    days: int  # the window's length
    report_days: int = 0  # days with at least one report
    reporters: list[str] = field(default_factory=list)
    successful: int = 0
    failed: int = 0
    # (result type, receiving MX, reporter) -> failed sessions
    failures: dict[tuple[str, str, str], int] = field(default_factory=dict)


@dataclass
class Published:
    """What the last check of the records found (reports.mtasts.checks)."""

    checked: bool = False
    mode: str = "none"
    policy_ok: bool = False
    mx: list[dict] = field(default_factory=list)  # [{"host", "covered"}]
    policy: dict = field(default_factory=dict)  # mode, mx, max_age
    policy_text: str = ""
    txt_ok: bool = False
    tls_rpt_ok: bool = False
    problems: dict[str, str] = field(default_factory=dict)  # code -> text of a failed check


@dataclass
class Reason:
    code: str
    ok: bool
    text: str


@dataclass
class Advice:
    domain: str
    stage: str
    next_stage: str | None
    ready: bool
    reasons: list[Reason]
    published: Published
    window: Window
    next_policy: str = ""
    next_txt: str = ""
    max_age_note: str = ""

    def as_json(self) -> dict:
        failures: dict[str, int] = {}
        for (kind, _, _), n in self.window.failures.items():
            failures[kind] = failures.get(kind, 0) + n
        return {
            "domain": self.domain,
            "stage": self.stage,
            "next_stage": self.next_stage,
            "ready": self.ready,
            "reasons": [asdict(r) for r in self.reasons],
            "policy": {
                **self.published.policy,
                "valid": self.published.policy_ok,
                "text": self.published.policy_text,
            },
            "mx": [{"host": m["host"], "covered": m["covered"]} for m in self.published.mx],
            "tls": {
                "days": self.window.days,
                "report_days": self.window.report_days,
                "reporters": self.window.reporters,
                "sessions": {"successful": self.window.successful, "failed": self.window.failed},
                "failures": dict(sorted(failures.items())),
            },
            "next_policy": self.next_policy,
            "next_txt": self.next_txt,
            "max_age_note": self.max_age_note,
        }


def min_report_days(days: int) -> int:
    """Reports on two days in three of the window: reporters skip days without mail."""
    return max(1, math.ceil(days * 2 / 3))


def advise(domain: str, published: Published, window: Window, new_id: str) -> Advice:
    stage = published.mode if published.mode in policies.STAGES else "none"
    index = policies.STAGES.index(stage)
    next_stage = policies.STAGES[index + 1] if index + 1 < len(policies.STAGES) else None
    if not published.checked:
        reasons = [
            Reason(
                "checked", False, f"the records of {domain} have not been checked yet: run the check first"
            )
        ]
    elif next_stage == "testing":
        reasons = _to_testing(domain, published)
    else:
        reasons = _to_enforce(domain, published, window)
    ready = next_stage is not None and all(r.ok for r in reasons)
    advice = Advice(domain, stage, next_stage, ready, reasons, published, window)
    if next_stage is not None:
        patterns = published.policy.get("mx") or [m["host"] for m in published.mx]
        hosts = [m["host"] for m in published.mx]
        patterns = sorted(set(patterns) | set(policies.uncovered(patterns, hosts)))
        max_age = TESTING_MAX_AGE if next_stage == "testing" else FIRST_ENFORCE_MAX_AGE
        advice.next_policy = policies.render(next_stage, patterns, max_age)
        advice.next_txt = f"v=STSv1; id={new_id}"
        advice.max_age_note = (
            f"Senders cache the policy for max_age seconds: a mistake under enforce bounces mail that long."
            f" Start enforce with max_age: {FIRST_ENFORCE_MAX_AGE} (a day); once reports stay clean for a"
            f" week, raise it to {LONG_MAX_AGE} or more. Publish the file first, then the TXT with the"
            " new id."
        )
    return advice


def _to_testing(domain: str, p: Published) -> list[Reason]:
    hosts = [m["host"] for m in p.mx]
    return [
        Reason(
            "mx", bool(hosts), f"MX hosts: {', '.join(hosts)}" if hosts else f"{domain} has no MX records"
        ),
        Reason(
            "tls_rpt_txt",
            p.tls_rpt_ok,
            "TLS reports are asked for (_smtp._tls TXT)"
            if p.tls_rpt_ok
            else p.problems.get("tls_rpt_txt", f'publish _smtp._tls.{domain} TXT "v=TLSRPTv1; rua=…" first')
            + ": without TLS reports, testing tells you nothing",
        ),
    ]


def _to_enforce(domain: str, p: Published, w: Window) -> list[Reason]:
    reasons = [
        Reason(
            "mta_sts_txt",
            p.txt_ok,
            "the _mta-sts TXT record is valid"
            if p.txt_ok
            else p.problems.get("mta_sts_txt", "the _mta-sts TXT record is not valid"),
        ),
        Reason(
            "policy",
            p.policy_ok,
            f"the policy is served right and valid (mode {p.mode})"
            if p.policy_ok
            else p.problems.get("policy_fetch")
            or p.problems.get("policy_syntax")
            or "the policy is not valid",
        ),
    ]
    missing = [m["host"] for m in p.mx if not m["covered"]]
    if not p.mx:
        reasons.append(Reason("mx_covered", False, f"{domain} has no MX records"))
    for host in missing:
        reasons.append(
            Reason(
                "mx_covered",
                False,
                f"MX {host} is not matched by the policy: add 'mx: {host}' before enforce",
            )
        )
    if p.mx and not missing:
        reasons.append(Reason("mx_covered", True, "every MX is matched by the policy"))
    enough = len(w.reporters) >= MIN_REPORTERS
    reasons.append(
        Reason(
            "reporters",
            enough,
            f"TLS reports from {len(w.reporters)} reporter{'s' if len(w.reporters) != 1 else ''}"
            + (f" ({', '.join(w.reporters[:5])})" if w.reporters else "")
            + ("" if enough else f": wait for reports from at least {MIN_REPORTERS}"),
        )
    )
    need = min_report_days(w.days)
    reasons.append(
        Reason(
            "report_days",
            w.report_days >= need,
            f"reports on {w.report_days} of the last {w.days} days"
            + ("" if w.report_days >= need else f": wait until reports cover at least {need} days"),
        )
    )
    blocking: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for (kind, mx, reporter), n in w.failures.items():
        if kind in BLOCKING and n:
            count, who = blocking.get((mx, kind), (0, set()))
            blocking[(mx, kind)] = (count + n, who | {reporter})
    for (mx, kind), (n, who) in sorted(blocking.items()):
        where = f"MX {mx}" if mx else "an MX the reporters did not name"
        reasons.append(
            Reason(
                "failures",
                False,
                f"{where}: {n} {kind} session{'s' if n != 1 else ''} reported by {', '.join(sorted(who))}."
                f" {explain(kind).fix}",
            )
        )
    if not blocking:
        reasons.append(
            Reason("failures", True, f"no TLS or MTA-STS failure reported in the last {w.days} days")
        )
    return reasons
