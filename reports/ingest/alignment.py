"""Identifier alignment (RFC 7489 §3.1, RFC 9989 §4.4), recomputed from a record's auth results.

The reporter's own verdict (policy_evaluated) stays the truth; what we compute here sits beside
it as a diagnostic, so that rows where the two readings differ can be flagged.

Organizational domains come from the Public Suffix List shipped with the `publicsuffixlist`
package (no network). We use the whole list, private section included, as the big reporters
do: foo.github.io and bar.github.io are two organizations and do not align, because github.io
is listed as a suffix under which anyone can register a name. RFC 9989 replaces the list with
a DNS tree walk; a reporter that used it (discovery_method=treewalk) may reach another verdict
for the odd domain, which is one of the known reasons for a disagreement.
"""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from reports.ingest.report import ParsedRecord

# accept_unknown: a name under a TLD missing from the list (a new gTLD, an internal name)
# is treated like any other TLD, as RFC 7489 §3.2 asks ("*" is the default rule).
_PSL = PublicSuffixList(accept_unknown=True)


@lru_cache(maxsize=65536)
def normalise(domain: str) -> str:
    """Lower case, no surrounding whitespace, no trailing dot, A-labels for IDNs.

    Reports carry both U-labels (bücher.de) and A-labels (xn--bcher-kva.de) for one name, so
    both are brought to the A-label form before they are compared.
    """
    d = domain.strip().lower().rstrip(".")
    if "@" in d:
        # Some reporters put an address where a domain belongs (envelope_from, SPF domain).
        d = d.rpartition("@")[2]
    if not d.isascii():
        try:
            d = d.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # not a valid IDN: compare it as it stands
    return d


@lru_cache(maxsize=65536)
def org_domain(domain: str) -> str:
    """The organizational domain: the longest public suffix that matches, plus one label.

    A name that is itself a public suffix (co.uk, github.io), or is not a domain name at all
    (an IP literal, empty labels), is its own organizational domain: there is nothing above it
    to belong to. Empty input gives "".
    """
    d = normalise(domain)
    if not d:
        return ""
    last = d.rpartition(".")[2]
    if last.isdigit():
        return d  # an IP literal, not a name: no TLD ends in a digit
    return _PSL.privatesuffix(d) or d


@lru_cache(maxsize=65536)
def domains_align(a: str, b: str, mode: str) -> bool:
    """Whether two domains are aligned: "s" (strict) needs the same name, anything else
    (relaxed, the default "r") the same organizational domain. An empty domain never aligns."""
    a = normalise(a)
    b = normalise(b)
    if not a or not b:
        return False
    if a == b:
        return True
    if mode == "s":
        return False
    return org_domain(a) == org_domain(b)


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
