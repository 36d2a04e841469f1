"""What the pages read of MTA-STS: the stored checks, and the stage of each domain."""

from __future__ import annotations

from reports.mtasts.models import MtaStsCheck
from reports.tlsrpt import queries as tls


def checks(domains: list[str]) -> dict[str, MtaStsCheck]:
    return {c.domain: c for c in MtaStsCheck.objects.filter(domain__in=domains)}


def stages(domains: list[str]) -> dict[str, tuple[str, str]]:
    """Each domain's MTA-STS stage and where it comes from: "checked" (our last check of the
    published policy) or "reported" (the mode in the newest TLS report, until a check ran)."""
    found = {d: (c.mode, "checked") for d, c in checks(domains).items()}
    missing = [d for d in domains if d not in found]
    if missing:
        found.update({d: (mode, "reported") for d, mode in tls.reported_modes(missing).items()})
    return found
