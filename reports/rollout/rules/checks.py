"""Whether a domain is ready for its next stage: the go/no-go checks, the impact of the next stage on
failing mail, and the advice beside them (see reports.rollout.rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reports.rollout import decision, lint
from reports.rollout.rules.classification import AssessedSource, Group, strict_only
from reports.shared.names import org_domain
from reports.shared.vocabulary import (
    ALIGNED,
    ALIGNED_SHARE,
    FAILING,
    FORWARDED,
    MIN_DAYS,
    MIN_REPORTERS,
    MISCONFIGURED,
    NEW_SOURCE_DAYS,
    STAGES,
    UNKNOWN,
)


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


def relying(groups: list[Group], sources: list[AssessedSource], kind: str, domain: str) -> list[str]:
    """Names of the senders whose legitimate mail fails DMARC because of strict alignment (kind spf or
    dkim): their SPF or DKIM domain is a subdomain that aligns only under relaxed alignment, and nothing
    else aligns, so the reporters saw DMARC fail. A strict tag that a sender passes anyway (SES with
    Easy DKIM and a custom MAIL FROM under aspf=s: its DKIM aligns) blocks nothing."""
    by_ip = {s.ip: s for s in sources}
    names = set()
    for g in groups:
        if g.passes:
            continue
        spf, dkim = strict_only(g, "s", "s")
        hit = spf if kind == "spf" else dkim
        src = by_ip.get(g.ip)
        if hit and src and src.category != UNKNOWN:
            names.add(src.service or f"the source {g.ip}")
    return sorted(names)


def strict_spf_limits(sources: list[AssessedSource], domain: str) -> list[str]:
    """Misconfigured senders whose SPF fix would be a custom MAIL FROM, which is always a subdomain and
    so never aligns under aspf=s. Their DKIM can still align, which comes first anyway: advice, not a
    blocker."""
    own = org_domain(domain)
    names = set()
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
        services: dict[str, list[AssessedSource]] = {}
        for s in misconfigured:
            services.setdefault(s.service or s.ip, []).append(s)
        entries = []
        for name, members in list(services.items())[:5]:
            first = members[0].ip + (f" and {len(members) - 1} more" if len(members) > 1 else "")
            entries.append(f"{name} ({first}, {sum(m.messages for m in members):,} messages)")
        more = f" and {len(services) - 5} more" if len(services) > 5 else ""
        # Counted by sender, as they are named: two services on three addresses are two to fix.
        n, ips = len(services), len(misconfigured)
        counted = f"{n} legitimate sender{'s' if n > 1 else ''} ({ips} address{'es' if ips > 1 else ''})"
        checks.append(Check("unaligned", False, f"{counted} still not aligned: {', '.join(entries)}{more}."))
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
    newest: dict[str, tuple[date, AssessedSource]] = {}
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
                f"The steps to p={next_stage} start with a trial for every receiver: t=y makes it one for "
                f"RFC 9989 receivers (they apply p={lower}), pct=0 one for RFC 7489 receivers, which ignore "
                f"t= (p={next_stage} alone would be applied in full by them). pct then rises step by step "
                "for RFC 7489 receivers; RFC 9989 receivers apply the full policy when t=y goes, "
                "at the last step.",
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


def spf_result_mismatch(sources: list[AssessedSource], domain: str, spf_record: str) -> list[Check]:
    """Reporters that saw SPF softfail for the domain while its record ends in -all (a hard fail): the
    diagnosis would otherwise contradict the record on the same page, so say why they differ."""
    terms = spf_record.lower().split()
    if not terms or terms[-1] != "-all":
        return []
    names = sorted(
        {
            s.service or s.ip
            for s in sources
            for g in s.groups
            for d, sc, r in g.spf
            if r == "softfail" and d == domain and sc in ("", "mfrom")
        }
    )
    if not names:
        return []
    listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return [
        advice(
            "spf-softfail-vs-fail",
            f"Reporters saw SPF softfail for {domain} from {listed}, but the SPF record ends in -all, which "
            "gives fail. The reports were made with an older record (one that ended in ~all), or the "
            "receiver evaluated a different record (one of an include, or a cached copy). Either way the fix "
            "is the same: the sender is not in the SPF record, and DKIM alignment fixes it better.",
        )
    ]
