"""The admin of the operator's marks on senders."""

from django.contrib import admin

from reports.marks.models import SenderMark


# The operator's marks on senders (reports/marks/): set from the pages or `manage.py mark`.
@admin.register(SenderMark)
class SenderMarkAdmin(admin.ModelAdmin):
    list_display = ["domain", "kind", "value", "verdict", "marked_by", "marked_at"]
    list_filter = ["verdict", "kind"]
    search_fields = ["domain", "value", "marked_by"]
    readonly_fields = ["marked_by", "marked_at"]

    def has_add_permission(self, request):
        return False
