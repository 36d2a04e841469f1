"""Synthetic DMARC aggregate reports of realistic shape, for the benchmark.

The shape follows what big reporters send: most records count one or two
messages while a few own servers carry most of the volume (Pareto counts),
one to three DKIM results per record, an SPF result (sometimes a HELO one
too), about a fifth IPv6 sources, several header_from and envelope domains,
and a few override reasons (forwarders, mailing lists, ARC). The XML comes from
the project's one report builder (reports/demo/report_xml.py), which joins
strings: building trees with lxml would make the generator slower than the
parser it feeds.

Run on its own to write one report:  python bench/generate.py --records 1000 out.xml.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.demo.report_xml import record_xml  # noqa: E402
from reports.demo.report_xml import report_xml as shared_report_xml  # noqa: E402

# Bump when the output changes, so cached files under bench/data are rebuilt.
GENERATOR_VERSION = 4


@dataclass(frozen=True)
class Spec:
    """One report to generate. The seed makes the same spec give the same bytes."""

    records: int
    report_id: str
    org_name: str = "google.com"
    domain: str = "example.com"
    begin: int = 1_700_006_400  # a UTC midnight
    policy: str = "quarantine"
    seed: int = 1

    @property
    def end(self) -> int:
        return self.begin + 86399  # one UTC day, inclusive end as Google sends it

    @property
    def filename(self) -> str:
        return f"{self.org_name}!{self.domain}!{self.begin}!{self.end}!{self.report_id}.xml"


def _ipv4_pool(rng: random.Random, n: int) -> list[str]:
    return [
        f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for _ in range(n)
    ]


def _ipv6_pool(rng: random.Random, n: int) -> list[str]:
    prefixes = ["2001:db8:10", "2a00:1450:4864", "2607:f8b0:4864", "2a01:111:f400", "2001:db8:beef"]
    pool = []
    for _ in range(n):
        host = (
            f"{rng.randint(1, 0xFFFF):x}"
            if rng.random() < 0.5
            else f"{rng.randint(1, 0xFFFF):x}:{rng.randint(0, 0xFFFF):x}"
        )
        pool.append(f"{rng.choice(prefixes)}::{host}")
    return pool


class _Senders:
    """Who sends mail as the policy domain, each kind with its own auth results.

    Each sender builds the policy_evaluated verdict, the override reasons and
    the auth results of one record, consistent with relaxed alignment.
    """

    def __init__(self, rng: random.Random, domain: str, records: int):
        self.rng = rng
        self.domain = domain
        self.subdomains = [domain, f"news.{domain}", f"mail.{domain}", f"billing.{domain}"]
        # Source pools grow with the report, so big reports have many distinct sources,
        # roughly 80% IPv4 and 20% IPv6 overall.
        size = max(8, records // 3)
        self.pools = {
            "own": _ipv4_pool(rng, max(4, size // 50)) + _ipv6_pool(rng, max(2, size // 100)),
            "esp": _ipv4_pool(rng, size // 5) + _ipv6_pool(rng, size // 20),
            "ses": _ipv4_pool(rng, size // 10) + _ipv6_pool(rng, size // 40),
            "forwarder": _ipv4_pool(rng, size // 10) + _ipv6_pool(rng, size // 30),
            "list": _ipv4_pool(rng, size // 20) + _ipv6_pool(rng, size // 60),
            "spoofer": _ipv4_pool(rng, size // 2) + _ipv6_pool(rng, size // 8),
        }
        for pool in self.pools.values():
            rng.shuffle(pool)
        self.kinds = list(self.pools)
        self.weights = [10, 30, 10, 12, 6, 32]
        self.forwarders = ["forward.example.net", "alumni.example.edu", "mailbox.example.org"]
        self.lists = ["lists.example.net", "googlegroups.com", "groups.io"]
        self.spoof_domains = ["example-login.com", "mail.ru", "qq.com", "secure-verify.net", ""]

    def _ip(self, kind: str) -> str:
        pool = self.pools[kind]
        if self.rng.random() < 0.3:
            # A few sources per kind appear in many records (paretovariate >= 1)...
            return pool[min(len(pool) - 1, int(self.rng.paretovariate(1.3)) - 1)]
        # ...and the long tail of sources appears in one or two.
        return pool[int(self.rng.random() * len(pool))]

    def _count(self, kind: str) -> int:
        count = int(self.rng.paretovariate(1.05))
        if kind == "own":
            count *= self.rng.randint(1, 40)
        return min(count, 50_000_000)

    def record(self) -> str:
        rng = self.rng
        kind = rng.choices(self.kinds, self.weights)[0]
        header_from = rng.choice(self.subdomains)
        env = ""
        dkims: list[tuple[str, str, str]] = []
        spfs: list[tuple[str, str, str]] = []
        reasons: list[tuple[str, str]] = []
        if kind == "own":
            env = header_from
            dkims.append((self.domain, "s2024", "pass"))
            spfs.append((env, "mfrom", "pass"))
        elif kind == "esp":
            env = f"em{rng.randint(100, 999)}.{header_from}"
            dkims.append((header_from, "s1", "pass" if rng.random() < 0.97 else "fail"))
            dkims.append(("sendgrid.net", "smtpapi", "pass"))
            if rng.random() < 0.25:
                dkims.append(("sendgrid.info", "s2", "pass"))
            spfs.append((env, "mfrom", "pass" if rng.random() < 0.95 else "softfail"))
        elif kind == "ses":
            env = "amazonses.com"
            dkims.append((header_from, "ses2024", "pass"))
            dkims.append(("amazonses.com", "224i4yxa5dv7c2xz3womw6peuasteono", "pass"))
            spfs.append((env, "mfrom", "pass"))
        elif kind == "forwarder":
            env = rng.choice(self.forwarders)
            dkims.append((self.domain, "s2024", "pass" if rng.random() < 0.6 else "fail"))
            if rng.random() < 0.5:
                dkims.append((env, "fwd", "pass"))
            spfs.append((env, "mfrom", rng.choice(["pass", "softfail", "neutral"])))
            if rng.random() < 0.3:
                reasons.append(
                    rng.choice([("forwarded", ""), ("local_policy", "arc=pass"), ("trusted_forwarder", "")])
                )
        elif kind == "list":
            env = rng.choice(self.lists)
            dkims.append((header_from, "s1", "fail"))
            dkims.append((env, "list", "pass"))
            if rng.random() < 0.4:
                dkims.append(("mailchannels.net", "arc-2022", "pass"))
            spfs.append((env, "mfrom", "pass"))
            if rng.random() < 0.3:
                reasons.append(("mailing_list", ""))
        else:
            env = rng.choice(self.spoof_domains)
            if rng.random() < 0.5:
                dkims.append((header_from, "", "none"))
            else:
                dkims.append((env or "spoof.invalid", "default", rng.choice(["pass", "fail", "temperror"])))
            spfs.append((env, "mfrom", rng.choice(["fail", "softfail", "none", "permerror"])))
            if rng.random() < 0.05:
                reasons.append(("sampled_out", ""))
        if rng.random() < 0.1:
            spfs.append((f"mx{rng.randint(1, 9)}.{env or 'unknown.invalid'}", "helo", "pass"))

        dkim_ok = any(r == "pass" and _aligned(d, header_from) for d, _, r in dkims)
        spf_ok = any(r == "pass" and s == "mfrom" and _aligned(d, header_from) for d, s, r in spfs)
        if dkim_ok or spf_ok or reasons:
            disposition = "none"
        else:
            disposition = "reject" if rng.random() < 0.3 else "quarantine"
        return record_xml(
            ip=self._ip(kind),
            count=self._count(kind),
            disposition=disposition,
            dkim="pass" if dkim_ok else "fail",
            spf="pass" if spf_ok else "fail",
            reasons=reasons,
            envelope_to=self.domain if rng.random() < 0.1 else None,
            envelope_from=env,
            header_from=header_from,
            dkim_results=dkims,
            spf_results=spfs,
        )


def _org(domain: str) -> str:
    # Good enough for the generator's own domains, which have one-label suffixes.
    return ".".join(domain.rsplit(".", 2)[-2:])


def _aligned(a: str, b: str) -> bool:
    return bool(a) and _org(a) == _org(b)


def report_xml(spec: Spec) -> bytes:
    """The XML of one report, as UTF-8 bytes."""
    rng = random.Random(f"{spec.seed}:{spec.report_id}:{spec.records}")
    senders = _Senders(rng, spec.domain, spec.records)
    compact = shared_report_xml(
        (senders.record() for _ in range(spec.records)),
        org_name=spec.org_name,
        email=f"noreply-dmarc-support@{spec.org_name}",
        report_id=spec.report_id,
        domain=spec.domain,
        begin=spec.begin,
        end=spec.end,
        p=spec.policy,
        fo="1",
    )
    # The big reporters indent their XML, and a reader pays for the whitespace: keep it in the workload.
    tree = etree.fromstring(compact, etree.XMLParser(huge_tree=True))
    etree.indent(tree, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8" ?>\n' + etree.tostring(tree, encoding="utf-8") + b"\n"


def write(spec: Spec, directory: Path, *, plain: bool = False) -> dict:
    """Write SPEC as .xml.gz (and .xml if PLAIN) under DIRECTORY; return the file names."""
    directory.mkdir(parents=True, exist_ok=True)
    data = report_xml(spec)
    gz = directory / (spec.filename + ".gz")
    # mtime=0 keeps the bytes identical between runs.
    gz.write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
    out = {"gz": str(gz), "xml_bytes": len(data), "gz_bytes": gz.stat().st_size}
    if plain:
        xml = directory / spec.filename
        xml.write_bytes(data)
        out["xml"] = str(xml)
    return out


# The benchmark's data set: distinct report_ids, so no import is a duplicate of another.
DATASET = {
    "single_10k": [Spec(10_000, "bench-10k-0001", org_name="google.com", seed=10)],
    "multi_10x10k": [
        Spec(10_000, f"bench-multi-{i:02d}", org_name=org, begin=1_700_006_400 + 86400 * i, seed=100 + i)
        for i, org in enumerate(
            ["google.com", "Yahoo", "Outlook.com", "Mail.Ru", "comcast.net"] * 2,
        )
    ],
    "single_100k": [Spec(100_000, "bench-100k-0001", org_name="google.com", seed=1000)],
}


def ensure_dataset(directory: Path) -> dict:
    """Write the benchmark's reports unless the same ones are already there.

    Returns {set name: [file info, ...]} with paths to the .xml.gz (and, for the
    single 10,000-record report, the plain .xml used for parse-only timing).
    """
    manifest_path = directory / "manifest.json"
    wanted = {
        "version": GENERATOR_VERSION,
        "specs": {k: [asdict(s) for s in v] for k, v in DATASET.items()},
    }
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            manifest = {}
        if manifest.get("wanted") == wanted and all(
            Path(f[key]).exists()
            for files in manifest["files"].values()
            for f in files
            for key in ("gz", "xml")
            if key in f
        ):
            return manifest["files"]
    files = {
        name: [write(spec, directory, plain=(name == "single_10k")) for spec in specs]
        for name, specs in DATASET.items()
    }
    manifest_path.write_text(json.dumps({"wanted": wanted, "files": files}, indent=1))
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--report-id", default="synthetic-0001")
    ap.add_argument("--org-name", default="google.com")
    ap.add_argument("--domain", default="example.com")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("out", help="output path; gzip-compressed when it ends in .gz")
    args = ap.parse_args(argv)
    spec = Spec(args.records, args.report_id, org_name=args.org_name, domain=args.domain, seed=args.seed)
    data = report_xml(spec)
    out = Path(args.out)
    out.write_bytes(gzip.compress(data, mtime=0) if out.suffix == ".gz" else data)
    print(f"wrote {out} ({args.records} records, {len(data):,} bytes of XML)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
