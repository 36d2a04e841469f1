"""Identifier alignment (RFC 7489 §3.1, RFC 9989 §4.4), recomputed from a record's auth results.

The reporter's own verdict (policy_evaluated) stays the truth; what we compute here sits beside
it as a diagnostic, so that rows where the two readings differ can be flagged.

Organizational domains come from reports.shared.names (the Public Suffix List). RFC 9989
replaces the list with a DNS tree walk; a reporter that used it (discovery_method=treewalk) may
reach another verdict for the odd domain, which is one of the known reasons for a disagreement.
"""

from __future__ import annotations

from reports.ingest.report import ParsedRecord
from reports.shared.names import domains_align


def evaluate(record: ParsedRecord, adkim: str, aspf: str) -> None:
    """Fill in our own alignment verdict on each auth result and on the record."""
    header_from = record.header_from
    dkim_aligned = False
    for r in record.dkim_results:
        r.aligned = r.result == "pass" and domains_align(r.domain, header_from, adkim)
        dkim_aligned = dkim_aligned or r.aligned
    spf_aligned = False
    for r in record.spf_results:
        # Only the MAIL FROM identity counts for DMARC; a HELO result never aligns. Older
        # reports send no scope, and then the result is for MAIL FROM. An empty SPF domain
        # (null reverse-path) would, under RFC 7208 §2.4, mean the HELO identity was checked,
        # which the report does not name, so it cannot align either (domains_align("") is False).
        r.aligned = (
            r.result == "pass" and r.scope in ("mfrom", "") and domains_align(r.domain, header_from, aspf)
        )
        spf_aligned = spf_aligned or r.aligned
    record.dkim_aligned = dkim_aligned
    record.spf_aligned = spf_aligned
