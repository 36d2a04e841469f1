"""The DMARC record of a domain: parsed, its tags checked, its report addresses authorized (RFC 7489
§6.3-6.4, RFC 9989)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from reports.rollout.lint.problems import Problem
from reports.shared.dns import Resolve
from reports.shared.names import org_domain

MAX_REPORT_ADDRESSES = 2
# p=none kept longer than this many days is worth a word.
NONE_FOREVER_DAYS = 90
DMARC_TAGS = {"v", "p", "sp", "np", "pct", "t", "psd", "adkim", "aspf", "fo", "rua", "ruf", "rf", "ri"}
POLICIES = ("none", "quarantine", "reject")
_SIZE = re.compile(r"^\d+[kmgt]?$", re.IGNORECASE)
_ADDRESS = re.compile(r"^[^@\s]+@([a-z0-9-]+(\.[a-z0-9-]+)+)\.?$", re.IGNORECASE)


@dataclass
class ReportAddress:
    uri: str  # as written
    address: str  # local@host, without mailto: and !size
    host: str  # lower-case host part


@dataclass
class DmarcRecord:
    raw: str
    tags: dict[str, str] = field(default_factory=dict)  # lower-case names, in record order
    problems: list[Problem] = field(default_factory=list)
    rua: list[ReportAddress] = field(default_factory=list)
    ruf: list[ReportAddress] = field(default_factory=list)

    @property
    def p(self) -> str:
        # RFC 7489 §6.6.3: without a valid p, a record with rua acts as p=none.
        p = self.tags.get("p", "").lower()
        return p if p in POLICIES else "none"

    @property
    def pct(self) -> int:
        try:
            return max(0, min(100, int(self.tags.get("pct", "100"))))
        except ValueError:
            return 100

    @property
    def testing(self) -> bool:
        return self.tags.get("t", "n").lower() == "y"

    @property
    def adkim(self) -> str:
        return "s" if self.tags.get("adkim", "r").lower() == "s" else "r"

    @property
    def aspf(self) -> str:
        return "s" if self.tags.get("aspf", "r").lower() == "s" else "r"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def is_dmarc(text: str) -> bool:
    return re.match(r"^\s*v\s*=\s*DMARC1\s*(;|$)", text, re.IGNORECASE) is not None


def parse_dmarc(raw: str) -> DmarcRecord:
    """Read one DMARC record and list what is wrong with it, tag by tag."""
    rec = DmarcRecord(raw=raw)
    problems = rec.problems
    parts = [part.strip() for part in raw.split(";")]
    for index, part in enumerate(parts):
        if not part:
            continue
        name, eq, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not eq or not name or not re.fullmatch(r"[a-z0-9_]+", name):
            problems.append(Problem("syntax", "error", f"Cannot read {part!r}: expected tag=value."))
            continue
        if index == 0 and name != "v":
            problems.append(Problem("v-first", "error", "The record must start with v=DMARC1."))
        if name in rec.tags:
            problems.append(
                Problem(
                    "duplicate-tag",
                    "error",
                    f"The tag {name} appears more than once; receivers may reject the whole record.",
                )
            )
            continue
        rec.tags[name] = value
    v = rec.tags.get("v")
    if v is None:
        problems.append(Problem("v-first", "error", "The record has no v=DMARC1 tag."))
    elif v != "DMARC1":
        problems.append(Problem("v-value", "error", f"v must be exactly DMARC1, not {v!r}."))
    _lint_tags(rec)
    return rec


def _lint_tags(rec: DmarcRecord) -> None:
    tags, problems = rec.tags, rec.problems

    def bad(tag, allowed):
        problems.append(Problem(f"invalid-{tag}", "error", f"{tag}={tags[tag]} is not valid: use {allowed}."))

    if "p" not in tags:
        problems.append(
            Problem(
                "no-p",
                "warning",
                "There is no p tag: receivers treat the record as p=none. Write p= explicitly.",
            )
        )
    for tag in ("p", "sp", "np"):
        if tag in tags and tags[tag].lower() not in POLICIES:
            bad(tag, "none, quarantine or reject")
    for tag in ("adkim", "aspf"):
        if tag in tags and tags[tag].lower() not in ("r", "s"):
            bad(tag, "r or s")
    if "t" in tags and tags["t"].lower() not in ("y", "n"):
        bad("t", "y or n")
    if "psd" in tags and tags["psd"].lower() not in ("y", "n", "u"):
        bad("psd", "y, n or u")
    if "pct" in tags:
        if not tags["pct"].isdigit() or not 0 <= int(tags["pct"]) <= 100:
            bad("pct", "a whole number from 0 to 100")
        elif int(tags["pct"]) == 100:
            problems.append(
                Problem(
                    "obsolete-pct", "warning", "pct=100 is the default (and obsolete in RFC 9989): remove it."
                )
            )
        elif tags.get("t", "").lower() != "y":
            # The staging pair is t=y with pct: either alone is a full step for one generation.
            problems.append(
                Problem(
                    "obsolete-pct",
                    "warning",
                    "pct is obsolete in RFC 9989: receivers that follow it ignore it and apply the policy to "
                    "all failing mail. Add t=y beside pct= so that the step is a trial for them too.",
                )
            )
    if "fo" in tags and not all(opt.strip() in ("0", "1", "d", "s") for opt in tags["fo"].split(":")):
        bad("fo", "0, 1, d or s, separated by colons")
    for tag in ("rf", "ri"):
        if tag in tags:
            problems.append(
                Problem(
                    f"obsolete-{tag}", "warning", f"{tag} is obsolete in RFC 9989 and is ignored: remove it."
                )
            )
    if "ri" in tags and not tags["ri"].isdigit():
        bad("ri", "a number of seconds")
    for tag in ("rua", "ruf"):
        if tag in tags:
            addresses = _report_addresses(tag, tags[tag], problems)
            setattr(rec, tag, addresses)
            if len(addresses) > MAX_REPORT_ADDRESSES:
                problems.append(
                    Problem(
                        "too-many-addresses",
                        "warning",
                        f"{tag} lists {len(addresses)} addresses; "
                        f"receivers may send to the first {MAX_REPORT_ADDRESSES} only.",
                    )
                )
    if not rec.rua:
        problems.append(
            Problem(
                "no-rua",
                "error",
                "There is no rua address: no receiver sends you aggregate reports, so "
                "you cannot see what enforcement would break.",
            )
        )
    unknown = [t for t in tags if t not in DMARC_TAGS]
    if unknown:
        problems.append(
            Problem(
                "unknown-tag",
                "warning",
                f"Unknown tag{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(unknown)} {'are' if len(unknown) > 1 else 'is'} ignored by receivers.",
            )
        )


def _report_addresses(tag: str, value: str, problems: list[Problem]) -> list[ReportAddress]:
    addresses = []
    for uri in (u.strip() for u in value.split(",")):
        if not uri:
            continue
        if not uri.lower().startswith("mailto:"):
            problems.append(
                Problem(
                    "not-mailto",
                    "error",
                    f"{tag}: {uri!r} is not a mailto: address; receivers only send "
                    "reports by email (write mailto:dmarc@example.com).",
                )
            )
            continue
        address, _, size = uri[len("mailto:") :].partition("!")
        if size and not _SIZE.match(size):
            problems.append(
                Problem(
                    "bad-size",
                    "error",
                    f"{tag}: the size limit !{size} in {uri!r} is not valid (use e.g. !10m).",
                )
            )
        match = _ADDRESS.match(address)
        if not match:
            problems.append(Problem("bad-address", "error", f"{tag}: {address!r} is not an email address."))
            continue
        addresses.append(ReportAddress(uri, address, match.group(1).lower().rstrip(".")))
    return addresses


@dataclass
class DmarcCheck:
    domain: str
    record: DmarcRecord | None
    found: list[str] = field(default_factory=list)  # every TXT string at _dmarc.<domain>
    problems: list[Problem] = field(default_factory=list)  # includes the record's own problems
    lookup_error: str = ""
    fetched: datetime | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def check_dmarc(domain: str, resolve: Resolve) -> DmarcCheck:
    domain = domain.rstrip(".").lower()
    answer = resolve(f"_dmarc.{domain}", "TXT")
    check = DmarcCheck(domain, None, found=list(answer.records), fetched=answer.fetched)
    if answer.failed:
        check.lookup_error = answer.error
        check.problems.append(
            Problem(
                "lookup-failed",
                "error",
                f"The lookup of _dmarc.{domain} failed ({answer.error}); the record could not be checked.",
            )
        )
        return check
    dmarc = [text for text in answer.records if is_dmarc(text)]
    for text in answer.records:
        if not is_dmarc(text) and "dmarc1" in text.lower():
            check.problems.append(
                Problem("v-first", "error", f"{text!r} is ignored: a DMARC record must start with v=DMARC1.")
            )
    bare = resolve(domain, "TXT")
    if any(is_dmarc(text) for text in bare.records):
        check.problems.append(
            Problem(
                "bare-domain",
                "error" if not dmarc else "warning",
                f"A DMARC record is published on {domain} itself; receivers only look at _dmarc.{domain}.",
            )
        )
    if not dmarc:
        check.problems.append(
            Problem(
                "no-record",
                "error",
                f"There is no DMARC record at _dmarc.{domain}: publish v=DMARC1; p=none; rua=mailto:… first.",
            )
        )
        return check
    if len(dmarc) > 1:
        check.problems.append(
            Problem(
                "several-records",
                "error",
                f"{len(dmarc)} DMARC records are published at "
                f"_dmarc.{domain}; with more than one, receivers apply none of them.",
            )
        )
        return check
    check.record = parse_dmarc(dmarc[0])
    check.problems.extend(check.record.problems)
    check.problems.extend(_authorization_problems(domain, check.record, resolve))
    return check


def _authorization_problems(domain: str, rec: DmarcRecord, resolve: Resolve) -> list[Problem]:
    """An address on another organizational domain needs `<domain>._report._dmarc.<host>` (RFC 7489 §7.1)."""
    problems = []
    own = org_domain(domain)
    checked = set()
    for tag in ("rua", "ruf"):
        for addr in getattr(rec, tag):
            if org_domain(addr.host) == own or addr.host in checked:
                continue
            checked.add(addr.host)
            name = f"{domain}._report._dmarc.{addr.host}"
            answer = resolve(name, "TXT")
            if answer.failed:
                problems.append(
                    Problem(
                        "authorization-unknown",
                        "warning",
                        f"Could not check that {addr.host} accepts reports for {domain} ({answer.error}).",
                    )
                )
            elif not any(is_dmarc(t) for t in answer.records):
                problems.append(
                    Problem(
                        "unauthorized-address",
                        "error",
                        f"{tag} sends reports to {addr.address}, but "
                        f"{addr.host} has not published {name} (TXT v=DMARC1), so receivers will not "
                        "send them there.",
                    )
                )
    return problems


def context_problems(
    rec: DmarcRecord,
    *,
    days_on_none: int | None,
    relaxed_spf: list[str] = (),
    relaxed_dkim: list[str] = (),
    spf_fix_limited: list[str] = (),
) -> list[Problem]:
    """Problems that need the reports: p=none kept for long, and strict alignment that breaks senders.

    `relaxed_spf`/`relaxed_dkim` name the senders whose mail fails DMARC only
    because their MAIL FROM or DKIM domain is a subdomain (an error: the tag
    breaks them); `spf_fix_limited` those whose SPF fix (a custom MAIL FROM)
    would be a subdomain, which aspf=s refuses while their DKIM can still align
    (a warning).
    """
    problems = []
    if rec.p == "none" and days_on_none is not None and days_on_none > NONE_FOREVER_DAYS:
        problems.append(
            Problem(
                "none-forever",
                "warning",
                f"p=none has been in place for {days_on_none} days (since the "
                "first report): monitoring alone protects nothing. Fix the senders and move on to "
                "quarantine.",
            )
        )
    if rec.aspf == "s" and relaxed_spf:
        problems.append(
            Problem(
                "strict-spf",
                "error",
                f"aspf=s blocks SPF alignment for {', '.join(relaxed_spf)}: their MAIL FROM domain is "
                "a subdomain, which only aligns under relaxed alignment, and nothing else of theirs aligns, "
                "so their mail fails DMARC. Remove aspf=s, or rely on aligned DKIM for them "
                "(such as SES's Easy DKIM).",
            )
        )
    elif rec.aspf == "s" and spf_fix_limited:
        problems.append(
            Problem(
                "strict-spf-limits",
                "warning",
                f"Under aspf=s, a custom MAIL FROM (a subdomain) would not align SPF for "
                f"{', '.join(spf_fix_limited)}: align their DKIM instead (SES: Easy DKIM), which aspf=s "
                "does not affect.",
            )
        )
    if rec.adkim == "s" and relaxed_dkim:
        problems.append(
            Problem(
                "strict-dkim",
                "error",
                f"adkim=s blocks DKIM alignment for {', '.join(relaxed_dkim)}: they sign with a subdomain, "
                "which only aligns under relaxed alignment. Remove adkim=s, or have them sign with the "
                "organizational domain itself.",
            )
        )
    return problems
