"""The DMARC record to publish next (see reports.rollout.rules)."""

from __future__ import annotations

from reports.rollout import lint


def next_record(rec: lint.DmarcRecord, policy: str, domain: str, problems: list) -> str:
    """The record to publish for `policy`, keeping the operator's reporting and alignment choices."""
    tags = rec.tags
    codes = {p.code for p in problems}
    parts = ["v=DMARC1", f"p={policy}"]
    for tag in ("sp", "np"):
        if tags.get(tag, "").lower() in lint.POLICIES:
            parts.append(f"{tag}={tags[tag].lower()}")
    if tags.get("psd", "").lower() in ("y", "n"):
        parts.append(f"psd={tags['psd'].lower()}")
    # Strict alignment that breaks a sender goes; otherwise the operator's choice stays.
    if rec.adkim == "s" and "strict-dkim" not in codes:
        parts.append("adkim=s")
    if rec.aspf == "s" and "strict-spf" not in codes:
        parts.append("aspf=s")
    if "fo" in tags and "invalid-fo" not in codes:
        parts.append(f"fo={tags['fo']}")
    rua = ",".join(a.uri for a in rec.rua) or f"mailto:dmarc-reports@{domain}"
    parts.append(f"rua={rua}")
    if rec.ruf:
        parts.append("ruf=" + ",".join(a.uri for a in rec.ruf))
    return "; ".join(parts)
