"""Record linting: a domain's DMARC, SPF and DKIM records, read and checked.

  problems.py what the linters find
  dmarc.py    the DMARC record
  spf.py      the SPF record
  dkim.py     the DKIM keys

This module is their interface: what the rest of the app uses, and inspect(), all three at once.

Everything here works on plain text and a `resolve(name, rdtype) -> Answer`
callable (reports.shared.dns and reports.rollout.resolve give the real ones), so the rules are tested
with plain data, without a database or a DNS server.

Rules (RFC 7489 §6.3-6.4, RFC 9989): the record lives at `_dmarc.<domain>`;
multi-string TXT records are joined; records not starting with `v=DMARC1` are
ignored; with more than one DMARC record none applies. pct, rf and ri are
obsolete in RFC 9989, which adds np, psd and t. A report address on another
organizational domain must be authorized by `<domain>._report._dmarc.<host>`.
SPF (RFC 7208) allows one `v=spf1` record and at most 10 DNS-querying terms.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.rollout.lint.dkim import DkimKey, check_dkim
from reports.rollout.lint.dmarc import (
    POLICIES,
    DmarcCheck,
    DmarcRecord,
    ReportAddress,
    check_dmarc,
    context_problems,
    is_dmarc,
    parse_dmarc,
)
from reports.rollout.lint.problems import Problem
from reports.rollout.lint.spf import SpfCheck, check_spf, is_spf
from reports.shared.dns import NODATA, NXDOMAIN, Answer, Resolve

__all__ = [
    "NODATA",
    "NXDOMAIN",
    "POLICIES",
    "Answer",
    "DkimKey",
    "DmarcCheck",
    "DmarcRecord",
    "Inspection",
    "Problem",
    "ReportAddress",
    "Resolve",
    "SpfCheck",
    "check_dkim",
    "check_dmarc",
    "check_spf",
    "context_problems",
    "inspect",
    "is_dmarc",
    "is_spf",
    "parse_dmarc",
]


@dataclass
class Inspection:
    dmarc: DmarcCheck
    spf: SpfCheck
    dkim: list[DkimKey]


def inspect(domain: str, resolve: Resolve, selectors: list[tuple[str, str]] = ()) -> Inspection:
    return Inspection(
        check_dmarc(domain, resolve), check_spf(domain, resolve), check_dkim(list(selectors), resolve)
    )
