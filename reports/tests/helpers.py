"""Builders shared by the tests: real report XML, the corpus location."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from django.conf import settings


def corpus_dir() -> Path:
    """DMARC_CORPUS, else shared/corpus beside this checkout or, for a local clone
    (say /tmp/fresh), beside the checkout it was cloned from."""
    if os.environ.get("DMARC_CORPUS"):
        candidates = [Path(os.environ["DMARC_CORPUS"])]
    else:
        base = Path(settings.BASE_DIR)
        candidates = [base.parent / "shared" / "corpus"]
        origin = subprocess.run(
            ["git", "-C", str(base), "config", "--get", "remote.origin.url"], capture_output=True, text=True
        ).stdout.strip()
        if origin and Path(origin).is_dir():
            candidates.append(Path(origin).resolve().parent / "shared" / "corpus")
    path = next((c for c in candidates if c.is_dir()), candidates[0])
    assert path.is_dir(), f"the shared corpus is missing at {path} (set DMARC_CORPUS)"
    return path


def record_xml(
    ip="192.0.2.1",
    count=1,
    disposition="none",
    dkim="pass",
    spf="pass",
    header_from="example.com",
    envelope_from=None,
    dkim_results=(("example.com", "s1", "pass"),),
    spf_results=(("example.com", "mfrom", "pass"),),
    reasons=(),
) -> str:
    reasons_xml = "".join(f"<reason><type>{t}</type><comment>{c}</comment></reason>" for t, c in reasons)
    dkim_xml = "".join(
        f"<dkim><domain>{d}</domain><selector>{s}</selector><result>{r}</result></dkim>"
        for d, s, r in dkim_results
    )
    spf_xml = "".join(
        f"<spf><domain>{d}</domain><scope>{s}</scope><result>{r}</result></spf>" for d, s, r in spf_results
    )
    env = f"<envelope_from>{envelope_from}</envelope_from>" if envelope_from is not None else ""
    return (
        f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
        f"<disposition>{disposition}</disposition><dkim>{dkim}</dkim><spf>{spf}</spf>{reasons_xml}"
        f"</policy_evaluated></row><identifiers>{env}<header_from>{header_from}</header_from></identifiers>"
        f"<auth_results>{dkim_xml}{spf_xml}</auth_results></record>"
    )


def report_xml(
    records=None,
    org_name="reporter.example",
    report_id="r-1",
    domain="example.com",
    begin=1700000000,
    end=1700086399,
    p="none",
    adkim="r",
    aspf="r",
) -> bytes:
    if records is None:
        records = [record_xml()]
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feedback><version>1.0</version>'
        f"<report_metadata><org_name>{org_name}</org_name><email>dmarc@{org_name}</email>"
        f"<report_id>{report_id}</report_id><date_range><begin>{begin}</begin><end>{end}</end></date_range>"
        f"</report_metadata><policy_published><domain>{domain}</domain><adkim>{adkim}</adkim><aspf>{aspf}</aspf>"
        f"<p>{p}</p><sp>{p}</sp><pct>100</pct></policy_published>{''.join(records)}</feedback>"
    ).encode()
