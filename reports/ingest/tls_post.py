"""RFC 8460's HTTPS delivery: a reporter POSTs one TLS report to the rua=https://… address.

RFC 8460 leaves the endpoint unauthenticated, so it takes only what it must: one TLS report
(application/tlsrpt+json, or +gzip), bounded, for a monitored domain, at most
DMARC_TLSRPT_POSTS_PER_MINUTE posts a minute per client address (counted in Redis). It is read
in the request, as a page reads its form: the size cap keeps that to milliseconds, and a
reporter must hear at once whether the report was taken. What it refuses is not kept: anyone
can post, and only a report is worth storing.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from reports.ingest.pipeline import ingest_bytes
from reports.shared import rate

log = logging.getLogger(__name__)
TYPES = ("application/tlsrpt+json", "application/tlsrpt+gzip")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


def receive(content_type: str, length: int, read: Callable[[], bytes], client: str) -> Answer:
    """`read` gives the body, called only once the type, the rate and the declared length pass."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype not in TYPES:
        return Answer(415, {"error": f"send a TLS report as {' or '.join(TYPES)}"})
    if not _allowed(client):
        return Answer(429, {"error": "too many reports from this address: try again in a minute"})
    limit = settings.DMARC_TLSRPT_MAX_BYTES
    if length > limit or len(body := read()) > limit:
        return Answer(413, {"error": f"a TLS report is at most {limit} bytes"})
    if ctype.endswith("gzip"):
        try:
            body = _gunzip(body, limit)
        except ValueError as e:
            return Answer(400, {"error": str(e)})
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return Answer(400, {"error": "not a TLS report: the body is not a JSON object"})
    [outcome] = ingest_bytes(body, f"HTTPS POST from {client}"[:200], keep_rejected=False)
    answer = outcome.as_json()
    answer.pop("source", None)
    status = {"imported": 201, "duplicate": 200, "foreign": 403}.get(outcome.status, 400)
    return Answer(status, answer)


def _gunzip(data: bytes, limit: int) -> bytes:
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(data, limit + 1)
    except zlib.error as e:
        raise ValueError(f"the gzip cannot be read ({e})") from None
    if len(out) > limit:
        raise ValueError(f"the TLS report decompresses to more than {limit} bytes")
    return out


def _allowed(client: str) -> bool:
    return rate.within("tlsrpt", client, settings.DMARC_TLSRPT_POSTS_PER_MINUTE)[0]
