"""Record linting: a domain's DMARC, SPF and DKIM records, read and checked.

Everything here works on plain text and a `resolve(name, rdtype) -> Answer`
callable (reports.rollout.resolve gives the real ones), so the rules are tested
with plain data, without a database or a DNS server.

Rules (RFC 7489 §6.3-6.4, RFC 9989): the record lives at `_dmarc.<domain>`;
multi-string TXT records are joined; records not starting with `v=DMARC1` are
ignored; with more than one DMARC record none applies. pct, rf and ri are
obsolete in RFC 9989, which adds np, psd and t. A report address on another
organizational domain must be authorized by `<domain>._report._dmarc.<host>`.
SPF (RFC 7208) allows one `v=spf1` record and at most 10 DNS-querying terms.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from reports.shared.names import org_domain

# Errors an Answer can carry. NXDOMAIN and NODATA are answers, not failures.
NXDOMAIN = "nxdomain"
NODATA = "nodata"

SPF_LOOKUP_LIMIT = 10
MAX_REPORT_ADDRESSES = 2


@dataclass
class Answer:
    name: str
    rdtype: str
    records: list[str] = field(default_factory=list)  # TXT joined and decoded; names without the dot
    error: str = ""  # "", nxdomain, nodata, or a failure such as "timeout"
    ttl: int = 0
    fetched: datetime | None = None

    @property
    def failed(self) -> bool:
        """The DNS could not say (timeout, SERVFAIL): nothing is known about the name."""
        return bool(self.error) and self.error not in (NXDOMAIN, NODATA)


Resolve = Callable[[str, str], Answer]


@dataclass
class Problem:
    code: str
    severity: str  # error: receivers ignore or misread something; warning: works, but should change
    message: str

    def as_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message}


# ---------------------------------------------------------------- DMARC

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
        else:
            problems.append(
                Problem(
                    "obsolete-pct",
                    "warning",
                    "pct is obsolete in RFC 9989: receivers that follow it "
                    "apply the policy to all failing mail. Use t=y to test a stricter policy instead.",
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
) -> list[Problem]:
    """Problems that need the reports: p=none kept for long, and strict alignment that breaks senders.

    `relaxed_spf`/`relaxed_dkim` name the senders that need relaxed alignment:
    their MAIL FROM or DKIM domain is a subdomain, or their fix (a custom MAIL
    FROM) will be one.
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
                f"aspf=s blocks SPF alignment for {', '.join(relaxed_spf)}: their MAIL FROM domain is (or, "
                "once set up as a custom MAIL FROM, will be) a subdomain, which only aligns under relaxed "
                "alignment. Remove aspf=s, or rely on aligned DKIM for them (such as SES's Easy DKIM).",
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


NONE_FOREVER_DAYS = 90


# ---------------------------------------------------------------- SPF

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


# ---------------------------------------------------------------- DKIM


@dataclass
class DkimKey:
    selector: str
    domain: str
    record: str = ""
    bits: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def found(self) -> bool:
        return bool(self.record)


def check_dkim(selectors: list[tuple[str, str]], resolve: Resolve) -> list[DkimKey]:
    """Look up the key for each (selector, signing domain) seen in reports."""
    keys = []
    for selector, domain in selectors:
        key = DkimKey(selector, domain.rstrip(".").lower())
        answer = resolve(key.name, "TXT")
        texts = [t for t in answer.records if "p=" in t.replace(" ", "")]
        if answer.failed:
            key.problems.append(
                Problem("lookup-failed", "warning", f"Could not look up {key.name} ({answer.error}).")
            )
        elif not texts:
            key.problems.append(
                Problem("no-key", "error", f"No DKIM key at {key.name}: signatures with s={selector} fail.")
            )
        else:
            key.record = texts[0]
            tags = dict(
                (k.strip().lower(), v.strip())
                for k, _, v in (t.partition("=") for t in key.record.split(";") if "=" in t)
            )
            data = re.sub(r"\s+", "", tags.get("p", ""))
            if not data:
                key.problems.append(Problem("revoked", "error", f"The key at {key.name} is empty (revoked)."))
            elif tags.get("k", "rsa").lower() == "rsa":
                try:
                    key.bits = _rsa_bits(base64.b64decode(data, validate=True))
                except ValueError:
                    key.problems.append(
                        Problem("bad-key", "error", f"The key at {key.name} is not valid base64.")
                    )
                if key.bits and key.bits < 1024:
                    key.problems.append(
                        Problem(
                            "weak-key",
                            "error",
                            f"{key.bits}-bit RSA key: receivers ignore keys under 1024 bits. Use 2048.",
                        )
                    )
                elif key.bits and key.bits < 2048:
                    key.problems.append(Problem("short-key", "warning", f"{key.bits}-bit RSA key: use 2048."))
        keys.append(key)
    return keys


def _rsa_bits(der: bytes) -> int | None:
    """The modulus size of an RSA SubjectPublicKeyInfo (or bare RSAPublicKey), read from the DER."""

    def read(pos):
        tag = der[pos]
        length = der[pos + 1]
        pos += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(der[pos : pos + n], "big")
            pos += n
        return tag, pos, length

    try:
        tag, pos, _ = read(0)  # SEQUENCE
        tag, inner, length = read(pos)
        pos = inner
        if tag == 0x30:  # SPKI: AlgorithmIdentifier, then BIT STRING holding RSAPublicKey
            tag, pos, length = read(inner + length)
            tag, pos, _ = read(pos + 1)  # skip the unused-bits byte; RSAPublicKey SEQUENCE
            tag, pos, length = read(pos)
        if tag != 0x02:
            return None
        modulus = der[pos : pos + length].lstrip(b"\x00")
        return len(modulus) * 8
    except IndexError:
        return None


# ---------------------------------------------------------------- one domain


@dataclass
class Inspection:
    dmarc: DmarcCheck
    spf: SpfCheck
    dkim: list[DkimKey]


def inspect(domain: str, resolve: Resolve, selectors: list[tuple[str, str]] = ()) -> Inspection:
    return Inspection(
        check_dmarc(domain, resolve), check_spf(domain, resolve), check_dkim(list(selectors), resolve)
    )
