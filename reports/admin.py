from django import forms
from django.contrib import admin

from reports.models import Mailbox, MailMessage, Rejection, Report


class MailboxForm(forms.ModelForm):
    # Never rendered back into the page: an empty field keeps the stored password.
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave empty to keep the current password.",
    )

    class Meta:
        model = Mailbox
        fields = [
            *("name", "enabled", "host", "port", "security", "ca_file", "username", "password"),
            *("folder", "processed_folder", "failed_folder"),
        ]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not password and self.instance.pk:
            return self.instance.password
        return password


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["name", "host", "username", "folder", "enabled", "last_success", "last_error"]
    list_filter = ["enabled"]
    readonly_fields = ["last_poll", "last_success", "last_error", "processed_count", "failed_count"]
    fieldsets = [
        (None, {"fields": ["name", "enabled"]}),
        ("Server", {"fields": ["host", "port", "security", "ca_file", "username", "password"]}),
        ("Folders", {"fields": ["folder", "processed_folder", "failed_folder"]}),
        ("Status", {"fields": readonly_fields}),
    ]


@admin.register(MailMessage)
class MailMessageAdmin(admin.ModelAdmin):
    list_display = ["mailbox", "uid", "subject", "date", "state", "filed_in", "created"]
    list_filter = ["state", "mailbox"]
    search_fields = ["subject", "message_id"]
    exclude = ["raw"]
    readonly_fields = [f.name for f in MailMessage._meta.fields if f.name != "raw"]

    def has_add_permission(self, request):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["org_name", "report_id", "domain", "begin", "end", "record_count", "message_count"]
    list_filter = ["org_name"]
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

    def delete_queryset(self, request, queryset):
        queryset.delete()


REPORT_SUMMARY = ("id", "org_name", "report_id", "domain", "record_count", "message_count")


@admin.register(Rejection)
class RejectionAdmin(admin.ModelAdmin):
    list_display = ["created", "source", "member", "status", "error", "resolved"]
    list_filter = ["status"]
    search_fields = ["source", "error"]
    exclude = ["original"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
