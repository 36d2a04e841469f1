from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from reports.access import audit
from reports.models import AccessGrant, AuditEntry, Domain, Mailbox, MailMessage, Rejection, Report

# Changing any of these sends the stored password elsewhere, or to another account.
CONNECTION_FIELDS = ("host", "port", "security", "username")


class AuditedDeletes:
    """Record who deleted what, one by one or from the list's bulk action."""

    audit_action = AuditEntry.ACCESS

    def audit_target(self, obj) -> str:
        return str(obj)

    def delete_model(self, request, obj):
        audit.record(request.user, self.audit_action, self.audit_target(obj), deleted=True)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(request.user, self.audit_action, self.audit_target(obj), deleted=True)
        super().delete_queryset(request, queryset)


class MailboxForm(forms.ModelForm):
    # Never rendered back into the page: an empty field keeps the stored password.
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave empty to keep the current password. Changing the host, port, security or "
        "username clears it unless a new one is entered here.",
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
            # Whoever may edit a mailbox but not read its password must not be able to send it to
            # a server of their own: a new destination gets the password only if it is typed again.
            if any(name in self.changed_data for name in CONNECTION_FIELDS):
                return ""
            return self.instance.password
        return password


@admin.register(Mailbox)
class MailboxAdmin(AuditedDeletes, admin.ModelAdmin):
    audit_action = AuditEntry.MAILBOX
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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name != "password"]
        if form.data.get("password"):
            changed.append("password (new)")
        elif change and not obj.password and any(n in form.changed_data for n in CONNECTION_FIELDS):
            changed.append("password (cleared)")
        audit.record(request.user, AuditEntry.MAILBOX, obj.name, created=not change, changed=changed)


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


# --- Access (reports/access/) ---


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "created"]
    search_fields = ["name"]


@admin.register(AccessGrant)
class AccessGrantAdmin(AuditedDeletes, admin.ModelAdmin):
    list_display = ["__str__", "user", "team", "role", "domain_list"]
    list_filter = ["role"]
    search_fields = ["user__username", "team__name", "domains__name"]
    filter_horizontal = ["domains"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("user", "team", "role").prefetch_related("domains")
        )

    @admin.display(description="domains")
    def domain_list(self, obj):
        return ", ".join(d.name for d in obj.domains.all())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        grant = form.instance
        audit.record(
            request.user,
            AuditEntry.ACCESS,
            str(grant),
            created=not change,
            role=grant.role.name,
            domains=sorted(d.name for d in grant.domains.all()),
        )


# Who may see what also changes with a user's flags and groups, and with a role's permissions.
USER_ACCESS_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


class AuditedUserAdmin(AuditedDeletes, UserAdmin):
    def audit_target(self, obj) -> str:
        return f"user {obj.get_username()}"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = [name for name in form.changed_data if name in USER_ACCESS_FIELDS]
        if changed or not change:
            user = form.instance
            audit.record(
                request.user,
                AuditEntry.ACCESS,
                self.audit_target(user),
                created=not change,
                changed=changed,
                superuser=user.is_superuser,
                groups=sorted(g.name for g in user.groups.all()),
            )


class AuditedGroupAdmin(AuditedDeletes, GroupAdmin):
    def audit_target(self, obj) -> str:
        return f"group {obj.name}"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        group = form.instance
        audit.record(
            request.user,
            AuditEntry.ACCESS,
            self.audit_target(group),
            created=not change,
            permissions=sorted(p.codename for p in group.permissions.all()),
        )


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AuditedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AuditedGroupAdmin)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["when", "username", "action", "target"]
    list_filter = ["action"]
    search_fields = ["username", "target"]
    date_hierarchy = "when"
    readonly_fields = ["when", "user", "username", "action", "target", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
