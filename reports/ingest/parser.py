"""Streaming reader for DMARC aggregate reports (RFC 7489 Appendix C, RFC 9990, older drafts).

`parse()` returns as soon as the report's header (report_metadata, policy_published) is known;
the records are then read lazily, one at a time, so a report of any size is read in flat memory.
Finished elements are dropped from the tree in batches.

Tolerant where real reporters deviate from the schema: elements are matched by local
name, whatever the namespace, unknown elements are skipped, enumerated words are lower-cased,
domains normalised (lower case, no trailing dot), IPs normalised. Repairs that change what the
report says are noted in `ParsedReport.warnings`.

Strict where a report would be stored wrongly: no report_id, no usable date range, no policy
domain that can be derived, a count that is not a whole number in range, an unreadable IP.

Safe: no DTD is accepted at all (XXE, billion laughs), entities are never resolved, nothing is
loaded from the network, nesting is bounded, and so is the markup outside finished records.

Broken XML: `parse(data)` raises `BrokenXml` (at once or while the records are read); the caller
then starts again with `parse(data, recover=True)`, which uses lxml's recover mode and puts a
warning on the report. Both ReportError and BrokenXml can surface while iterating the records,
so a caller must treat the report as failed until the iterator is exhausted.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from typing import BinaryIO

from lxml import etree

from reports.ingest.errors import LimitExceeded, NotDmarc, ReportError
from reports.ingest.report import (
    DkimResult,
    ParsedRecord,
    ParsedReport,
    PolicyPublished,
    Reason,
    ReportHeader,
    SpfResult,
)
from reports.shared.names import domain_name, org_domain

NS_DMARC2 = "urn:ietf:params:xml:ns:dmarc-2.0"
MAX_DEPTH = 20  # a report needs 6 levels (7 with a stray wrapper); anything near 20 is hostile
MAX_COUNT = 2**63 - 1  # PostgreSQL bigint
# Markup ('<' characters) read since the last record without another record ending. A real
# record has ~60 and a header ~50; this bounds what an element bomb outside records can build.
MAX_MARKUP_OUTSIDE_RECORDS = 200_000
_FLUSH_RECORDS = 512  # finished records kept before they are checked and dropped
_FLUSH_MARKUP = 100_000  # or this much markup, whichever comes first
_MAX_WARNINGS = 50

_SAFE_PARSING = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,  # keeps libxml2's own limits: 256 levels, 10 MB text nodes
    remove_blank_text=True,  # indentation is not data, and building it costs ~10%
    remove_comments=True,
    remove_pis=True,
)
# Only these reach Python; everything else is built (and dropped) in C.
_EVENT_TAGS = ("{*}record", "{*}report_metadata", "{*}policy_published", "{*}version")

_RESOURCE_LIMIT = etree.ErrorTypes.ERR_RESOURCE_LIMIT  # too deep, too big, too many entities
_DTD_MARK = re.compile(rb"<![dDeE]")  # <!DOCTYPE, <!ENTITY in any case; comments are <!-
_ELEMENT_START = re.compile(rb"<[^?!]")  # not a declaration, comment or processing instruction
_RFC9990_FIELDS = ("np", "testing", "discovery_method")


class BrokenXml(ReportError):
    """The XML is not well-formed. Parsing again with recover=True may save it."""

    def __init__(self, detail: str):
        super().__init__(f"The XML is not well-formed: {detail}")
        self.detail = detail


class _LocalNames(dict):
    """Maps an element's tag (`name` or `{namespace}name`) to the local name if we know it,
    else None. Filled on first sight so the hot path is one dict lookup."""

    KNOWN = frozenset(
        (
            *("feedback", "version", "extension"),
            *("report_metadata", "org_name", "email", "extra_contact_info", "report_id", "generator"),
            *("date_range", "begin", "end", "error"),
            *("policy_published", "domain", "adkim", "aspf", "p", "sp", "np", "pct", "fo"),
            *("testing", "discovery_method"),
            *("record", "row", "source_ip", "count", "policy_evaluated", "disposition", "dkim", "spf"),
            *("reason", "type", "comment", "identifiers", "envelope_to", "envelope_from", "header_from"),
            *("auth_results", "selector", "result", "human_result", "scope"),
        )
    )

    def __missing__(self, tag):
        local = tag.rpartition("}")[2] if isinstance(tag, str) else None
        name = local if local in self.KNOWN else None
        if len(self) < 10_000:  # hostile documents can invent any number of names
            self[tag] = name
        return name


_NAME = _LocalNames({name: name for name in _LocalNames.KNOWN})


class _Guard:
    """The file object lxml reads from. It refuses DTDs before libxml2 sees them, drops a
    BOM and whitespace before the first '<', and counts markup to bound the tree.

    A DTD can only stand in the prolog, before the root element's start tag, so the scan
    for one stops there: the rest of a large report is not searched again for nothing.
    Anything that hides a DTD from this byte scan (UTF-16, say) is caught from lxml's
    docinfo once the root element is parsed (_Reader._check_doctype)."""

    __slots__ = (
        "_read",
        "_tail",
        "_started",
        "_in_prolog",
        "size",
        "markup_since_record",
        "markup_since_flush",
        "seen_report",
    )

    def __init__(self, stream: BinaryIO):
        self._read = stream.read
        self._tail = b""
        self._started = False
        self._in_prolog = True
        self.size = 0  # bytes of content handed to the parser
        self.markup_since_record = 0
        self.markup_since_flush = 0
        self.seen_report = False  # some report element has been parsed

    def read(self, n: int = -1) -> bytes:
        chunk = self._next(n)
        if not self._started:
            chunk = self._skip_leading_space(chunk, n)
        if not chunk:
            return b""
        if self._in_prolog:
            window = self._tail + chunk
            if _DTD_MARK.search(window):
                raise ReportError("DTD / entity declarations are not allowed in a report")
            self._in_prolog = _ELEMENT_START.search(window) is None
            self._tail = chunk[-8:]
        self.size += len(chunk)
        markup = chunk.count(b"<")
        self.markup_since_flush += markup
        self.markup_since_record += markup
        if self.markup_since_record > MAX_MARKUP_OUTSIDE_RECORDS:
            if not self.seen_report:
                raise NotDmarc("This is not a DMARC aggregate report: no report elements in a large document")
            raise LimitExceeded(
                f"The XML has more than {MAX_MARKUP_OUTSIDE_RECORDS:,} tags outside DMARC records "
                "(or inside one record); it is not a report this importer will read"
            )
        return chunk

    def _next(self, n: int) -> bytes:
        chunk = self._read(n)
        if not chunk:
            return b""
        return chunk if isinstance(chunk, bytes) else bytes(chunk)

    def _skip_leading_space(self, chunk: bytes, n: int) -> bytes:
        if chunk.startswith(codecs.BOM_UTF8):
            chunk = chunk[3:]
        while chunk:
            stripped = chunk.lstrip(b" \t\r\n")
            if stripped:
                self._started = True
                return stripped
            chunk = self._next(n)
        return chunk


@lru_cache(maxsize=64)
def _depth_probe(levels: int) -> str:
    """An XPath expression that is true when some element sits `levels` below the context."""
    return "boolean(" + "/".join(["*"] * levels) + ")"


def _depth(el) -> int:
    depth = 1
    parent = el.getparent()
    while parent is not None:
        depth += 1
        parent = parent.getparent()
    return depth


def _check_depth(root) -> None:
    if root is not None and root.xpath(_depth_probe(MAX_DEPTH)):
        raise LimitExceeded(f"The XML is nested more than {MAX_DEPTH} elements deep")


@lru_cache(maxsize=4096)
def _canonical_ip(text: str) -> str:
    return ipaddress.ip_address(text).compressed


def _ip(text: str | None, n: int) -> str:
    """The address as ipaddress.ip_address(text).compressed, quickly.

    inet_pton/inet_ntop do the common cases in C and agree with the ipaddress module except
    for IPv4 written inside IPv6 (they print ::ffff:1.2.3.4), which goes the slow way.
    """
    t = text.strip() if text else ""
    if not t:
        raise ReportError(f"Record {n} has no source_ip")
    family = socket.AF_INET6 if ":" in t else socket.AF_INET
    try:
        canonical = socket.inet_ntop(family, socket.inet_pton(family, t))
    except (OSError, ValueError):
        canonical = ""
    if canonical and (family == socket.AF_INET or "." not in canonical):
        return canonical
    try:
        return _canonical_ip(t)
    except ValueError:
        raise ReportError(f"Record {n}: source_ip {t[:60]!r} is not an IP address") from None


def _count(text: str | None, n: int) -> int:
    t = text.strip() if text else ""
    if t.isdigit() and t.isascii() and len(t) < 20:
        value = int(t)
    elif not t:
        raise ReportError(f"Record {n} has no count")
    elif t[0] == "-" and t[1:].strip().isdigit():
        raise ReportError(f"Record {n}: count {t[:40]} is negative")
    else:
        whole, dot, frac = t.partition(".")
        if not (whole.isdigit() and whole.isascii() and (not dot or frac.strip("0") == "")):
            raise ReportError(f"Record {n}: count {t[:40]!r} is not a whole number")
        # Python refuses to convert more than 4300 digits; anything past 19 is too large anyway.
        value = int(whole) if len(whole) < 20 else MAX_COUNT + 1
    if value > MAX_COUNT:
        raise ReportError(f"Record {n}: count {t[:40]} is too large (more than 2^63-1)")
    return value


def _epoch(text: str | None, what: str) -> datetime:
    t = text.strip() if text else ""
    if not t:
        raise ReportError(f"The report's date range has no {what}")
    whole, dot, frac = t.partition(".")  # fractions of a second (".0") are dropped
    if not (whole.isdigit() and whole.isascii() and (not dot or frac.isdigit() and frac.isascii())):
        raise ReportError(f"The report's date range {what} {t[:40]!r} is not a time in epoch seconds")
    try:
        return datetime.fromtimestamp(int(whole), UTC)
    except (OverflowError, OSError, ValueError):
        raise ReportError(f"The report's date range {what} {t[:40]!r} is out of range") from None


def _text(el) -> str:
    t = el.text
    return t.strip() if t else ""


class _Reader:
    """One pass over one document: the header first, then the records, lazily."""

    def __init__(self, source: bytes | BinaryIO, recover: bool):
        if isinstance(source, bytes | bytearray | memoryview):
            source = BytesIO(source)
        self.guard = _Guard(source)
        self.recover = recover
        self.events = etree.iterparse(
            self.guard, events=("end",), tag=_EVENT_TAGS, recover=recover, **_SAFE_PARSING
        )
        self.warnings: list[str] = []
        self.metadata: dict | None = None
        self.policy: PolicyPublished | None = None
        self.version = ""
        self.namespace = ""
        self.records_seen = 0
        self.record_depth = 2  # of the <record> elements: feedback/record
        self.record_parent = None  # their parent, normally <feedback>
        self._policy_fields: dict[str, str] = {}
        self.derived_from = ""  # org domain the policy domain was derived from, if it was
        self.root = None
        self._doctype_checked = False
        self._recovery_noted = False
        # Per document, so that one hostile document cannot fill them for the others.
        self.names = _LocalNames(_NAME)
        self._domains: dict[str | None, str] = {None: ""}
        self._header_froms: dict[str | None, str] = {None: ""}
        self._words: dict[str | None, str] = {None: ""}
        self._ips: dict[str, str] = {}

    # -- warnings ----------------------------------------------------------------------------

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < _MAX_WARNINGS:
            self.warnings.append(message)

    def _note_recovery(self) -> None:
        if self._recovery_noted:
            return
        log = self.events.error_log
        if len(log):
            self._recovery_noted = True
            if any("was recovered" in w for w in self.warnings):
                return  # the caller already said so, with the strict parser's message
            first = log[0]
            self.warn(f"The XML was damaged and was recovered: {first.message} (line {first.line})")

    # -- the element stream ------------------------------------------------------------------

    def elements(self) -> Iterator[tuple[str | None, object]]:
        """(local name, element) for each finished section, in document order. Between two
        items it drops what is finished and enforces the limits."""
        guard = self.guard
        pending = 0
        try:
            for _, el in self.events:
                if not self._doctype_checked:
                    self._check_doctype(el)
                    guard.seen_report = True
                name = self.names[el.tag]
                yield name, el
                if name == "record":
                    guard.markup_since_record = 0
                    pending += 1
                    if (
                        pending >= _FLUSH_RECORDS or guard.markup_since_flush > _FLUSH_MARKUP
                    ) and el.getparent() is self.record_parent:  # not a record nested in something
                        self._flush(el)
                        pending = 0
        except etree.XMLSyntaxError as e:
            raise self._syntax_error(e) from None
        self._finish()

    def _check_doctype(self, el) -> None:
        # The byte scan in _Guard misses a DTD in UTF-16; libxml2 has parsed it by now.
        self._doctype_checked = True
        self.root = el.getroottree().getroot()
        if el.getroottree().docinfo.internalDTD is not None:
            raise ReportError("DTD / entity declarations are not allowed in a report")

    def _flush(self, el) -> None:
        """Drop everything finished before `el`, at every level up to the root. Records were
        walked (and depth-checked) by _record; anything else is checked here before it goes."""
        self.guard.markup_since_flush = 0
        node = el
        depth = _depth(el)
        parent = node.getparent()
        while parent is not None:
            i = parent.index(node)
            if i:
                walked = parent is self.record_parent
                for sibling in parent[:i]:
                    if not (walked and self.names[sibling.tag] == "record"):
                        self._odd(sibling, depth)
                del parent[:i]
            node = parent
            depth -= 1
            parent = node.getparent()

    def _finish(self) -> None:
        root = self.events.root
        if root is None:
            if self.guard.size == 0:
                raise ReportError("The file is empty")
            raise NotDmarc("The file holds no XML elements, so it is not a DMARC report")
        self.root = root
        if root.getroottree().docinfo.internalDTD is not None:
            raise ReportError("DTD / entity declarations are not allowed in a report")
        for entry in self.events.error_log:
            if entry.type == _RESOURCE_LIMIT:
                raise LimitExceeded(f"The XML exceeds a parser safety limit: {entry.message}")
        self._check_unflushed(root)
        if self.recover:
            self._note_recovery()

    def _check_unflushed(self, root) -> None:
        """The depth check for what is left after the last flush: the records there were
        checked while they were walked, so only the other elements need it. An XPath probe
        over the whole remaining tree would cost more than reading those records did."""
        parent = self.record_parent
        if parent is None:
            _check_depth(root)
            return
        path = [parent, *parent.iterancestors()]  # holding the proxies keeps `is` reliable
        depth = len(path)
        for level, node in enumerate(reversed(path), start=1):
            below = path[depth - level - 1] if level < depth else None
            walked = node is parent
            for child in node:
                if child is below or (walked and self.names[child.tag] == "record"):
                    continue
                self._odd(child, level + 1)

    def _syntax_error(self, e: etree.XMLSyntaxError) -> ReportError:
        if self.guard.size == 0:
            return ReportError("The file is empty")
        # e.error_log is lxml's log for the whole thread; the parser's own log is per document.
        if e.code == _RESOURCE_LIMIT or any(x.type == _RESOURCE_LIMIT for x in self.events.error_log):
            return LimitExceeded(f"The XML exceeds a parser safety limit: {e.msg}")
        if self.recover:
            return ReportError(f"The XML is damaged beyond repair: {e}")
        return BrokenXml(str(e))

    # -- header ------------------------------------------------------------------------------

    def _is_top(self, el) -> bool:
        """Whether a section belongs to the report, not to an extension or another section.
        It is normally a child of <feedback>; a stray wrapper (IKEA) may sit above that."""
        parent = el.getparent()
        if parent is None or self.names[parent.tag] == "feedback":
            return True
        while parent is not None:
            if self.names[parent.tag] in ("record", "extension", "report_metadata", "policy_published"):
                return False
            parent = parent.getparent()
        return True

    def _note_namespace(self, tag: str) -> None:
        if not self.namespace and tag[0] == "{":
            self.namespace = tag[1 : tag.index("}")]

    def _read_metadata(self, el) -> None:
        if self.metadata is not None:
            self.warn("The report has more than one <report_metadata>; the first one was used")
            return
        self._note_namespace(el.tag)
        md = {"errors": []}
        for f in el:
            name = self.names[f.tag]
            if name == "date_range":
                for g in f:
                    sub = self.names[g.tag]
                    if sub in ("begin", "end"):
                        md[sub] = g.text
                md["date_range"] = True
            elif name == "error":
                if text := _text(f):
                    md["errors"].append(text)
            elif name is not None:
                md[name] = _text(f)
        self.metadata = md

    def _read_policy(self, el) -> None:
        if self.policy is not None:
            self.warn("The report has more than one <policy_published>; the first one was used")
            return
        self._note_namespace(el.tag)
        values: dict[str, str] = {}
        for f in el:
            name = self.names[f.tag]
            if name is not None:
                values[name] = _text(f)
        policy = PolicyPublished(domain=self.domain(values.get("domain")))
        for key in ("adkim", "aspf"):
            mode = values.get(key, "").lower()
            if mode in ("s", "strict"):
                setattr(policy, key, "s")
            elif mode not in ("", "r", "relaxed"):
                self.warn(f"policy_published {key} {mode[:20]!r} is not r or s; relaxed alignment is used")
        policy.p = self.word(values.get("p"))
        policy.sp = self.word(values.get("sp"))
        policy.np = self.word(values.get("np"))
        policy.fo = values.get("fo", "")
        policy.testing = self.word(values.get("testing"))
        policy.discovery_method = self.word(values.get("discovery_method"))
        pct = values.get("pct", "")
        if pct.isdigit() and pct.isascii() and len(pct) <= 3 and int(pct) <= 100:
            policy.pct = int(pct)
        elif pct:
            self.warn(f"policy_published pct {pct[:20]!r} is not a number from 0 to 100; it was ignored")
        self.policy = policy
        self._policy_fields = values

    def read_header(self) -> tuple[ReportHeader, list[ParsedRecord]]:
        """Read until the header is complete and the first record is in hand (or the end)."""
        self._elements = self.elements()
        early: list[ParsedRecord] = []
        for name, el in self._elements:
            if name == "record":
                if self._is_top(el):
                    self.record_depth = _depth(el)
                    self.record_parent = el.getparent()
                    early.append(self._record(el))
                    if self.metadata is not None and self.policy is not None:
                        break
                    # The header is not complete yet (policy_published after the records, say):
                    # keep what was read until it is, or until the document ends.
            elif name == "report_metadata":
                if self._is_top(el):
                    self._read_metadata(el)
                    if early and self.policy is not None:
                        break
            elif name == "policy_published":
                if self._is_top(el):
                    self._read_policy(el)
                    if early and self.metadata is not None:
                        break
            elif name == "version":
                parent = el.getparent()
                if parent is not None and self.names[parent.tag] == "feedback":
                    self.version = _text(el)
        else:
            self._elements = iter(())
        return self._header(early), early

    def _header(self, early: list[ParsedRecord]) -> ReportHeader:
        md = self.metadata
        if md is None:
            root = self.root if self.root is not None else self.events.root
            local = str(root.tag).rpartition("}")[2] if root is not None else ""
            if self.policy is None and not early and local != "feedback":
                raise NotDmarc(f"This is not a DMARC aggregate report (the XML root element is <{local}>)")
            raise ReportError("The report has no <report_metadata> (reporter, report_id and date range)")
        if self.recover:
            self._note_recovery()

        report_id = md.get("report_id", "")
        if not report_id:
            raise ReportError("The report has no report_id")
        if "date_range" not in md:
            raise ReportError("The report has no date_range")
        begin = _epoch(md.get("begin"), "begin")
        end = _epoch(md.get("end"), "end")
        if begin > end:
            raise ReportError(
                f"The report's date range begins ({begin:%Y-%m-%d %H:%M}) "
                f"after it ends ({end:%Y-%m-%d %H:%M})"
            )

        org_name = md.get("org_name", "")
        email = md.get("email", "")
        if not org_name:
            # The reporter's name is part of the report's identity and of every per-reporter
            # view, so an empty one is filled from the reporter's address where there is one.
            host = email.rpartition("@")[2].strip(" <>").lower()
            if host:
                org_name = host
                self.warn(
                    f"The report has no org_name; the reporter is named after its email domain ({host})"
                )
            else:
                self.warn("The report has no org_name")

        policy = self.policy
        if policy is None:
            policy = self.policy = PolicyPublished(domain="")
            self._policy_fields = {}
            self.warn("The report has no <policy_published>")
        if not policy.domain:
            policy.domain = self._derive_domain(early)
        else:
            name = domain_name(policy.domain)
            if name is None:
                raise ReportError(
                    f"The report's policy domain {policy.domain[:80]!r} is not a valid domain name"
                )
            policy.domain = name

        fields = self._policy_fields
        if (
            self.namespace == NS_DMARC2
            or "generator" in md
            or any(f in fields for f in _RFC9990_FIELDS)
            or self.version.startswith("2")
        ):
            schema = "rfc9990"
        elif self.version:
            schema = "rfc7489"
        else:
            schema = "draft"
        return ReportHeader(
            org_name=org_name,
            email=email,
            extra_contact_info=md.get("extra_contact_info", ""),
            report_id=report_id,
            begin=begin,
            end=end,
            policy=policy,
            version=self.version,
            generator=md.get("generator", ""),
            errors=md["errors"],
            schema=schema,
        )

    def _derive_domain(self, early: list[ParsedRecord]) -> str:
        """A report without a policy domain is still usable when every record's header_from
        lies under one organizational domain: that is where the policy was looked up. The first
        record decides; each later one is checked while the records are read."""
        first = next((r.header_from for r in early if r.header_from), "")
        if not first:
            raise ReportError(
                "The report names no policy domain, and it cannot be derived: no record has a header_from"
            )
        self.derived_from = org_domain(first)
        for r in early:
            self._check_derived(r)
        self.warn(
            f"The report names no policy domain; {self.derived_from} was derived "
            "from the records' header_from"
        )
        return self.derived_from

    def _check_derived(self, rec: ParsedRecord) -> None:
        if rec.header_from and org_domain(rec.header_from) != self.derived_from:
            raise ReportError(
                "The report names no policy domain, and it cannot be derived: the records' "
                "header_from domains belong to different organizations "
                f"({self.derived_from}, {org_domain(rec.header_from)})"
            )

    # -- records -----------------------------------------------------------------------------

    def records(self, early: list[ParsedRecord]) -> Iterator[ParsedRecord]:
        derived = bool(self.derived_from)
        yield from early
        early.clear()
        is_top = self._is_top
        read = self._record
        last_parent = None
        for name, el in self._elements:
            if name == "record":
                parent = el.getparent()
                if parent is not last_parent:
                    if not is_top(el):
                        continue
                    last_parent = self.record_parent = parent
                    self.record_depth = _depth(el)
                rec = read(el)
                if derived:
                    self._check_derived(rec)
                yield rec
            elif name in ("report_metadata", "policy_published") and self._is_top(el):
                self.warn(f"The report has more than one <{name}>; the first one was used")
        if not self.records_seen:
            self.warn("The report has no records")

    def domain(self, text: str | None) -> str:
        if not text:
            return ""
        d = self._domains.get(text)
        if d is None:
            d = text.strip().lower().rstrip(".")
            if len(self._domains) < 10_000:
                self._domains[text] = d
        return d

    def header_from(self, text: str | None) -> str:
        """A record's header_from in DNS form; "" (with a warning) when it is no domain name."""
        d = domain_name(text)
        if d is None:
            d = ""
            if text and text.strip():
                self.warn(
                    f"A record's header_from {text.strip()[:60]!r} is not a domain name; it was left empty"
                )
        if len(self._header_froms) < 10_000:
            self._header_froms[text] = d
        return d

    def word(self, text: str | None) -> str:
        if not text:
            return ""
        w = self._words.get(text)
        if w is None:
            w = text.strip().lower()
            if len(self._words) < 10_000:
                self._words[text] = w
        return w

    def _odd(self, el, depth: int) -> None:
        """An element we do not read has children: make sure they do not nest too deep.
        `depth` is the element's own depth (the root is 1)."""
        if len(el):
            below = MAX_DEPTH + 1 - depth
            if below <= 1 or el.xpath(_depth_probe(below)):
                raise LimitExceeded(f"The XML is nested more than {MAX_DEPTH} elements deep")

    def _record(self, el) -> ParsedRecord:
        """One <record>, walked child by child: this is the hot path of the whole import.

        Every element is either read or, when unknown or holding children it should not have,
        checked for depth (see _odd), so nothing deep escapes the limit."""
        self.records_seen = n = self.records_seen + 1
        names = self.names
        # Values repeat from record to record (domains, results): normalise each text once.
        dom = self._domains.get
        new_domain = self.domain
        hfrom = self._header_froms.get
        wrd = self._words.get
        new_word = self.word
        odd = self._odd
        d = self.record_depth
        ip = count = None
        disposition = dkim = spf = header_from = envelope_from = envelope_to = ""
        reasons: list[Reason] = []
        dkim_results: list[DkimResult] = []
        spf_results: list[SpfResult] = []
        for section in el[:]:  # a list built in C is about twice as fast as lxml's iterator
            s = names[section.tag]
            if s == "auth_results":
                for result in section[:]:
                    r = names[result.tag]
                    if r == "dkim":
                        d_domain = selector = d_result = human = ""
                        for f in result[:]:
                            if len(f):
                                odd(f, d + 3)
                            t = names[f.tag]
                            if t == "domain":
                                d_domain = dom(v := f.text) or new_domain(v)
                            elif t == "result":
                                d_result = wrd(v := f.text) or new_word(v)
                            elif t == "selector":
                                selector = _text(f)
                            elif t == "human_result":
                                human = _text(f)
                        dkim_results.append(DkimResult(d_domain, selector, d_result, human))
                    elif r == "spf":
                        s_domain = scope = s_result = ""
                        for f in result[:]:
                            if len(f):
                                odd(f, d + 3)
                            t = names[f.tag]
                            if t == "domain":
                                s_domain = dom(v := f.text) or new_domain(v)
                            elif t == "result":
                                s_result = wrd(v := f.text) or new_word(v)
                            elif t == "scope":
                                scope = wrd(v := f.text) or new_word(v)
                        spf_results.append(SpfResult(s_domain, scope, s_result))
                    else:
                        odd(result, d + 2)
            elif s == "row":
                for f in section[:]:
                    t = names[f.tag]
                    if t == "policy_evaluated":
                        for g in f[:]:
                            u = names[g.tag]
                            if u == "reason":
                                self._reason(g, reasons, d + 4)
                                continue
                            if len(g):
                                odd(g, d + 3)
                            if u == "disposition":
                                disposition = wrd(v := g.text) or new_word(v)
                            elif u == "dkim":
                                dkim = wrd(v := g.text) or new_word(v)
                            elif u == "spf":
                                spf = wrd(v := g.text) or new_word(v)
                        continue
                    if len(f):
                        odd(f, d + 2)
                    if t == "source_ip":
                        ip = f.text
                    elif t == "count":
                        count = f.text
            elif s == "identifiers":
                for f in section[:]:
                    if len(f):
                        odd(f, d + 2)
                    t = names[f.tag]
                    if t == "header_from":
                        header_from = hfrom(v := f.text)
                        if header_from is None:
                            header_from = self.header_from(v)
                    elif t == "envelope_from":
                        envelope_from = dom(v := f.text) or new_domain(v)
                    elif t == "envelope_to":
                        envelope_to = dom(v := f.text) or new_domain(v)
            else:
                odd(section, d + 1)
        if not header_from:
            self.warn("Some records have no header_from")
        # A source appears in many records of a report (one per header_from and result).
        source_ip = self._ips.get(ip)
        if source_ip is None:
            source_ip = _ip(ip, n)
            if len(self._ips) < 10_000:
                self._ips[ip] = source_ip
        return ParsedRecord(
            source_ip,
            _count(count, n),
            disposition,
            dkim,
            spf,
            header_from,
            envelope_from,
            envelope_to,
            reasons,
            dkim_results,
            spf_results,
        )

    def _reason(self, el, reasons: list[Reason], depth: int) -> None:
        kind = comment = ""
        for f in el[:]:
            self._odd(f, depth + 1)
            t = self.names[f.tag]
            if t == "type":
                kind = self.word(f.text)
            elif t == "comment":
                comment = _text(f)
        if kind or comment:
            reasons.append(Reason(kind, comment))
        else:
            self.warn("Empty <reason> elements were ignored")


def parse(source: bytes | BinaryIO, *, recover: bool = False) -> ParsedReport:
    """Read one aggregate report from XML bytes or a binary stream.

    Returns once the header is known; `records` then streams the rest of the document. Raises
    ReportError (NotDmarc, LimitExceeded, BrokenXml) here or while the records are read.
    """
    reader = _Reader(source, recover)
    header, early = reader.read_header()
    return ParsedReport(header=header, records=reader.records(early), warnings=reader.warnings)
