"""Fetch a domain's MTA-STS policy as a sending MTA would (RFC 8461 section 3.3).

GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt: the certificate must be valid for that name
(trusting DMARC_MTA_STS_CA_FILE when set, else the system's CAs), no redirect is followed, the
answer must be 200, text/plain and at most 64 KiB. The name is resolved through
DMARC_DNS_NAMESERVERS and port 443 of its address is asked, loopback included: the domain is one
an admin chose to monitor. Runs in a worker only.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings

from reports.shared.dns import live_lookup

MAX_POLICY = 64 * 1024
PATH = "/.well-known/mta-sts.txt"
PORT = 443  # RFC 8461: the policy host is asked on the HTTPS port, always


@dataclass
class Fetched:
    url: str
    text: str = ""
    error: str = ""  # why senders cannot use the policy, in an operator's words

    @property
    def ok(self) -> bool:
        return not self.error


def policy_url(domain: str) -> str:
    return f"https://mta-sts.{domain}{PATH}"


def fetch(domain: str, timeout: float = 10.0) -> Fetched:
    host = f"mta-sts.{domain}"
    out = Fetched(policy_url(domain))
    addresses = live_lookup(host, "A").records or live_lookup(host, "AAAA").records
    if not addresses:
        out.error = f"{host} does not resolve: senders cannot fetch the policy"
        return out
    context = ssl.create_default_context(cafile=settings.DMARC_MTA_STS_CA_FILE or None)
    try:
        raw = socket.create_connection((addresses[0], PORT), timeout=timeout)
        with raw, context.wrap_socket(raw, server_hostname=host) as tls:
            return _get(tls, host, out)
    except ssl.SSLCertVerificationError as e:
        out.error = f"the certificate of {host} is not valid for it ({e.verify_message})"
    except (OSError, ssl.SSLError) as e:
        out.error = f"cannot connect to {host} over HTTPS ({type(e).__name__}: {e})"
    except http.client.HTTPException as e:
        out.error = f"{host} did not answer in HTTP ({type(e).__name__})"
    return out


def _get(tls: ssl.SSLSocket, host: str, out: Fetched) -> Fetched:
    request = (
        f"GET {PATH} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: dmarc-dashboard\r\nConnection: close\r\n\r\n"
    )
    tls.sendall(request.encode())
    response = http.client.HTTPResponse(tls)
    response.begin()
    if 300 <= response.status < 400:
        out.error = f"{out.url} answers with a redirect ({response.status}); senders do not follow redirects"
        return out
    if response.status != 200:
        out.error = f"{out.url} answers {response.status}, not 200"
        return out
    ctype = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "text/plain":
        out.error = f"{out.url} is served as {ctype or 'no type'}, not text/plain"
        return out
    body = response.read(MAX_POLICY + 1)
    if len(body) > MAX_POLICY:
        out.error = f"{out.url} is larger than 64 KiB"
        return out
    try:
        out.text = body.decode("utf-8")
    except UnicodeDecodeError:
        out.error = f"{out.url} is not UTF-8 text"
    return out
