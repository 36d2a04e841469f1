"""The admin of access: grants, users and groups (each change audited), and the audit log."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from reports.access import audit
from reports.access.models import AccessGrant, AuditEntry


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
