from django import forms
from django.contrib import admin

from reports.models import Mailbox, MailMessage, Rejection, Report, SenderMark


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


# The operator's marks on senders (reports/marks/): set from the pages or `manage.py mark`.
@admin.register(SenderMark)
class SenderMarkAdmin(admin.ModelAdmin):
    list_display = ["domain", "kind", "value", "verdict", "marked_by", "marked_at"]
    list_filter = ["verdict", "kind"]
    search_fields = ["domain", "value", "marked_by"]
    readonly_fields = ["marked_by", "marked_at"]

    def has_add_permission(self, request):
        return False
