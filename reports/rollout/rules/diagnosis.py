"""What is wrong with a failing source, and the fix: plain text from its category and groups
(see reports.rollout.rules)."""

from __future__ import annotations

from reports.rollout.rules.classification import AssessedSource, Group, forwarding_reason
from reports.shared.names import org_domain
from reports.shared.vocabulary import ALIGNED, FORWARDED, UNKNOWN
from reports.sources.services import OWN, Service


def diagnose(src: AssessedSource, policy_domain: str, adkim: str, aspf: str) -> None:
    """Say what is wrong with the source and how to fix it (its problems and fixes), from its category
    and groups; a mark of the operator's comes first."""
    _explain(src, policy_domain, adkim, aspf)
    if src.mark:
        m = src.mark
        when = f" on {m.marked_at:%Y-%m-%d}" if m.marked_at else ""
        src.problems.insert(0, f"Marked {m.label} by {m.marked_by or 'the operator'}{when} (the {m.target}).")
        if not m.ours and src.category == ALIGNED:
            src.fixes.append(
                "It passes DMARC although it is not yours: someone sends through a service you have "
                "authorised. Remove it from your SPF record and revoke its DKIM key."
            )


def _explain(src: AssessedSource, policy_domain: str, adkim: str, aspf: str) -> None:
    failing_groups = [g for g in src.groups if not g.passes]
    name = src.sender.name if src.sender else ""
    if src.category == ALIGNED:
        aligned = [g for g in src.groups if g.passes]
        via = []
        if any(g.dkim_verdict == "pass" for g in aligned):
            via.append("DKIM")
        if any(g.spf_verdict == "pass" for g in aligned):
            via.append("SPF")
        src.problems.append(f"Passes DMARC ({' and '.join(via) or 'aligned'}).")
        if src.failing:
            src.problems.append(
                f"{src.failing:,} of its {src.messages:,} messages failed: too few to act on."
            )
        return
    if src.category == FORWARDED:
        reasons = sorted({forwarding_reason(g.reasons) for g in failing_groups} - {""})
        who = name or "A forwarder or mailing list"
        text = f"{who} re-sends mail from your domain, so SPF cannot align"
        if any(
            org_domain(d) == org_domain(policy_domain) and r != "pass"
            for g in failing_groups
            for d, _, r in g.dkim
        ):
            text += " and your DKIM signature breaks in transit"
        text += "."
        if reasons:
            text += f" The receiver saw forwarding: {', '.join(reasons)}."
        src.problems.append(text)
        src.fixes.append(
            "Nothing to fix on your side. Receivers that trust ARC keep delivering it; under p=reject the "
            "rest may bounce."
        )
        return
    if src.category == UNKNOWN:
        where = f"reverse DNS {src.hostname}" if src.hostname else "no reverse DNS name"
        spf = sorted({f"{d or '(empty)'}: {r}" for g in failing_groups for d, sc, r in g.spf if sc != "helo"})
        text = f"Not a known service ({where}) and nothing aligns"
        text += f" (SPF {'; '.join(spf)})." if spf else "."
        src.problems.append(text)
        if any(org_domain(d) == org_domain(policy_domain) for g in failing_groups for d, _, _ in g.dkim):
            src.problems.append(
                "It carries a failing DKIM signature of your domain: it may be forwarded mail."
            )
        src.fixes.append(
            "If you do not know it, it is spoofing, which quarantine and reject are meant to stop. If it is "
            "yours, add it to your SPF record and sign its mail with DKIM for your domain."
        )
        return
    _diagnose_misconfigured(src, failing_groups, policy_domain, adkim, aspf)


def _strict_spf_fix(short: str) -> str:
    return (
        f"Your record says aspf=s, so {short}'s MAIL FROM subdomain can never align: remove aspf=s, or rely "
        f"on aligned DKIM ({short} signing with your domain), which relaxed DKIM alignment accepts whatever "
        "the MAIL FROM."
    )


def _diagnose_misconfigured(
    src: AssessedSource, groups: list[Group], policy_domain: str, adkim: str, aspf: str
) -> None:
    sender = src.sender
    short = sender.short if sender else "this sender"
    own = org_domain(policy_domain)
    spf = {(d, r) for g in groups for d, sc, r in g.spf if sc in ("", "mfrom")}
    dkim = {(d, s, r) for g in groups for d, s, r in g.dkim}
    spf_problem, spf_fix = _spf_finding(spf, sender, short, own, aspf)
    dkim_problem, dkim_fix = _dkim_finding(dkim, sender, short, own, adkim)
    who = sender.name if sender else "This source"
    src.problems.append(f"{who}: {spf_problem}, and {dkim_problem}.")
    fixes = _dkim_first(dkim_fix, spf_fix)
    if sender and sender is not OWN:
        fixes.append(
            f"If you do not use {sender.name}, this is someone else's account sending as your domain."
        )
    src.fixes.extend(fixes)


def _dkim_first(dkim_fix: str, spf_fix: str) -> list[str]:
    """The service's how-to in the order to follow it: DKIM first (it survives forwarding, and a single
    aligned signature passes DMARC), then the return path for SPF."""
    fixes = []
    for text in (dkim_fix, spf_fix):
        if text and text not in fixes:
            fixes.append(text)
    return fixes


def _spf_finding(spf: set, sender: Service | None, short: str, own: str, aspf: str) -> tuple[str, str]:
    """What is wrong with the source's SPF results (mfrom), and its fix ("" when there is none to give)."""
    # A custom MAIL FROM is a subdomain: under aspf=s it never aligns, so the usual SPF fix cannot work.
    needs_subdomain = aspf == "s" and (sender is None or sender.mail_from_subdomain) and sender is not OWN
    for d, r in sorted(spf):
        ours = bool(d) and org_domain(d) == own
        if r == "pass" and d and not ours:
            if needs_subdomain:
                return (
                    f"SPF passes for {d}, which is not your domain, and your record's aspf=s blocks SPF "
                    "alignment: the custom MAIL FROM domain that would align it is a subdomain, which strict "
                    "SPF alignment never accepts",
                    _strict_spf_fix(short),
                )
            fix = sender.spf_fix if sender else "Use a MAIL FROM (return-path) domain under your own domain."
            return f"SPF passes for {d}, which is not your domain", fix
        if r == "pass" and ours and aspf == "s":
            return (
                f"SPF passes for {d}, a subdomain, but your record asks for strict SPF alignment",
                _strict_spf_fix(short),
            )
        if r in ("permerror", "temperror"):
            broken = " (a broken SPF record: see the DNS checks)" if r == "permerror" else ""
            return f"SPF gives {r} for {d}{broken}", ""
        if ours and r != "pass":
            fix = sender.spf_fix if sender else "Add this source to your SPF record."
            return f"SPF {r or 'fails'} for {d}: {short} is not in its SPF record", fix
    return ("" if spf else "There is no SPF result"), ""


def _dkim_finding(dkim: set, sender: Service | None, short: str, own: str, adkim: str) -> tuple[str, str]:
    """What is wrong with the source's DKIM signatures, and its fix."""
    own_key_fix = sender.dkim_fix if sender else "Sign this mail with a DKIM key of your own domain."
    passing = [(d, s) for d, s, r in sorted(dkim) if r == "pass"]
    subdomain = next((d for d, _ in passing if org_domain(d) == own), None)
    if subdomain and adkim == "s":
        return (
            f"DKIM is signed by {subdomain}, a subdomain, but your record asks for strict DKIM alignment",
            f"Your record says adkim=s; {short} signs with {subdomain}, which can then never align — remove "
            f"adkim=s, or have {short} sign with {own} itself.",
        )
    if passing:
        return f"DKIM is signed d={passing[0][0]}, not your domain", own_key_fix
    broken = [(d, s) for d, s, r in sorted(dkim) if org_domain(d) == own]
    if broken:
        d, s = broken[0]
        return (
            f"the DKIM signature of {d} (selector {s or 'unknown'}) fails",
            f"Check the key published at {s or '<selector>'}._domainkey.{d} against {short}'s settings.",
        )
    return "there is no DKIM signature", own_key_fix
