"""The checks of a domain's inbound-mail records: run by a worker, stored, read by the pages.

evaluate() is the rule, over what the DNS and the policy host answered; run() asks them and keeps
the result in MtaStsCheck, so that pages and the rollout assistant never wait on the network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.utils import timezone

from reports.mtasts import policy as policies
from reports.mtasts import records
from reports.mtasts.fetch import Fetched, fetch
from reports.mtasts.models import MtaStsCheck
from reports.shared.dns import live_lookup


@dataclass
class Item:
    code: str
    ok: bool
    text: str


@dataclass
class Lookups:
    """What the DNS answered for a domain (TXT texts, MX host names), and the policy fetch."""

    mta_sts: list[str] = field(default_factory=list)
    tls_rpt: list[str] = field(default_factory=list)
    bimi: list[str] = field(default_factory=list)
    dmarc: list[str] = field(default_factory=list)
    mx: list[str] = field(default_factory=list)
    fetched: Fetched | None = None


@dataclass
class Findings:
    mode: str = "none"  # what senders apply: a valid policy's mode behind a valid TXT, else none
    policy_ok: bool = False
    items: list[Item] = field(default_factory=list)
    mx: list[dict] = field(default_factory=list)  # [{"host", "covered"}]
    policy_text: str = ""
    policy: dict = field(default_factory=dict)  # mode, mx patterns, max_age of the served policy
    txt_id: str = ""

    def add(self, code: str, ok: bool, text: str) -> None:
        self.items.append(Item(code, ok, text))


def evaluate(domain: str, found: Lookups) -> Findings:
    out = Findings()
    txt = records.mta_sts(found.mta_sts)
    out.txt_id = txt.tags.get("id", "")
    if txt.valid:
        out.add("mta_sts_txt", True, f"_mta-sts.{domain} publishes {txt.text}")
    else:
        out.add("mta_sts_txt", False, f"_mta-sts.{domain}: {'; '.join(txt.problems)}")
    fetched = found.fetched
    policy = None
    if fetched is not None and fetched.ok:
        out.policy_text = fetched.text
        policy = policies.parse(fetched.text)
        out.policy = {"mode": policy.mode, "mx": policy.mx, "max_age": policy.max_age}
        out.add("policy_fetch", True, f"the policy is served at {fetched.url}")
        if policy.valid:
            out.add(
                "policy_syntax", True, f"the policy is valid: mode {policy.mode}, max_age {policy.max_age}"
            )
        else:
            out.add("policy_syntax", False, "the policy is not valid: " + "; ".join(policy.problems))
    elif fetched is not None:
        out.add("policy_fetch", False, fetched.error)
    out.policy_ok = bool(txt.valid and policy and policy.valid)
    if out.policy_ok:
        out.mode = policy.mode
    patterns = policy.mx if policy else []
    missing = policies.uncovered(patterns, found.mx)
    out.mx = [{"host": h, "covered": h not in missing} for h in found.mx]
    if not found.mx:
        out.add("mx_covered", False, f"{domain} has no MX records")
    elif missing:
        out.add(
            "mx_covered",
            False,
            f"MX {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not matched by any mx: line"
            " of the policy: under enforce, senders refuse to deliver there",
        )
    else:
        out.add("mx_covered", True, f"every MX ({', '.join(found.mx)}) is matched by the policy")
    rpt = records.tls_rpt(found.tls_rpt)
    if rpt.valid:
        out.add("tls_rpt_txt", True, f"_smtp._tls.{domain} publishes {rpt.text}")
    else:
        out.add("tls_rpt_txt", False, f"_smtp._tls.{domain}: {'; '.join(rpt.problems)}")
    dmarc, _ = records.pick(found.dmarc, "DMARC1")
    tags = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in dmarc.split(";"))}
    pct = tags.get("pct", "")
    bimi = records.bimi(
        found.bimi, tags.get("p", "").lower(), int(pct) if pct.isdigit() else None, tags.get("t") == "y"
    )
    if bimi.valid:
        out.add("bimi", True, f"default._bimi.{domain} publishes {bimi.text}, and DMARC enforces")
    else:
        out.add("bimi", False, f"BIMI: {'; '.join(bimi.problems)}")
    return out


def lookups(domain: str) -> Lookups:
    def txt(name: str) -> list[str]:
        return live_lookup(name, "TXT").records

    mx = [r.split()[-1].rstrip(".").lower() for r in live_lookup(domain, "MX").records if r.split()]
    return Lookups(
        mta_sts=txt(f"_mta-sts.{domain}"),
        tls_rpt=txt(f"_smtp._tls.{domain}"),
        bimi=txt(f"default._bimi.{domain}"),
        dmarc=txt(f"_dmarc.{domain}"),
        mx=sorted(set(mx)),
        fetched=fetch(domain),
    )


def run(domain: str, found_in: Lookups | None = None) -> MtaStsCheck:
    """Check the domain now and keep the result (a worker's job: DNS and HTTPS). The demo gives
    `found_in`: its domains exist nowhere, and their stored check says so (is_demo)."""
    existing = MtaStsCheck.objects.filter(domain=domain).first()
    if found_in is None and existing is not None and existing.findings.get("demo"):
        return existing
    found = evaluate(domain, found_in or lookups(domain))
    check, _ = MtaStsCheck.objects.update_or_create(
        domain=domain,
        defaults={
            "checked": timezone.now(),
            "mode": found.mode,
            "policy_ok": found.policy_ok,
            "mx": found.mx,
            "findings": {
                "items": [asdict(i) for i in found.items],
                "policy_text": found.policy_text,
                "policy": found.policy,
                "txt_id": found.txt_id,
                "demo": found_in is not None,
            },
        },
    )
    return check
