"""The monitored domains: those in the Domain table and those DMARC_DOMAINS names."""

from __future__ import annotations

from django.conf import settings

from reports.domains.models import Domain
from reports.shared.names import domain_name


def configured() -> list[str]:
    """The monitored domains as the next ingestion will see them, without writing (for pages)."""
    return sorted({*Domain.objects.values_list("name", flat=True), *from_settings()})


def from_settings() -> list[str]:
    return [d for d in (domain_name(x) for x in settings.DMARC_DOMAINS) if d]
