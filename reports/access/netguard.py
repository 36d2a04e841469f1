"""Connections made for a URL a user chose, held to reports.access.outbound's rules when they are made.

Inside `guarded(allowed)`:

- every HTTP connection (urllib3, under requests and Apprise) resolves its host here, once,
  through DMARC_DNS_NAMESERVERS (or the system's resolver), refuses the host if any address is
  refused, and connects to the addresses it checked: no second lookup can answer otherwise;
- every socket connect() of the process, whatever library makes it, is checked against the
  address rule through an audit hook (sys.addaudithook), and must name an address, not a host.

So a name that resolved to a public address when the URL was saved and to 127.0.0.1 when it is
used (DNS rebinding), a redirect to an internal address, or a plugin that opens its own socket,
reach nothing. The policy lives in a context variable: only the code inside the block is held to
it, and Apprise's worker threads inherit it (they run in a copy of the caller's context).
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import dns.exception
import dns.resolver

from reports.access.outbound import Allowed, address_refusal, resolved_refusal
from reports.shared.dns import resolver


@dataclass
class _Policy:
    allowed: Allowed
    # Addresses of the allowed host names, as resolved for this block's connections.
    vetted: set = field(default_factory=set)


_policy: ContextVar[_Policy | None] = ContextVar("dmarc_outbound_policy", default=None)
_installed = threading.Lock()
_original_create_connection = None


class Refused(PermissionError):
    """A connection the rules do not allow (an OSError: HTTP clients report it as a connection error)."""


def resolve(host: str) -> list[str]:
    """Every address of `host` (A and AAAA), through DMARC_DNS_NAMESERVERS when it is set."""
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host).compressed]
    except ValueError:
        pass
    from django.conf import settings

    if settings.DMARC_DNS_NAMESERVERS:
        res, found = resolver(), []
        for rdtype in ("A", "AAAA"):
            try:
                found += [rr.to_text() for rr in res.resolve(host.rstrip("."), rdtype, search=False)]
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            except dns.exception.DNSException as e:
                raise Refused(f"{host} cannot be resolved now ({type(e).__name__})") from None
        return found
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return []
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_host(host: str, allowed: Allowed) -> list[str]:
    """The addresses of `host` if the rules allow them all; raises Refused otherwise."""
    addresses = resolve(host)
    why = resolved_refusal(host, addresses, allowed)
    if why:
        raise Refused(why)
    return addresses


@contextmanager
def guarded(allowed: Allowed) -> Iterator[None]:
    """Hold every connection made inside the block to the rules."""
    install()
    token = _policy.set(_Policy(allowed))
    try:
        yield
    finally:
        _policy.reset(token)


def install() -> None:
    """Put the two checks in place, once per process (an audit hook cannot be taken off)."""
    global _original_create_connection
    with _installed:
        if _original_create_connection is not None:
            return
        from urllib3.util import connection

        _original_create_connection = connection.create_connection
        connection.create_connection = _create_connection
        sys.addaudithook(_audit)


def _create_connection(address, *args, **kwargs):
    policy = _policy.get()
    if policy is None:
        return _original_create_connection(address, *args, **kwargs)
    host, port = address
    error = None
    # The lookup itself talks to the configured name servers (127.0.0.1, often): not the user's choice.
    token = _policy.set(None)
    try:
        addresses = check_host(host, policy.allowed)
    finally:
        _policy.reset(token)
    if policy.allowed.host(host):
        policy.vetted.update(ipaddress.ip_address(ip) for ip in addresses)
    for ip in addresses:
        try:
            return _original_create_connection((ip, port), *args, **kwargs)
        except OSError as e:
            error = e
    raise error or Refused(f"{host} does not resolve to any address")


def _audit(event: str, args: tuple) -> None:
    if event != "socket.connect":
        return
    policy = _policy.get()
    if policy is None:
        return
    sock, address = args
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        raise Refused("only network connections are allowed here")
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise Refused(f"a connection to {host} was not resolved and checked first") from None
    if ip not in policy.vetted and not policy.allowed.address(ip):
        why = address_refusal(ip)
        if why:
            raise Refused(f"connection refused: {why}")
