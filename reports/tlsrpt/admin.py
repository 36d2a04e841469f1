"""The admin of SMTP TLS reports: read-only, as the DMARC reports' is. A report leaves through
purge_reports and the retention settings, which take its policy and failure rows with it."""

from django.contrib import admin

from reports.tlsrpt.models import TlsFailure, TlsReport


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TlsReport)
class TlsReportAdmin(ReadOnly):
    list_display = [
        "org_name", "report_id", "day", "successful_sessions", "failed_sessions",
        "reporter_verified", "trusted",
    ]  # fmt: skip
    list_filter = ["reporter_verified", "trusted"]
    search_fields = ["org_name", "report_id"]
    date_hierarchy = "day"
    exclude = ["original"]


@admin.register(TlsFailure)
class TlsFailureAdmin(ReadOnly):
    list_display = ["domain", "day", "reporter", "result_type", "failed_sessions", "receiving_mx_hostname"]
    list_filter = ["result_type"]
    search_fields = ["domain", "reporter", "receiving_mx_hostname"]
    date_hierarchy = "day"
