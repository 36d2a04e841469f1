"""The rollout rules: how a source is classified and diagnosed, and what readiness needs.

Pure functions over plain data (groups of messages loaded by
reports.rollout.evidence, a DmarcRecord read by reports.rollout.lint): no
database, no DNS, so every rule is tested with plain data.

Over a window (30 days by default) every source (sending IP) of the policy
domain is named (reports.rollout.senders), put into one category, and explained.

How a group of messages is classified. Messages of one source that share the
same evidence (verdicts, override reasons, DKIM and SPF results) form a group:

1. **aligned**: the reporter says DMARC passes (policy_evaluated dkim or spf
   is pass). The reporter's verdict is the truth, not our recomputation.
2. **forwarded**: DMARC fails, but the evidence says forwarding: an override
   reason forwarded, mailing_list or trusted_forwarder, or local_policy with
   "arc=pass" in its comment; or the service is a known forwarder or mailing
   list (its DKIM may pass, but for its own domain); or a mailbox provider
   that auto-forwards (Gmail, Outlook.com, GMX...) re-sent a message that
   still carries your domain's (now broken) DKIM signature.
3. **misconfigured**: DMARC fails and the source is a known, legitimate
   service: identified by its DKIM or MAIL FROM domain, or by its reverse DNS
   name or its network (AS) when some authentication passes. Also any source
   whose DKIM or SPF passes for a subdomain of yours but fails only because the
   record asks for strict alignment (adkim=s / aspf=s). When the fix needs a
   subdomain (a custom MAIL FROM, a DKIM d= subdomain) and the record is
   strict, the diagnosis says that the strict tag blocks it, and the
   alternative.
4. **unknown**: nothing of the above: no known service and nothing aligned.
   Usually spoofing, which enforcement is meant to stop.

A source's category is that of its failing messages: "aligned" when fewer than
2% of its messages fail (a stray forward or a reporter quirk is not worth
acting on), otherwise the category with the most failing messages.

The operator's marks (reports.marks) come before the evidence: a failing
group of a source marked "ours" is misconfigured (legitimate, a blocker until
fixed), one marked "not ours" is unknown (what enforcement is for).

Readiness for the next stage (none -> quarantine -> reject) needs all of:
the DMARC record has no errors; no legitimate source is misconfigured; at
least 98% of legitimate mail (aligned + misconfigured) is aligned; no new
legitimate sender in the last 14 days; reports from at least 2 reporters on
at least 14 days of the window; and fresh data (reports.freshness: a report
within the last days, every mailbox polled lately), added by the assessment.

The what-if (reports.rollout.decision) counts, for the next stage only, the
failing messages whose disposition would change from today's, by category,
with forwarded mail that ARC-trusting receivers deliver anyway apart.

The next record keeps rua, ruf, sp, np, fo and the alignment tags, drops the
obsolete pct, rf and ri, and drops aspf=s/adkim=s when they break senders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from reports.ingest.alignment import org_domain
from reports.marks.rules import Mark, mark_for
from reports.rollout import decision, lint
from reports.rollout.senders import OWN, Identification, Sender, Signals, identify

WINDOW_DAYS = 30
# The readiness page's windows: the only ones whose assessment is stored and kept up to date. Any
# other is computed when asked, kept a few minutes for the page, and stored nowhere.
STORED_WINDOWS = (14, 30, 60, 90)
ALIGNED_SHARE = 0.98  # of legitimate volume
NEW_SOURCE_DAYS = 14
MIN_REPORTERS = 2
MIN_DAYS = 14
NOISE_SHARE = 0.02  # failing share under which a source still counts as aligned

ALIGNED, FORWARDED, MISCONFIGURED, UNKNOWN = "aligned", "forwarded", "misconfigured", "unknown"
CATEGORIES = (ALIGNED, FORWARDED, MISCONFIGURED, UNKNOWN)
FAILING = (FORWARDED, MISCONFIGURED, UNKNOWN)
LEGITIMATE = (ALIGNED, MISCONFIGURED)
STAGES = ("none", "quarantine", "reject")
FORWARDING_REASONS = ("forwarded", "mailing_list", "trusted_forwarder")
# Which failing category names a mixed source when volumes tie.
_PRIORITY = {MISCONFIGURED: 3, UNKNOWN: 2, FORWARDED: 1}


# ---------------------------------------------------------------- evidence


@dataclass
class Group:
    """Messages of one source that carry the same evidence."""

    ip: str
    header_from: str
    envelope_from: str
    dkim_verdict: str
    spf_verdict: str
    reasons: tuple[tuple[str, str], ...]
    dkim: tuple[tuple[str, str, str], ...]  # (domain, selector, result)
    spf: tuple[tuple[str, str, str], ...]  # (domain, scope, result)
    messages: int
    category: str = ""
    identification: Identification | None = None
    disposition: str = "none"  # as the reporter applied it: none, quarantine or reject
    mark: Mark | None = None  # the operator's, when one applies

    @property
    def passes(self) -> bool:
        return self.dkim_verdict == "pass" or self.spf_verdict == "pass"

    @property
    def mail_from_domains(self) -> list[str]:
        domains = [d for d, scope, _ in self.spf if scope in ("", "mfrom") and d]
        if not domains and self.envelope_from:
            domains.append(self.envelope_from)
        return domains


# ---------------------------------------------------------------- classification


def forwarding_reason(reasons) -> str:
    """The override reason that shows forwarding, as text, or ""."""
    for rtype, comment in reasons:
        if rtype in FORWARDING_REASONS:
            return rtype + (f" ({comment})" if comment else "")
        if rtype == "local_policy" and "arc=pass" in comment.lower().replace(" ", ""):
            return f"local_policy ({comment})"
    return ""


def strict_only(group: Group, adkim: str, aspf: str) -> tuple[list[str], list[str]]:
    """Passing DKIM/SPF domains that align under relaxed alignment but not under the strict mode asked for."""
    hf = group.header_from
    spf = [
        d
        for d, scope, r in group.spf
        if r == "pass" and scope in ("", "mfrom") and d != hf and d and org_domain(d) == org_domain(hf)
    ]
    dkim = [d for d, _, r in group.dkim if r == "pass" and d != hf and d and org_domain(d) == org_domain(hf)]
    return (spf if aspf == "s" else []), (dkim if adkim == "s" else [])


def classify(group: Group, policy_domain: str, adkim: str, aspf: str) -> str:
    if group.passes:
        return ALIGNED
    if forwarding_reason(group.reasons):
        return FORWARDED
    sender = group.identification.sender if group.identification else None
    if sender and sender.forwarding:
        return FORWARDED
    own = org_domain(policy_domain)
    if sender and sender.forwards and any(org_domain(d) == own and r != "pass" for d, _, r in group.dkim):
        return FORWARDED  # the author's own signature, broken by the mailbox provider's forwarding
    if sender and _credible(group, sender):
        return MISCONFIGURED
    strict_spf, strict_dkim = strict_only(group, adkim, aspf)
    if strict_spf or strict_dkim:
        return MISCONFIGURED
    return UNKNOWN


def _credible(group: Group, sender: Sender) -> bool:
    """A match on DKIM or MAIL FROM names the service; a reverse DNS name or a network alone only names
    a network, so it needs some authentication to pass as well (a spoofer on a rented server is not the
    host)."""
    ident = group.identification
    if sender is OWN or (ident and not ident.weak):
        return True
    return any(r == "pass" for *_, r in group.dkim) or any(r == "pass" for *_, r in group.spf)


# ---------------------------------------------------------------- sources


@dataclass(frozen=True)
class Network:
    """The origin network of a source (Team Cymru, reports.rollout.asn)."""

    asn: int
    as_name: str = ""
    country: str = ""

    @property
    def label(self) -> str:
        return f"AS{self.asn}" + (f" {self.as_name}" if self.as_name else "")


@dataclass
class SenderSource:
    ip: str
    messages: int = 0
    by_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    hostname: str = ""
    network: Network | None = None
    sender: Sender | None = None
    evidence: list[str] = field(default_factory=list)
    category: str = UNKNOWN
    problems: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    first_seen: date | None = None
    groups: list[Group] = field(default_factory=list)
    mark: Mark | None = None

    @property
    def service(self) -> str:
        return self.sender.name if self.sender else ""

    @property
    def by_network(self) -> bool:
        """Named only by its network (AS): no DKIM, MAIL FROM or reverse DNS match."""
        return bool(self.evidence) and all(e.startswith("network AS") for e in self.evidence)

    @property
    def failing(self) -> int:
        return self.messages - self.by_category[ALIGNED]

    @property
    def diagnosis(self) -> str:
        return " ".join(self.problems + self.fixes)

    @property
    def legitimate(self) -> bool:
        return self.category in LEGITIMATE

    def as_json(self) -> dict:
        net = self.network
        return {
            "ip": self.ip,
            "rdns": self.hostname,
            "asn": net.asn if net else None,
            "as_name": net.as_name if net else "",
            "country": net.country if net else "",
            "service": self.service,
            "service_id": self.sender.id if self.sender else "",
            "by_network": self.by_network,
            "category": self.category,
            "messages": self.messages,
            "diagnosis": self.diagnosis,
            "mark": self.mark.as_json() if self.mark else None,
        }


def build_sources(
    groups: list[Group],
    policy_domain: str,
    adkim: str,
    aspf: str,
    hostnames: dict[str, str],
    networks: dict[str, Network] | None = None,
    marks: list[Mark] = (),
) -> list[SenderSource]:
    """One SenderSource per IP, its groups classified; `hostnames` are forward-confirmed reverse DNS
    names, `networks` the sources' origin networks, `marks` the operator's (reports.marks)."""
    networks = networks or {}
    sources: dict[str, SenderSource] = {}
    # Thousands of sources tell the same (a botnet: no name, no DKIM, one MAIL FROM): identified once.
    identified: dict[tuple, Identification] = {}
    for g in groups:
        net = networks.get(g.ip)
        signals = Signals(
            hostnames.get(g.ip, ""),
            [d for d, _, _ in g.dkim if d],
            g.mail_from_domains,
            net.asn if net else None,
        )
        key = (signals.rdns, tuple(signals.dkim_domains), tuple(signals.spf_domains), signals.asn)
        if key not in identified:
            identified[key] = identify(signals, policy_domain)
        g.identification = identified[key]
        g.category = classify(g, policy_domain, adkim, aspf)
        sender = g.identification.sender if g.identification else None
        g.mark = mark_for(marks, g.ip, sender.name if sender else "")
        if g.mark and not g.passes:
            # The operator knows better than the evidence: "ours" must be fixed, "not ours" is spoofing.
            g.category = MISCONFIGURED if g.mark.ours else UNKNOWN
        src = sources.setdefault(g.ip, SenderSource(g.ip, hostname=hostnames.get(g.ip, ""), network=net))
        src.messages += g.messages
        src.by_category[g.category] += g.messages
        src.groups.append(g)
    for src in sources.values():
        _settle(src, policy_domain, adkim, aspf)
    return sorted(sources.values(), key=lambda s: (-s.messages, s.ip))


def _settle(src: SenderSource, policy_domain: str, adkim: str, aspf: str) -> None:
    failing = {c: src.by_category[c] for c in FAILING if src.by_category[c]}
    if not failing or sum(failing.values()) < NOISE_SHARE * src.messages:
        src.category = ALIGNED
    else:
        src.category = max(failing, key=lambda c: (failing[c], _PRIORITY[c]))
    # Name the service from the groups that decided the category.
    decisive = [g for g in src.groups if g.category == src.category] or src.groups
    named = [g for g in decisive if g.identification and g.identification.sender]
    if not named:
        named = [g for g in src.groups if g.identification and g.identification.sender]
    if named:
        best = max(named, key=lambda g: g.messages)
        src.sender, src.evidence = best.identification.sender, list(best.identification.evidence)
    marked = [g for g in decisive if g.mark] or [g for g in src.groups if g.mark]
    if marked:
        src.mark = max(marked, key=lambda g: g.messages).mark
    _diagnose(src, policy_domain, adkim, aspf)
    if src.mark:
        m = src.mark
        when = f" on {m.marked_at:%Y-%m-%d}" if m.marked_at else ""
        src.problems.insert(0, f"Marked {m.label} by {m.marked_by or 'the operator'}{when} (the {m.target}).")
        if not m.ours and src.category == ALIGNED:
            src.fixes.append(
                "It passes DMARC although it is not yours: someone sends through a service you have "
                "authorised. Remove it from your SPF record and revoke its DKIM key."
            )


# ---------------------------------------------------------------- diagnosis


def _fmt(n: int) -> str:
    return f"{n:,}"


def _diagnose(src: SenderSource, policy_domain: str, adkim: str, aspf: str) -> None:
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
                f"{_fmt(src.failing)} of its {_fmt(src.messages)} messages failed: too few to act on."
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


def _strict_spf_fix(sender: Sender | None, short: str) -> str:
    return (
        f"Your record says aspf=s, so {short}'s MAIL FROM subdomain can never align: remove aspf=s, or rely "
        f"on aligned DKIM ({short} signing with your domain), which relaxed DKIM alignment accepts whatever "
        "the MAIL FROM."
    )


def _diagnose_misconfigured(
    src: SenderSource, groups: list[Group], policy_domain: str, adkim: str, aspf: str
):
    sender = src.sender
    short = sender.short if sender else "this sender"
    own = org_domain(policy_domain)
    problems, fixes = [], []

    def fix(text):
        if text and text not in fixes:
            fixes.append(text)

    spf = {(d, r) for g in groups for d, sc, r in g.spf if sc in ("", "mfrom")}
    dkim = {(d, s, r) for g in groups for d, s, r in g.dkim}
    spf_problem = dkim_problem = ""
    # A custom MAIL FROM is a subdomain: under aspf=s it never aligns, so the usual SPF fix cannot work.
    needs_subdomain = aspf == "s" and (sender is None or sender.mail_from_subdomain) and sender is not OWN
    for d, r in sorted(spf):
        if r == "pass" and d and org_domain(d) != own:
            spf_problem = f"SPF passes for {d}, which is not your domain"
            if needs_subdomain:
                spf_problem += (
                    ", and your record's aspf=s blocks SPF alignment: the custom MAIL FROM domain that would "
                    "align it is a subdomain, which strict SPF alignment never accepts"
                )
                fix(_strict_spf_fix(sender, short))
            else:
                fix(
                    sender.spf_fix
                    if sender
                    else "Use a MAIL FROM (return-path) domain under your own domain."
                )
        elif r == "pass" and d and org_domain(d) == own and aspf == "s":
            spf_problem = f"SPF passes for {d}, a subdomain, but your record asks for strict SPF alignment"
            fix(_strict_spf_fix(sender, short))
        elif r in ("permerror", "temperror"):
            spf_problem = f"SPF gives {r} for {d}" + (
                " (a broken SPF record: see the DNS checks)" if r == "permerror" else ""
            )
        elif d and org_domain(d) == own and r != "pass":
            spf_problem = f"SPF {r or 'fails'} for {d}: {short} is not in its SPF record"
            fix(sender.spf_fix if sender else "Add this source to your SPF record.")
        if spf_problem:
            break
    if not spf_problem and not spf:
        spf_problem = "There is no SPF result"
    passing_dkim = [(d, s) for d, s, r in sorted(dkim) if r == "pass"]
    if any(org_domain(d) == own for d, _ in passing_dkim) and adkim == "s":
        d = next(d for d, _ in passing_dkim if org_domain(d) == own)
        dkim_problem = f"DKIM is signed by {d}, a subdomain, but your record asks for strict DKIM alignment"
        fix(
            f"Your record says adkim=s; {short} signs with {d}, which can then never align — remove adkim=s, "
            f"or have {short} sign with {own} itself."
        )
    elif passing_dkim:
        dkim_problem = f"DKIM is signed d={passing_dkim[0][0]}, not your domain"
        fix(sender.dkim_fix if sender else "Sign this mail with a DKIM key of your own domain.")
    else:
        broken = [(d, s) for d, s, r in sorted(dkim) if org_domain(d) == own]
        if broken:
            d, s = broken[0]
            dkim_problem = f"the DKIM signature of {d} (selector {s or 'unknown'}) fails"
            fix(f"Check the key published at {s or '<selector>'}._domainkey.{d} against {short}'s settings.")
        else:
            dkim_problem = "there is no DKIM signature"
            fix(sender.dkim_fix if sender else "Sign this mail with a DKIM key of your own domain.")
    who = sender.name if sender else "This source"
    problems.append(f"{who}: {spf_problem}, and {dkim_problem}.")
    if sender and sender is not OWN:
        fixes.append(
            f"If you do not use {sender.name}, this is someone else's account sending as your domain."
        )
    src.problems.extend(problems)
    src.fixes.extend(fixes)


# ---------------------------------------------------------------- readiness


@dataclass
class Check:
    code: str
    ok: bool
    message: str
    blocking: bool = True


@dataclass
class Impact:
    messages_per_day: float
    by_category: dict[str, float]

    def as_json(self) -> dict:
        return {"messages_per_day": self.messages_per_day, "by_category": self.by_category}


def relying(groups: list[Group], sources: list[SenderSource], kind: str, domain: str) -> list[str]:
    """Names of the senders that need relaxed alignment (kind spf or dkim): their mail aligns only under it
    (a MAIL FROM or DKIM domain that is a subdomain), or, for SPF, their fix is a custom MAIL FROM, which
    is always a subdomain (`mail_from_subdomain` senders whose SPF is not aligned yet)."""
    by_ip = {s.ip: s for s in sources}
    names = set()
    for g in groups:
        spf, dkim = strict_only(g, "s", "s")
        hit = spf if kind == "spf" else dkim
        if hit:
            src = by_ip.get(g.ip)
            names.add(src.service if src and src.service else f"the source {g.ip}")
    if kind == "spf":
        own = org_domain(domain)
        for src in sources:
            if src.category != MISCONFIGURED or not src.sender or not src.sender.mail_from_subdomain:
                continue
            if not any(g.spf_verdict == "pass" or _own_spf_pass(g, own) for g in src.groups):
                names.add(src.service)
    return sorted(names)


def _own_spf_pass(g: Group, own: str) -> bool:
    return any(r == "pass" and d and org_domain(d) == own for d, sc, r in g.spf if sc in ("", "mfrom"))


def next_stage(rec: lint.DmarcRecord, stage: str, no_record: bool) -> str | None:
    if no_record and not rec.raw and stage == "none":
        return "none"  # first publish a monitoring record
    if rec.testing or rec.pct < 100:
        return stage  # finish the current stage first: drop t=y / pct
    if stage == "reject":
        return None
    return STAGES[STAGES.index(stage) + 1]


def impact(groups: list[Group], days: int) -> dict[str, Impact]:
    by_category = dict.fromkeys(FAILING, 0)
    for g in groups:
        if not g.passes:
            by_category[g.category] += g.messages
    per_day = {c: round(n / days, 1) for c, n in by_category.items()}
    total = round(sum(by_category.values()) / days, 1)
    # The same messages: quarantine sends them to spam, reject bounces them.
    return {
        "quarantine": Impact(total, dict(per_day)),
        "reject": Impact(total, dict(per_day)),
    }


def checks(problems, sources, reporters, days_with_data, end, no_record, dmarc):
    checks = []
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        checks.append(
            Check("record", False, "The DMARC record has problems: " + " ".join(p.message for p in errors))
        )
    else:
        checks.append(Check("record", True, "The DMARC record has no errors."))

    total = sum(s.messages for s in sources)
    if not total:
        checks.append(Check("data", False, "There are no reports in this window: nothing to judge by yet."))

    misconfigured = [s for s in sources if s.category == MISCONFIGURED]
    if misconfigured:
        # One entry per service: its addresses are one fix, not one fix each.
        services: dict[str, list[SenderSource]] = {}
        for s in misconfigured:
            services.setdefault(s.service or s.ip, []).append(s)
        entries = []
        for name, members in list(services.items())[:5]:
            first = members[0].ip + (f" and {len(members) - 1} more" if len(members) > 1 else "")
            entries.append(f"{name} ({first}, {_fmt(sum(m.messages for m in members))} messages)")
        more = f" and {len(services) - 5} more" if len(services) > 5 else ""
        checks.append(
            Check(
                "unaligned",
                False,
                f"{len(misconfigured)} legitimate source{'s' if len(misconfigured) > 1 else ''}"
                f" still not aligned: {', '.join(entries)}{more}.",
            )
        )
    elif total:
        checks.append(Check("unaligned", True, "Every legitimate source is aligned."))

    legit = sum(s.by_category[ALIGNED] + s.by_category[MISCONFIGURED] for s in sources)
    aligned = sum(s.by_category[ALIGNED] for s in sources)
    share = aligned / legit if legit else None
    if share is not None:
        ok = share >= ALIGNED_SHARE
        checks.append(
            Check(
                "share",
                ok,
                f"{decision.pct_text(share, ALIGNED_SHARE)} of legitimate mail is aligned "
                f"(at least {ALIGNED_SHARE:.0%} needed).",
            )
        )

    since = end - timedelta(days=NEW_SOURCE_DAYS - 1)
    newest: dict[str, tuple[date, SenderSource]] = {}
    for s in sources:
        if s.legitimate and s.first_seen:
            key = s.service or s.ip
            if key not in newest or s.first_seen < newest[key][0]:
                newest[key] = (s.first_seen, s)
    new = sorted((first, key) for key, (first, _) in newest.items() if first >= since)
    if new:
        listed = ", ".join(f"{key} (first seen {first.isoformat()})" for first, key in new[:5])
        checks.append(
            Check(
                "new-source",
                False,
                f"New legitimate sender in the last {NEW_SOURCE_DAYS} days: {listed}. "
                f"Wait until {NEW_SOURCE_DAYS} days pass without a new one, so that rare senders show up.",
            )
        )
    elif total:
        checks.append(
            Check("new-source", True, f"No new legitimate sender in the last {NEW_SOURCE_DAYS} days.")
        )

    ok = reporters >= MIN_REPORTERS and days_with_data >= MIN_DAYS
    checks.append(
        Check(
            "coverage",
            ok,
            f"Reports from {reporters} reporter{'s' if reporters != 1 else ''} on "
            f"{days_with_data} day{'s' if days_with_data != 1 else ''} "
            f"(at least {MIN_REPORTERS} reporters and "
            f"{MIN_DAYS} days needed).",
        )
    )
    return checks, share


def advice(code: str, text: str) -> Check:
    """Advice beside the go/no-go checks: neither passed nor failed (null in `rollout --json`)."""
    return Check(code, True, text, blocking=False)


def notes(rec, stage, next_stage, impact, problems) -> list[Check]:
    notes = []
    for p in problems:
        if p.code in ("strict-spf", "strict-dkim"):
            tag = "aspf=s" if p.code == "strict-spf" else "adkim=s"
            notes.append(advice(f"drops-{tag[:-2]}", f"The next record drops {tag}: {p.message}"))
    forwarded = impact["reject"].by_category.get(FORWARDED, 0)
    unknown = impact["reject"].by_category.get(UNKNOWN, 0)
    if unknown:
        notes.append(
            advice(
                "spoofing-stopped",
                f"{unknown:g} messages a day from unknown sources would be stopped: most likely spoofing.",
            )
        )
    if next_stage in ("quarantine", "reject") and next_stage != stage:
        lower = STAGES[STAGES.index(next_stage) - 1]
        notes.append(
            advice(
                "ease-in",
                "To ease in, publish the next record with t=y first (RFC 9989 test mode): "
                f"receivers that follow RFC 9989 then apply p={lower} "
                f"and report what p={next_stage} would do; "
                "older receivers ignore t= "
                "(they read pct= instead, which RFC 9989 made obsolete). Remove t=y after a week or two.",
            )
        )
    if rec.testing or rec.pct < 100:
        notes.append(
            advice(
                "partial-step",
                "The record is in a partial step (t=y or pct<100); "
                f"the next record applies p={stage} to all mail.",
            )
        )
    if next_stage == "reject" and forwarded:
        notes.append(
            advice(
                "forwarded-rejected",
                f"{forwarded:g} forwarded messages a day would be rejected where receivers do not trust ARC. "
                "RFC 9989 "
                "advises against p=reject for domains whose users write to mailing lists.",
            )
        )
    return notes


def next_record(rec: lint.DmarcRecord, policy: str, domain: str, problems: list) -> str:
    """The record to publish for `policy`, keeping the operator's reporting and alignment choices."""
    tags = rec.tags
    codes = {p.code for p in problems}
    parts = ["v=DMARC1", f"p={policy}"]
    for tag in ("sp", "np"):
        if tags.get(tag, "").lower() in lint.POLICIES:
            parts.append(f"{tag}={tags[tag].lower()}")
    if tags.get("psd", "").lower() in ("y", "n"):
        parts.append(f"psd={tags['psd'].lower()}")
    # Strict alignment that breaks a sender goes; otherwise the operator's choice stays.
    if rec.adkim == "s" and "strict-dkim" not in codes:
        parts.append("adkim=s")
    if rec.aspf == "s" and "strict-spf" not in codes:
        parts.append("aspf=s")
    if "fo" in tags and "invalid-fo" not in codes:
        parts.append(f"fo={tags['fo']}")
    rua = ",".join(a.uri for a in rec.rua) or f"mailto:dmarc-reports@{domain}"
    parts.append(f"rua={rua}")
    if rec.ruf:
        parts.append("ruf=" + ",".join(a.uri for a in rec.ruf))
    return "; ".join(parts)


# ---------------------------------------------------------------- by service


@dataclass
class ServiceRow:
    """Sources of one service in one category, or unidentified sources of one network (AS)."""

    key: str  # sender id, or "network:<asn>" / "network:" for unidentified sources
    name: str
    category: str
    sender: Sender | None = None
    network: Network | None = None
    by_network: bool = False
    sources: list[SenderSource] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return sum(s.messages for s in self.sources)

    @property
    def lead(self) -> SenderSource:
        """The busiest source: its diagnosis speaks for the row (the same service, the same fix)."""
        return self.sources[0]

    @property
    def problems(self) -> list[str]:
        return self.lead.problems

    @property
    def fixes(self) -> list[str]:
        return self.lead.fixes


def by_service(sources: list[SenderSource]) -> list[ServiceRow]:
    """One row per (category, service); sources without a service fold into one row per network, so that
    thousands of spoofing addresses take a few rows. Busiest rows first within each category."""
    rows: dict[tuple[str, str], ServiceRow] = {}
    for s in sorted(sources, key=lambda s: (-s.messages, s.ip)):
        if s.sender:
            key = s.sender.id
            row = rows.setdefault(
                (s.category, key), ServiceRow(key, s.sender.name, s.category, sender=s.sender)
            )
        else:
            key = f"network:{s.network.asn if s.network else ''}"
            name = s.network.label if s.network else "Unknown network"
            row = rows.setdefault((s.category, key), ServiceRow(key, name, s.category, network=s.network))
        row.sources.append(s)
    for row in rows.values():
        row.by_network = all(s.by_network for s in row.sources)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(rows.values(), key=lambda r: (order[r.category], -r.messages, r.name))
