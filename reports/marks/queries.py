"""Reading the operator's marks (SenderMark rows)."""

from __future__ import annotations

from reports.marks import rules
from reports.marks.models import SenderMark
from reports.sources.queries import own_services
from reports.sources.services import OWN, table


def service_names() -> dict[str, str]:
    """Every known service by its name, short name and id, lower-cased: the name a mark keeps."""
    names = {}
    for sender in (*own_services(), *table(), OWN):
        for key in (sender.id, sender.short, sender.name):
            names.setdefault(key.lower(), sender.name)
    return names


def marks(domain: str) -> list[rules.Mark]:
    return [
        rules.Mark(m.kind, m.value, m.verdict, m.marked_by, m.marked_at)
        for m in SenderMark.objects.filter(domain=domain).order_by("kind", "value")
    ]
