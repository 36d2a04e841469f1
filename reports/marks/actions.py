"""Writing the operator's marks (SenderMark rows); each change sends marks_changed once committed."""

from __future__ import annotations

from django.utils import timezone

from reports.marks import rules
from reports.marks.models import SenderMark
from reports.marks.queries import service_names
from reports.shared import events


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
