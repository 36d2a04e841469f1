"""The admin of the operator's marks on senders: set from the pages or `manage.py mark`; a change here is
audited and followed by readiness, as one made there."""

from django.contrib import admin

from reports.access import audit
from reports.access.models import AuditEntry
from reports.marks.models import SenderMark
from reports.shared import events


@admin.register(SenderMark)
class SenderMarkAdmin(admin.ModelAdmin):
    list_display = ["domain", "kind", "value", "verdict", "marked_by", "marked_at"]
    list_filter = ["verdict", "kind"]
    search_fields = ["domain", "value", "marked_by"]
    readonly_fields = ["marked_by", "marked_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(request.user, AuditEntry.MARK, obj.domain, source=obj.value, verdict=obj.verdict)
        events.send_marks_changed(__name__, obj.domain)

    def delete_model(self, request, obj):
        self._deleted(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        marks = list(queryset)
        self._deleted(request, marks)
        super().delete_queryset(request, queryset)

    def _deleted(self, request, marks):
        for m in marks:
            audit.record(
                request.user, AuditEntry.MARK, m.domain, source=m.value, verdict="clear", deleted=True
            )
        for domain in sorted({m.domain for m in marks}):
            events.send_marks_changed(__name__, domain)

    def has_add_permission(self, request):
        return False
