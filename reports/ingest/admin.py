"""The admin of reports, rejected inputs and refused foreign reports: read-only."""

from django.contrib import admin

from reports.access import audit
from reports.access.models import AuditEntry
from reports.ingest.models import ForeignReport, Rejection, Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "org_name", "report_id", "domain", "begin", "end", "record_count", "message_count",
        "reporter_verified",
    ]  # fmt: skip
    list_filter = ["org_name", "reporter_verified"]
    search_fields = ["report_id", "domain", "org_name"]
    date_hierarchy = "begin"
    exclude = ["original"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting goes through Report.delete() and ReportQuerySet.delete(), which take the
    # counts out of the rollups. Django's own confirmation page would load every record
    # of the reports to list them: it lists the reports and their record counts instead.
    def get_deleted_objects(self, objs, request):
        reports = list(objs) if not hasattr(objs, "only") else list(objs.only(*REPORT_SUMMARY))
        records = sum(r.record_count for r in reports)
        listed = [f"Report: {r} ({r.record_count:,} records, {r.message_count:,} messages)" for r in reports]
        perms_needed = set() if self.has_delete_permission(request) else {"report"}
        counts = {"reports": len(reports), "records": records}
        return listed, counts, perms_needed, []

    def delete_model(self, request, obj):
        self._audit(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._audit(request, list(queryset.only(*REPORT_SUMMARY)))
        queryset.delete()

    def _audit(self, request, reports):
        audit.record(
            request.user,
            AuditEntry.REPORTS,
            f"{len(reports)} report(s) of {', '.join(sorted({r.domain for r in reports}))}"[:2000],
            domains=sorted({r.domain for r in reports}),
            messages=sum(r.message_count for r in reports),
            # Enough to tell which reports went, for the first thousand.
            reports=[[r.pk, r.org_name, r.report_id, r.domain] for r in reports[:1000]],
        )


REPORT_SUMMARY = ("id", "org_name", "report_id", "domain", "record_count", "message_count")


@admin.register(Rejection)
class RejectionAdmin(admin.ModelAdmin):
    list_display = ["created", "origin", "member", "status", "error", "resolved"]
    list_filter = ["status"]
    search_fields = ["origin", "error"]
    exclude = ["original"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ForeignReport)
class ForeignReportAdmin(admin.ModelAdmin):
    list_display = ["domain", "reports", "last_seen"]
    search_fields = ["domain"]
    ordering = ["-reports"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
