"""Reading and writing the operator's marks (SenderMark rows); a change sends marks_changed."""

from __future__ import annotations

from django.utils import timezone

from reports.marks import rules
from reports.models import SenderMark
from reports.shared import events
from reports.sources.services import OWN, table


def service_names() -> dict[str, str]:
    """Every known service by its name, short name and id, lower-cased: the name a mark keeps."""
    names = {}
    for sender in (*table(), OWN):
        for key in (sender.id, sender.short, sender.name):
            names.setdefault(key.lower(), sender.name)
    return names


def marks(domain: str) -> list[rules.Mark]:
    return [
        rules.Mark(m.kind, m.value, m.verdict, m.marked_by, m.marked_at)
        for m in SenderMark.objects.filter(domain=domain).order_by("kind", "value")
    ]


def set_mark(domain: str, source: str, verdict: str, marked_by: str) -> rules.Mark:
    """Mark `source` (address, network or service) for `domain`; marking it again replaces the mark."""
    if verdict not in rules.VERDICTS:
        raise rules.MarkError(f"A mark is {' or '.join(rules.VERDICTS)}, not {verdict!r}.")
    kind, value = rules.parse_source(source, service_names())
    now = timezone.now()
    SenderMark.objects.update_or_create(
        domain=domain,
        kind=kind,
        value=value,
        defaults={"verdict": verdict, "marked_by": marked_by[:150], "marked_at": now},
    )
    events.send_marks_changed(__name__, domain)
    return rules.Mark(kind, value, verdict, marked_by, now)


def clear_mark(domain: str, source: str) -> bool:
    """Take the mark off `source`; False when there was none."""
    kind, value = rules.parse_source(source, service_names())
    deleted, _ = SenderMark.objects.filter(domain=domain, kind=kind, value=value).delete()
    if deleted:
        events.send_marks_changed(__name__, domain)
    return bool(deleted)
