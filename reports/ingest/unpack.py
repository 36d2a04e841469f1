"""Find the DMARC aggregate reports and SMTP TLS reports inside raw bytes.

Reports arrive as plain XML, gzip, zip, an email (.eml) or a whole mbox, and
these nest (TLS reports are JSON, plain or gzip, in the same containers):
a zip attached to a forwarded email, gzip inside gzip. unpack()
walks all of it and yields one Document per report found, or a Failure for a
part that cannot yield one. The container type is always decided from the
first bytes: reporters mislabel their attachments (a zip sent as
application/gzip), so MIME types and file names only serve as names.

Everything here is hostile-input code: sizes, member counts and nesting are
capped (Limits), gzip is decompressed in bounded steps, and one broken part
never stops the others. Nothing here raises out of unpack(); Document.open()
raises only ReportError subclasses.
"""

from __future__ import annotations

import email
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from typing import BinaryIO, NoReturn, cast

from reports.ingest.errors import LimitExceeded, ReportError
from reports.tlsrpt.parser import looks_like_tlsrpt

MiB = 1024 * 1024

# Enough to see past a BOM, whitespace, a long prolog or mail headers, and
# the most that is decompressed just to find out what a gzip holds.
_HEAD = 64 * 1024
_IN_CHUNK = 64 * 1024  # compressed bytes handed to zlib at a time
_OUT_CHUNK = MiB  # decompressed bytes asked for at a time when reading everything
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # gzip header and trailer, not raw deflate or zlib

_UTF8_BOM = b"\xef\xbb\xbf"
_XML_SPACE = b" \t\r\n"
_REPORT_ROOT = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?feedback[\s>/]")
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
_KNOWN_HEADER = re.compile(
    rb"^(?:from|to|cc|subject|date|received|return-path|delivered-to|message-id|mime-version"
    rb"|content-type|content-transfer-encoding|reply-to|sender|dkim-signature|authentication-results"
    rb"|arc-[a-z-]+|x-[!-9;-~]+):",
    re.IGNORECASE | re.MULTILINE,
)
# A "From " line after a blank line starts the next message of an mbox.
_MBOX_SEPARATOR = re.compile(rb"\n\r?\n(?=From )")


@dataclass(frozen=True)
class Limits:
    max_input: int = 50 * MiB
    max_decompressed: int = 100 * MiB  # per report
    max_zip_members: int = 20
    max_depth: int = 4  # nesting of containers (email > zip > gzip > ...)
    max_mbox_messages: int = 1000
    max_attachments: int = 100  # MIME parts of one email

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(
            max_input=getattr(settings, "DMARC_MAX_INPUT_BYTES", cls.max_input),
            max_decompressed=getattr(settings, "DMARC_MAX_DECOMPRESSED_BYTES", cls.max_decompressed),
            max_zip_members=getattr(settings, "DMARC_MAX_ZIP_MEMBERS", cls.max_zip_members),
            max_depth=getattr(settings, "DMARC_MAX_NESTING", cls.max_depth),
            max_mbox_messages=getattr(settings, "DMARC_MAX_MBOX_MESSAGES", cls.max_mbox_messages),
            max_attachments=getattr(settings, "DMARC_MAX_ATTACHMENTS", cls.max_attachments),
        )


_DEFAULT_LIMITS = Limits()


class _Budget:
    """Decompressed bytes left for one whole input.

    The per-report limit alone lets nested zips of gzip bombs (42.zip style)
    cost hours of CPU: 20 members at each of 4 levels is 160,000 reports of
    up to 100 MiB each. All Documents from one input share this budget.
    """

    __slots__ = ("left", "total")

    def __init__(self, total: int):
        self.total = total
        self.left = total

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise LimitExceeded(f"this input decompresses to more than {_size(self.total)} in total")


@dataclass
class Document:
    """One report document found in the input."""

    member: str | None  # where inside the input, e.g. "message 3 > attachment 'x.xml.gz'"
    data: bytes  # plain XML, or one gzip stream (maybe with stray bytes after it) holding the XML
    gzipped: bool
    limit: int  # max decompressed bytes
    _budget: _Budget | None = field(default=None, repr=False, compare=False)
    # The raw email that carried the report (the innermost one, for a forwarded
    # message/rfc822), whose DKIM signature vouches for it; None for a file.
    envelope: bytes | None = field(default=None, repr=False, compare=False)
    kind: str = "dmarc"  # or "tlsrpt": an SMTP TLS report (JSON)

    def open(self) -> BinaryIO:
        """A readable stream of the XML, decompressed step by step for gzip."""
        if self.gzipped:
            return cast(BinaryIO, _GzipStream(self.data, self.limit, self._budget, tidy=True))
        if len(self.data) > self.limit:
            raise LimitExceeded(_too_big("the report", self.limit))
        return io.BytesIO(self.data)

    def xml_bytes(self) -> bytes:
        with self.open() as stream:
            return stream.read()


@dataclass
class Failure:
    """A part of the input that could not yield a report."""

    member: str | None
    error: str  # shown to users as it is
    status: str = "rejected"  # or "not-dmarc": nothing report-like at all
    data: bytes | None = None  # the part's bytes, kept for reprocessing; None when not read


def sniff(data: bytes) -> str:
    """What the bytes are, from their start: xml, json, gzip, zip, email, mbox or unknown."""
    start = data[:4]
    if start in (b"PK\x03\x04", b"PK\x05\x06"):  # the second is an empty archive
        return "zip"
    if start[:2] == b"\x1f\x8b":
        return "gzip"
    head = data[:_HEAD]
    if _xml_start(head) is not None:
        return "xml"
    if head.removeprefix(_UTF8_BOM).lstrip(_XML_SPACE)[:1] == b"{":
        return "json"
    if head.startswith(b"From "):
        return "mbox"
    if _looks_like_email(head):
        return "email"
    return "unknown"


def unpack(data: bytes, limits: Limits = _DEFAULT_LIMITS) -> Iterator[Document | Failure]:
    """Yield every report document in data, and a Failure for each part that yields none."""
    if len(data) > limits.max_input:
        yield Failure(None, f"the input is {_size(len(data))}, more than the {_size(limits.max_input)} limit")
        return
    if not isinstance(data, bytes):
        data = bytes(data)
    yield from _guard(_Unpacker(limits).dispatch(data, None, 0, "top"), None, data)


class _Unpacker:
    """One walk over one input; `depth` counts the containers entered so far.

    `where` says what holds the part, which decides how quiet to be about
    content that is not a report:
    - "top" and "gzip": the part is all there is, so say what is wrong with it;
    - "zip" and "mail": skip what is not a report or a container (README,
      __MACOSX, text and HTML bodies, signatures); the zip or email says so
      when nothing in it was a report.
    """

    def __init__(self, limits: Limits):
        self.limits = limits
        # Room for a zip full of full-size reports, or an mbox of many small ones.
        self.budget = _Budget(limits.max_decompressed * max(limits.max_zip_members, 20))
        # The emails being walked, innermost last: a Document takes the last as its envelope.
        self.envelopes: list[bytes] = []

    def document(self, member: str | None, data: bytes, gzipped: bool, kind: str = "dmarc") -> Document:
        envelope = self.envelopes[-1] if self.envelopes else None
        return Document(member, data, gzipped, self.limits.max_decompressed, self.budget, envelope, kind)

    def dispatch(
        self, data: bytes, member: str | None, depth: int, where: str
    ) -> Iterator[Document | Failure]:
        kind = sniff(data)
        if kind == "xml":
            # Inside a zip or an email, XML can be anything: an HTML body, an
            # Office document's parts. Only what looks like a report counts there.
            if where in ("top", "gzip") or _looks_like_report(data):
                yield from self.xml(data, member)
        elif kind == "json":
            # As for XML: inside a zip or an email, only JSON that looks like a TLS report counts.
            if where in ("top", "gzip") or looks_like_tlsrpt(data[:_HEAD]):
                yield self.document(member, data, False, "tlsrpt")
        elif kind == "gzip":
            yield from self.gzip(data, member, depth)
        elif kind == "zip":
            yield from self.zip(data, member, depth)
        elif kind == "email":
            yield from self.mail(data, member, depth, report_empty=where != "mail")
        elif kind == "mbox":
            yield from self.mbox(data, member, depth)
        elif where in ("top", "gzip"):
            yield _unknown(data, member, "the input" if where == "top" else "the gzip")

    def nested(self, member: str | None, depth: int, data: bytes | None) -> Failure | None:
        if depth + 1 <= self.limits.max_depth:
            return None
        return Failure(
            member,
            f"containers are nested more than {self.limits.max_depth} deep "
            "(each email, attached message, zip and gzip is one level)",
            data=data,
        )

    def xml(self, data: bytes, member: str | None) -> Iterator[Document | Failure]:
        limit = self.limits.max_decompressed
        if len(data) > limit:
            yield Failure(member, _too_big("the report", limit), data=data)
            return
        yield self.document(member, _tidy_xml(data), False)

    def gzip(self, data: bytes, member: str | None, depth: int) -> Iterator[Document | Failure]:
        if failure := self.nested(member, depth, data):
            yield failure
            return
        limit = self.limits.max_decompressed
        try:
            head, complete = _GzipStream(data, limit, self.budget).head(_HEAD)
        except ReportError as e:
            yield Failure(member, str(e), data=data)
            return
        kind = sniff(head)
        if kind == "xml":
            # Keep it compressed: open() streams it, and it is stored as it is.
            yield self.document(member, data, True)
        elif kind == "json":
            yield self.document(member, data, True, "tlsrpt")
        elif kind in ("gzip", "zip", "email", "mbox"):
            try:
                inner = head if complete else _GzipStream(data, limit, self.budget).readall()
            except ReportError as e:
                yield Failure(member, str(e), data=data)
                return
            yield from self.dispatch(inner, member, depth + 1, "gzip")
        elif not head:
            yield Failure(member, "the gzip is empty: it decompresses to nothing", data=data)
        else:
            yield _unknown(head, member, "the gzip", data=data, complete=complete)

    def zip(self, data: bytes, member: str | None, depth: int) -> Iterator[Document | Failure]:
        if failure := self.nested(member, depth, data):
            yield failure
            return
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = [info for info in archive.infolist() if not info.is_dir()]
        except Exception as e:  # noqa: BLE001 - zipfile raises many kinds of error on damaged archives
            yield Failure(member, f"the zip is damaged ({_reason(e)})", data=data)
            return
        if len(infos) > self.limits.max_zip_members:
            yield Failure(
                member,
                f"the zip holds {len(infos)} files, more than the limit of {self.limits.max_zip_members}",
                data=data,
            )
            return
        found = 0
        for info in infos:
            name = _join(member, _printable(info.filename))
            try:
                content = self.read_member(archive, info)
            except ReportError as e:
                found += 1
                yield Failure(name, str(e))
                continue
            for item in _guard(self.dispatch(content, name, depth + 1, "zip"), name, content):
                found += 1
                yield item
        if not found:
            names = ", ".join(_printable(info.filename) for info in infos[:10]) or "nothing"
            yield Failure(
                member,
                f"no DMARC report found in this zip (it holds: {names})",
                status="not-dmarc",
                data=data,
            )

    def read_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        limit = self.limits.max_decompressed
        name = _printable(info.filename)
        if info.flag_bits & 0x1:
            raise ReportError(f"'{name}' in the zip is encrypted")
        # The declared size is a cheap first check; it can lie, so reading is capped too.
        if info.file_size > limit:
            raise LimitExceeded(_too_big(f"'{name}' in the zip", limit))
        out = io.BytesIO()
        try:
            with archive.open(info) as member:
                while chunk := member.read(_OUT_CHUNK):
                    self.budget.spend(len(chunk))
                    if out.tell() + len(chunk) > limit:
                        raise LimitExceeded(_too_big(f"'{name}' in the zip", limit))
                    out.write(chunk)
        except ReportError:
            raise
        except Exception as e:  # noqa: BLE001 - damaged members raise zlib, bz2, lzma, zipfile and OS errors
            raise ReportError(f"'{name}' in the zip cannot be read ({_reason(e)})") from None
        return out.getvalue()

    def mail(
        self,
        data: bytes | None,
        member: str | None,
        depth: int,
        *,
        message: Message | None = None,
        report_empty: bool = True,
    ) -> Iterator[Document | Failure]:
        """The reports in one email; report_empty=False for messages inside another."""
        if failure := self.nested(member, depth, data):
            yield failure
            return
        if message is None:
            try:
                message = email.message_from_bytes(data, policy=compat32)
            except Exception as e:  # noqa: BLE001 - the stdlib parser is lenient, but not on everything
                yield Failure(member, f"this email cannot be read ({_reason(e)})", data=data)
                return
        parts = list(_mime_leaves(message))
        if len(parts) > self.limits.max_attachments:
            yield Failure(
                member,
                f"the email has {len(parts)} parts, more than the limit of {self.limits.max_attachments}"
                " (DMARC_MAX_ATTACHMENTS): none of them was read",
                data=data,
            )
            return
        self.envelopes.append(data if data is not None else _as_bytes(message))
        try:
            yield from self.mail_parts(message, parts, data, member, depth, report_empty)
        finally:
            self.envelopes.pop()

    def mail_parts(self, message, parts, data, member, depth, report_empty) -> Iterator[Document | Failure]:
        found = 0
        seen: list[str] = []
        leaves = attached = 0
        for part in parts:
            if part.is_multipart():  # message/rfc822 and friends: a whole message inside this one
                for inner in part.get_payload():
                    attached += 1
                    name = _join(member, f"attached message {attached}")
                    raw = _encoded_message(part, inner)
                    if raw is not None:
                        items = self.mail(raw, name, depth + 1, report_empty=False)
                    else:
                        items = self.mail(None, name, depth + 1, message=inner, report_empty=False)
                    for item in _guard(items, name, None):
                        found += 1
                        yield item
                seen.append(part.get_content_type())
                continue
            leaves += 1
            ctype = part.get_content_type()
            filename = _filename(part)
            if filename:
                label = f"attachment '{filename}'"
            else:
                label = f"{'part ' + str(leaves) if message.is_multipart() else 'body'} ({ctype})"
            seen.append(f"{label} ({ctype})" if filename else label)
            name = _join(member, label)
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes) or not payload:
                continue
            kind = sniff(payload)
            if kind in ("email", "mbox"):
                named_as_mail = (filename or "").lower().endswith((".eml", ".mbox", ".mbx"))
                if part.get_content_maintype() != "message" and not named_as_mail:
                    continue
            elif kind == "unknown":
                continue
            for item in _guard(self.dispatch(payload, name, depth + 1, "mail"), name, payload):
                found += 1
                yield item
        if not found and report_empty:
            parts = ", ".join(seen[:10]) + (", ..." if len(seen) > 10 else "")
            yield Failure(
                member,
                f"no DMARC report found in this email (its parts: {parts or 'none'})",
                status="not-dmarc",
                data=data,
            )

    def mbox(self, data: bytes, member: str | None, depth: int) -> Iterator[Document | Failure]:
        # An mbox is a flat list of messages, so it is not a level of nesting itself.
        starts = [0]
        for m in _MBOX_SEPARATOR.finditer(data):
            if len(starts) == self.limits.max_mbox_messages:
                yield Failure(
                    member,
                    f"the mbox holds more than {self.limits.max_mbox_messages} messages"
                    " (DMARC_MAX_MBOX_MESSAGES): none of them was read; split it into smaller files",
                    data=data,
                )
                return
            starts.append(m.end())
        ends = starts[1:] + [len(data)]
        for number, (start, end) in enumerate(zip(starts, ends, strict=True), 1):
            newline = data.find(b"\n", start, end)  # drop the "From " line itself
            message = data[newline + 1 : end] if newline >= 0 else b""
            name = _join(member, f"message {number}")
            yield from _guard(self.mail(message, name, depth), name, message)


class _GzipStream(io.RawIOBase):
    """The content of a gzip, decompressed in bounded steps as it is read.

    zlib.decompressobj accepts what GzipFile rejects: stray bytes after the
    stream (Mimecast). Further gzip members are read on, as gzip(1) does.
    With tidy=True, leading whitespace before the XML is dropped, since lxml
    rejects anything before an XML declaration but a BOM.
    """

    def __init__(self, data: bytes, limit: int, budget: _Budget | None = None, *, tidy: bool = False):
        self._view = memoryview(data)
        self._pos = 0  # input handed to zlib so far
        self._tail = b""  # input zlib has not taken yet, because of max_length
        self._inflate = zlib.decompressobj(_GZIP_WBITS)
        self._first_member = True
        self._eof = False
        self._error: ReportError | None = None
        self._produced = 0
        self._limit = limit
        self._budget = budget
        self._tidy = tidy
        self._pending = b""  # the tidied start of the XML, served first
        self._peeked = b""  # output taken to see whether more follows

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if self._tidy:
            self._tidy = False
            head, _ = self.head(_HEAD)
            self._pending = _tidy_xml(head)
        if self._pending:
            out, self._pending = self._pending[:size], self._pending[size:]
            return out
        return self._inflate_some(size) if size else b""

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        out = io.BytesIO()
        while chunk := self.read(_OUT_CHUNK):
            out.write(chunk)
        return out.getvalue()

    def head(self, size: int) -> tuple[bytes, bool]:
        """Up to size bytes from the start, and whether that is all there is."""
        chunks = []
        got = 0
        while got < size and (chunk := self._inflate_some(size - got)):
            chunks.append(chunk)
            got += len(chunk)
        complete = got < size or not self._inflate_some(0, peek=True)
        return b"".join(chunks), complete

    def _inflate_some(self, size: int, *, peek: bool = False) -> bytes:
        """Up to size bytes, at least one unless at the end; with peek, one byte kept for the next call."""
        if self._error:
            raise self._error
        if self._peeked:
            out, self._peeked = self._peeked, b""
            return out
        while not self._eof:
            if self._tail:
                chunk = self._tail
            elif self._pos < len(self._view):
                chunk = self._view[self._pos : self._pos + _IN_CHUNK]
                self._pos += len(chunk)
            else:
                chunk = b""  # no input left, but zlib may still hold output back
            try:
                out = self._inflate.decompress(chunk, 1 if peek else size)
            except zlib.error as e:
                if not self._first_member:
                    self._eof = True  # junk after a complete first member: ignore it, as gzip(1) does
                    break
                self._fail(ReportError(f"the gzip data is damaged ({e})"))
            self._tail = self._inflate.unconsumed_tail
            if self._inflate.eof:
                self._next_member()
            if out:
                self._count(len(out))
                if peek:
                    self._peeked = out
                return out
            if not chunk and not self._eof:
                if self._first_member:
                    self._fail(ReportError("the gzip data is truncated: the compressed stream ends early"))
                self._eof = True
        return b""

    def _next_member(self) -> None:
        end = self._pos - len(self._inflate.unused_data)
        if self._view[end : end + 2] == b"\x1f\x8b":
            self._inflate = zlib.decompressobj(_GZIP_WBITS)
            self._pos = end
            self._tail = b""
            self._first_member = False
        else:
            self._eof = True

    def _count(self, n: int) -> None:
        self._produced += n
        if self._produced > self._limit:
            self._fail(LimitExceeded(_too_big("the report", self._limit)))
        if self._budget is not None:
            try:
                self._budget.spend(n)
            except LimitExceeded as e:
                self._fail(e)

    def _fail(self, error: ReportError) -> NoReturn:
        self._error = error
        raise error


def _guard(items: Iterator[Document | Failure], member: str | None, data: bytes | None):
    """Turn anything raised while unpacking one part into a Failure for that part."""
    try:
        yield from items
    except ReportError as e:
        yield Failure(member, str(e), data=data)
    except Exception as e:  # noqa: BLE001 - one broken part must never stop the others
        yield Failure(member, f"this part cannot be unpacked ({_reason(e)})", data=data)


def _mime_leaves(message: Message) -> Iterator[Message]:
    """Every part that is not multipart/*, in order; message/* parts come whole."""
    stack = [message]  # not recursion: a hostile email can nest multiparts deeply
    while stack:
        part = stack.pop()
        if part.is_multipart() and part.get_content_maintype() != "message":
            stack.extend(reversed(part.get_payload()))
        else:
            yield part


def _as_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except Exception:  # noqa: BLE001 - an unserialisable message simply cannot be verified
        return b""


def _encoded_message(part: Message, inner: Message) -> bytes | None:
    """The bytes of an attached message sent base64 or quoted-printable, against the RFCs.

    The parser reads such a body as a message without headers whose text is
    still encoded; decoding it gives the real message.
    """
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding not in ("base64", "quoted-printable") or inner.keys() or inner.is_multipart():
        return None
    holder = Message()
    holder.set_payload(inner.get_payload())
    holder["Content-Transfer-Encoding"] = encoding
    decoded = holder.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else None


def _text_encoding(head: bytes) -> tuple[bytes, str | None]:
    """(BOM, UTF-16 codec) of a text's start; codec None for ASCII-compatible encodings."""
    if head.startswith(_UTF8_BOM):
        return _UTF8_BOM, None
    for mark, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(mark):
            return mark, codec
    # UTF-16 without a BOM still starts with '<' (XML 1.0 Appendix F).
    return b"", {b"<\x00": "utf-16-le", b"\x00<": "utf-16-be"}.get(head[:2])


def _xml_start(head: bytes) -> tuple[bytes, int] | None:
    """(BOM, length of the whitespace after it) when head starts like XML, else None."""
    bom, codec = _text_encoding(head)
    body = head[len(bom) :]
    if codec is None:
        rest = body.lstrip(_XML_SPACE)
        return (bom, len(body) - len(rest)) if rest[:1] == b"<" else None
    text = body[: len(body) & ~1].decode(codec, errors="replace")
    rest = text.lstrip(" \t\r\n")
    return (bom, 2 * (len(text) - len(rest))) if rest[:1] == "<" else None


def _tidy_xml(data: bytes) -> bytes:
    """Drop whitespace between the BOM and the first '<', which lxml rejects before <?xml."""
    start = _xml_start(data[:_HEAD])
    if start is None or not start[1]:
        return data
    bom, space = start
    return bom + data[len(bom) + space :]


def _looks_like_report(data: bytes) -> bool:
    """Whether XML has a <feedback> element near its start (an HTML body has not)."""
    head = data[:_HEAD]
    bom, codec = _text_encoding(head)
    if codec is None:
        text = head.decode("latin-1")
    else:
        text = head[len(bom) : len(head) & ~1].decode(codec, errors="replace")
    return _REPORT_ROOT.search(text) is not None


def _looks_like_email(head: bytes) -> bool:
    if not _HEADER_LINE.match(head):
        return False
    headers = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    return _KNOWN_HEADER.search(headers) is not None


def _unknown(
    head: bytes, member: str | None, what: str, *, data: bytes | None = None, complete: bool = False
) -> Failure:
    data = head if data is None else data
    if len(head) <= _HEAD and not head.strip():
        return Failure(member, f"{what} is empty", data=data)
    verb = "is" if complete and len(head) <= 40 else "starts with"
    return Failure(
        member,
        f"not a DMARC report: {what} holds neither XML, JSON, gzip, zip nor an email (its content {verb} "
        f"{_preview(head)})",
        status="not-dmarc",
        data=data,
    )


def _preview(data: bytes) -> str:
    text = data[:40].decode("latin-1")
    if all(c.isprintable() or c in "\r\n\t" for c in text):
        return repr(text.strip())
    return "the bytes " + data[:8].hex(" ")


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
        if not name:
            return None
        try:
            name = str(make_header(decode_header(name)))
        except Exception:  # noqa: BLE001 - a badly encoded name is still a name
            pass
        return _printable(name)
    except Exception:  # noqa: BLE001 - hostile parameters must not hide the part
        return None


def _printable(text: str) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text[:200])
    return text if len(text) < 200 else text[:199] + "…"


def _join(member: str | None, name: str) -> str:
    return name if member is None else f"{member} > {name}"


def _size(n: int) -> str:
    if n >= MiB:
        return f"{n // MiB} MiB" if n % MiB == 0 else f"{n / MiB:.1f} MiB"
    if n % 1024 == 0 and n or n >= 10 * 1024:
        return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


def _too_big(what: str, limit: int) -> str:
    return f"{what} decompresses to more than {_size(limit)}, the limit per report"


def _reason(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
