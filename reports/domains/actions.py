"""Keeping the Domain table in step with DMARC_DOMAINS."""

from __future__ import annotations

from reports.domains.models import Domain
from reports.domains.queries import from_settings


def monitored() -> list[str]:
    """The monitored domains, after adding those DMARC_DOMAINS names (like the "env" mailbox)."""
    wanted = from_settings()
    if wanted:
        Domain.objects.bulk_create([Domain(name=d) for d in wanted], ignore_conflicts=True)
    return list(Domain.objects.values_list("name", flat=True))
