"""The SPF record of a domain (RFC 7208): one `v=spf1` record, at most 10 DNS-querying terms through
its includes and redirects."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from reports.rollout.lint.problems import Problem
from reports.shared.dns import Resolve
from reports.shared.names import org_domain

SPF_LOOKUP_LIMIT = 10
_SPF_COUNTED = ("include", "a", "mx", "ptr", "exists")


@dataclass
class SpfCheck:
    domain: str
    record: str = ""
    lookups: int = 0  # DNS-querying terms, counted through includes and redirects
    problems: list[Problem] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)  # every domain reached through include/redirect

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def is_spf(text: str) -> bool:
    low = text.strip().lower()
    return low == "v=spf1" or low.startswith("v=spf1 ")


# Includes that do nothing in the SPF record of the From domain itself: the service never sends with
# MAIL FROM that domain (its own bounce domain, or a custom MAIL FROM subdomain with its own record).
ROOT_ONLY_COSTS = {
    "amazonses.com": (
        "Amazon SES",
        "SES sends with MAIL FROM amazonses.com, or with a custom MAIL FROM subdomain "
        "(such as mail.{domain}) whose own SPF record carries include:amazonses.com",
    ),
}


def _useless_at_root(domain: str, record: str) -> list[Problem]:
    if org_domain(domain) != domain:
        return []  # a subdomain may well be the custom MAIL FROM that needs the include
    out = []
    for term in record.split()[1:]:
        name, _, arg = term.lstrip("+-~?").partition(":")
        target = arg.lower().rstrip(".")
        if name.lower() == "include" and target in ROOT_ONLY_COSTS:
            service, why = ROOT_ONLY_COSTS[target]
            out.append(
                Problem(
                    "useless-include",
                    "warning",
                    f"include:{target} in the SPF record of {domain} does nothing for DMARC: "
                    f"{why.format(domain=domain)}. It only costs a DNS lookup: move it to the custom MAIL "
                    f"FROM subdomain's record, and align {service} through DKIM (Easy DKIM) first.",
                )
            )
    return out


def check_spf(domain: str, resolve: Resolve, *, deadline: float | None = None) -> SpfCheck:
    domain = domain.rstrip(".").lower()
    check = SpfCheck(domain)
    answer = resolve(domain, "TXT")
    if answer.failed:
        check.problems.append(
            Problem(
                "lookup-failed",
                "error",
                f"The lookup of {domain} TXT failed ({answer.error}); SPF could not be checked.",
            )
        )
        return check
    records = [t for t in answer.records if is_spf(t)]
    if not records:
        check.problems.append(
            Problem(
                "no-spf",
                "warning",
                f"{domain} has no SPF record: SPF cannot pass for mail sent with MAIL FROM {domain}.",
            )
        )
        return check
    if len(records) > 1:
        check.problems.append(
            Problem(
                "several-spf",
                "error",
                f"{domain} has {len(records)} SPF records; receivers return "
                "permerror and SPF never passes. Merge them into one.",
            )
        )
        return check
    check.record = records[0]
    check.problems += _useless_at_root(domain, records[0])
    visited = {domain}
    _walk_spf(domain, records[0], resolve, check, visited, deadline or time.monotonic() + 15)
    if check.lookups > SPF_LOOKUP_LIMIT:
        check.problems.insert(
            0,
            Problem(
                "too-many-lookups",
                "error",
                f"The SPF record needs {check.lookups} DNS lookups; the "
                f"limit is {SPF_LOOKUP_LIMIT}, so receivers return permerror and SPF fails for all "
                "your mail. Remove includes you no longer use or flatten some.",
            ),
        )
    return check


def _walk_spf(domain, record, resolve, check: SpfCheck, visited: set, deadline: float) -> None:
    terms = record.split()[1:]
    for term in terms:
        low = term.lower()
        qualifier = low[0] if low[:1] in "+-~?" else ""
        mech = low[1:] if qualifier else low
        name, _, arg = mech.partition(":")
        if "=" in name:  # a modifier: redirect=, exp=
            name, _, arg = mech.partition("=")
            if name != "redirect":
                continue
        name = name.split("/")[0]
        if name == "all":
            if qualifier in ("", "+") and domain == check.domain:
                check.problems.append(
                    Problem(
                        "plus-all",
                        "error",
                        f"{term} lets every server on the internet pass SPF for {domain}.",
                    )
                )
            continue
        if name not in _SPF_COUNTED and name != "redirect":
            continue
        check.lookups += 1
        if name == "ptr":
            check.problems.append(
                Problem(
                    "ptr",
                    "warning",
                    f"{term} (in {domain}) is slow and unreliable, and RFC 7208 says not "
                    "to use it. Replace it with ip4:/ip6: or include:.",
                )
            )
        if name not in ("include", "redirect") or not arg:
            continue
        if "%{" in arg:  # a macro: expands per message, nothing to follow here
            continue
        target = arg.rstrip(".").lower()
        if target in visited:
            check.problems.append(Problem("loop", "error", f"{term} in {domain} points back to {target}."))
            continue
        visited.add(target)
        check.includes.append(target)
        if time.monotonic() > deadline:
            check.problems.append(Problem("incomplete", "warning", f"Stopped before {target}: DNS too slow."))
            return
        answer = resolve(target, "TXT")
        sub = [t for t in answer.records if is_spf(t)]
        if answer.failed:
            check.problems.append(
                Problem("lookup-failed", "warning", f"Could not look up {target} ({answer.error}).")
            )
        elif len(sub) != 1:
            what = "no SPF record" if not sub else f"{len(sub)} SPF records"
            check.problems.append(
                Problem(
                    "broken-include",
                    "error",
                    f"{term} (in {domain}) points to {target}, which has {what}; receivers return permerror.",
                )
            )
        else:
            _walk_spf(target, sub[0], resolve, check, visited, deadline)
