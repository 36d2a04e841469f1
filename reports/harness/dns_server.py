"""A real DNS server for the tests: Debian's dnsmasq on 127.0.0.1, serving a test zone.

    with DnsServer() as dns:
        dns.txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com")
        dns.host("mail.example.com", "192.0.2.7")     # A (or AAAA) and the matching PTR
        dns.ptr("198.51.100.9", "spoof.amazonses.com")  # a PTR with no forward record
        dns.network("192.0.2.7", 64500, "192.0.2.0/24", "NL", "EXAMPLE-AS Example B.V., NL")  # Team Cymru
        dns.serve(settings)  # (re)starts dnsmasq and points DMARC_DNS_NAMESERVERS at it

Every name outside the zone is NXDOMAIN (`local=/#/`, no upstream): the tests
never reach the internet. dnsmasq reads its zone only at start, so serve()
restarts it after records are added.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import dns.resolver

from reports.harness.waiting import deadline, scaled

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


def _free_port() -> int:
    # The port must be free for both UDP and TCP (dnsmasq listens on both).
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port for dnsmasq")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DnsServer:
    def __init__(self):
        self.lines: list[str] = []
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.dir = Path(tempfile.mkdtemp(prefix="dnsmasq-"))

    # --- the zone
    def txt(self, name: str, *texts: str) -> DnsServer:
        """One TXT record per text; texts over 255 bytes are split into strings, as DNS requires."""
        for text in texts:
            chunks = [text[i : i + 255] for i in range(0, len(text), 255)] or [""]
            self.lines.append(f"txt-record={name}," + ",".join(_quote(c) for c in chunks))
        return self

    def host(self, name: str, ip: str) -> DnsServer:
        self.lines.append(f"host-record={name},{ipaddress.ip_address(ip).compressed}")
        return self

    def mx(self, name: str, host: str, preference: int = 10) -> DnsServer:
        self.lines.append(f"mx-host={name},{host},{preference}")
        return self

    def ptr(self, ip: str, name: str) -> DnsServer:
        reverse = ipaddress.ip_address(ip).reverse_pointer
        self.lines.append(f"ptr-record={reverse},{name}")
        return self

    def network(self, ip: str, asn: int, prefix: str, country: str, as_name: str) -> DnsServer:
        """Team Cymru's answers for `ip` (IPv4 or IPv6): its origin TXT record, and its AS's name record."""
        from reports.rollout.cymru import as_name_query, origin_name

        self.txt(origin_name(ip), f"{asn} | {prefix} | {country} | ripencc | 2010-01-01")
        name_line = f"txt-record={as_name_query(asn)},"
        if not any(line.startswith(name_line) for line in self.lines):
            self.txt(as_name_query(asn), f"{asn} | {country} | ripencc | 2001-01-01 | {as_name}")
        return self

    def cname(self, name: str, target: str) -> DnsServer:
        self.lines.append(f"cname={name},{target}")
        return self

    # --- the process
    def serve(self, settings=None) -> DnsServer:
        self.stop()
        self.port = _free_port()
        conf = self.dir / "dnsmasq.conf"
        conf.write_text(
            "\n".join(
                [
                    f"port={self.port}",
                    "listen-address=127.0.0.1",
                    "bind-interfaces",
                    "no-resolv",
                    "no-hosts",
                    "no-negcache",
                    "local=/#/",
                    "local-ttl=300",
                    "txt-record=ready.dnsmasq.test,ready",
                    *self.lines,
                    "",
                ]
            )
        )
        args = [DNSMASQ, f"--conf-file={conf}", "--keep-in-foreground", f"--pid-file={self.dir / 'pid'}"]
        if os.geteuid() == 0:
            # As root dnsmasq would switch to the user "dnsmasq", which cannot read our temp dir.
            args.append("--user=root")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()
        if settings is not None:
            settings.DMARC_DNS_NAMESERVERS = [f"127.0.0.1:{self.port}"]
            settings.DMARC_DNS_TIMEOUT = 2
        return self

    def _wait_ready(self) -> None:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = ["127.0.0.1"]
        res.port = self.port
        res.lifetime = 0.5
        passed = deadline(10)
        while not passed():
            if self.proc.poll() is not None:
                raise RuntimeError(f"dnsmasq exited: {self.proc.stderr.read().decode(errors='replace')}")
            try:
                res.resolve("ready.dnsmasq.test", "TXT")
                return
            except dns.exception.DNSException:
                time.sleep(0.05)
        raise RuntimeError("dnsmasq did not answer within 10 seconds (of an idle machine)")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(scaled(5))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stderr:
                self.proc.stderr.close()
            self.proc = None

    def __enter__(self) -> DnsServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
