"""The one builder of aggregate report XML, for the demo, the tests and the benchmark.

Values are XML text: a caller that passes markup on purpose (a hostile report in a
test) escapes it itself, so the builder never hides what a test sends.
"""

from __future__ import annotations

from collections.abc import Iterable


def record_xml(
    ip: str = "192.0.2.1",
    count: int = 1,
    disposition: str = "none",
    dkim: str = "pass",
    spf: str = "pass",
    header_from: str = "example.com",
    envelope_from: str | None = None,
    dkim_results: Iterable[tuple[str, str, str]] = (("example.com", "s1", "pass"),),
    spf_results: Iterable[tuple[str, str, str]] = (("example.com", "mfrom", "pass"),),
    reasons: Iterable[tuple[str, str]] = (),
    envelope_to: str | None = None,
) -> str:
    """One <record>: dkim_results are (domain, selector, result), spf_results (domain, scope, result)."""
    reasons_xml = "".join(f"<reason><type>{t}</type><comment>{c}</comment></reason>" for t, c in reasons)
    dkim_xml = "".join(
        f"<dkim><domain>{d}</domain><selector>{s}</selector><result>{r}</result></dkim>"
        for d, s, r in dkim_results
    )
    spf_xml = "".join(
        f"<spf><domain>{d}</domain><scope>{s}</scope><result>{r}</result></spf>" for d, s, r in spf_results
    )
    to = f"<envelope_to>{envelope_to}</envelope_to>" if envelope_to is not None else ""
    env = f"<envelope_from>{envelope_from}</envelope_from>" if envelope_from is not None else ""
    return (
        f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
        f"<disposition>{disposition}</disposition><dkim>{dkim}</dkim><spf>{spf}</spf>{reasons_xml}"
        f"</policy_evaluated></row><identifiers>{to}{env}<header_from>{header_from}</header_from>"
        f"</identifiers><auth_results>{dkim_xml}{spf_xml}</auth_results></record>"
    )


def report_xml(
    records: Iterable[str] | None = None,
    org_name: str = "reporter.example",
    report_id: str = "r-1",
    domain: str = "example.com",
    begin: int = 1700000000,
    end: int = 1700086399,
    p: str = "none",
    adkim: str = "r",
    aspf: str = "r",
    email: str | None = None,
    sp: str | None = None,
    pct: int | None = 100,
    fo: str | None = None,
) -> bytes:
    """A whole report around `records` (strings from record_xml), as UTF-8 bytes."""
    if records is None:
        records = [record_xml()]
    tags = f"<p>{p}</p><sp>{sp or p}</sp>"
    if pct is not None:
        tags += f"<pct>{pct}</pct>"
    if fo is not None:
        tags += f"<fo>{fo}</fo>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feedback><version>1.0</version>'
        f"<report_metadata><org_name>{org_name}</org_name><email>{email or f'dmarc@{org_name}'}</email>"
        f"<report_id>{report_id}</report_id><date_range><begin>{begin}</begin><end>{end}</end></date_range>"
        f"</report_metadata><policy_published><domain>{domain}</domain><adkim>{adkim}</adkim>"
        f"<aspf>{aspf}</aspf>{tags}</policy_published>{''.join(records)}</feedback>"
    ).encode()
