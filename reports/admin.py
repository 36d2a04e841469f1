from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction

from reports.access import audit
from reports.ingest.names import domain_name
from reports.models import (
    AccessGrant,
    AlertThresholds,
    AuditEntry,
    Domain,
    ForeignReport,
    Mailbox,
    MailMessage,
    Rejection,
    Report,
    SenderMark,
)

# Stored secrets are never rendered back into the page: an empty field keeps the stored value.
_KEEP = "Leave empty to keep the stored value."
_DEFAULT_HOSTS = {Mailbox.MICROSOFT: "outlook.office365.com", Mailbox.GOOGLE: "imap.gmail.com"}


class _SecretTextarea(forms.Textarea):
    def format_value(self, value):
        return None  # like PasswordInput(render_value=False), for keys too long for one line


def _secret_field(label, *, textarea=False, help_text=""):
    widget = _SecretTextarea(attrs={"rows": 4, "autocomplete": "off"}) if textarea else forms.PasswordInput()
    return forms.CharField(
        label=label, widget=widget, required=False, help_text=f"{help_text} {_KEEP}".strip()
    )


# Changing any of these sends the mailbox's secrets, or a token got with them, elsewhere (another
# server, account, tenant or token endpoint, or a server trusted through another CA): it clears
# every stored secret of the mailbox.
CONNECTION_FIELDS = ("host", "port", "security", "ca_file", "username", "auth", "ms_tenant", "ms_authority")
# Where each secret also goes: changing that clears the secret unless a new one is typed.
_SECRET_DESTINATIONS = {
    "ms_client_secret": {"ms_client_id"},
    "ms_certificate_secret": {"ms_client_id"},
    "google_client_secret": {"google_client_id"},
    "google_refresh_token_secret": {"google_client_id"},
}


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
    host = forms.CharField(
        max_length=255,
        required=False,
        help_text="Blank with Microsoft 365 or Google: outlook.office365.com or imap.gmail.com.",
    )
    auth = forms.ChoiceField(label="Authentication", choices=Mailbox.AUTH_CHOICES, required=False)
    password = _secret_field(
        "Password",
        help_text="Changing the host, port, security, CA file, username, authentication, tenant or authority "
        "clears every stored secret of the mailbox unless new ones are entered in the same save.",
    )
    ms_client_secret = _secret_field(
        "Client secret", help_text="A client secret of the app registration, or:"
    )
    ms_certificate_secret = _secret_field(
        "Certificate",
        textarea=True,
        help_text="PEM: the unencrypted private key and the certificate uploaded to the app registration.",
    )
    google_service_account_secret = _secret_field(
        "Service account key",
        textarea=True,
        help_text="Google Workspace: the service account's JSON key; it acts as the mailbox address.",
    )
    google_client_secret = _secret_field("OAuth client secret")
    google_refresh_token_secret = _secret_field("Refresh token")

    class Meta:
        model = Mailbox
        fields = [
            *("name", "enabled", "auth", "host", "port", "security", "ca_file", "username", "password"),
            *("ms_tenant", "ms_client_id", "ms_client_secret", "ms_certificate_secret", "ms_authority"),
            *("google_service_account_secret", "google_client_id", "google_client_secret"),
            "google_refresh_token_secret",
            *("folder", "processed_folder", "failed_folder"),
        ]

    def clean(self):
        data = super().clean()
        # Whoever may edit a mailbox but not read its secrets must not be able to send them to a
        # server of their own: a new destination gets a secret only if it is typed again.
        # Left out of a form (a script's POST), the method stays what it was.
        auth = data["auth"] = data.get("auth") or self.instance.auth or Mailbox.PASSWORD
        changed = set(self.changed_data) - {*Mailbox.SECRET_FIELDS, "auth"}
        if self.instance.pk and auth != self.instance.auth:
            changed.add("auth")
        moved = {
            name
            for name in Mailbox.SECRET_FIELDS
            if changed & {*CONNECTION_FIELDS, *_SECRET_DESTINATIONS.get(name, ())}
        }
        # What this save does to each stored secret, for the audit entry: typed anew, cleared, or kept.
        self.secrets_done = {}
        for name in Mailbox.SECRET_FIELDS:
            stored = getattr(self.instance, name) if self.instance.pk else ""
            if data.get(name):
                self.secrets_done[name] = "new"
            elif self.instance.pk:
                data[name] = "" if name in moved else stored
                if name in moved and stored:
                    self.secrets_done[name] = "cleared"
        self.changed_fields = sorted(changed)
        # A save that cleared secrets goes through: the mailbox then fails to log in, saying what it
        # needs, until someone who knows them types them again.
        cleared = "cleared" in self.secrets_done.values()
        if not data.get("host"):
            if auth in _DEFAULT_HOSTS:
                data["host"] = _DEFAULT_HOSTS[auth]
            else:
                self.add_error("host", "The IMAP server's name is needed for a password login.")
        if auth == Mailbox.MICROSOFT:
            for name in ("ms_tenant", "ms_client_id"):
                if not data.get(name):
                    self.add_error(name, "Microsoft 365 needs this.")
            if not (data.get("ms_client_secret") or data.get("ms_certificate_secret") or cleared):
                self.add_error("ms_client_secret", "Microsoft 365 needs a client secret or a certificate.")
        elif auth == Mailbox.GOOGLE:
            installed = ("google_client_id", "google_client_secret", "google_refresh_token_secret")
            has_key = data.get("google_service_account_secret") or all(data.get(n) for n in installed)
            if not (has_key or cleared):
                self.add_error(
                    "google_service_account_secret",
                    "Google needs a service account key, or an OAuth client ID, client secret and "
                    "refresh token.",
                )
        return data


@admin.register(Mailbox)
class MailboxAdmin(AuditedDeletes, admin.ModelAdmin):
    audit_action = AuditEntry.MAILBOX
    form = MailboxForm
    list_display = ["name", "auth", "host", "username", "folder", "enabled", "last_success", "last_error"]
    list_filter = ["enabled", "auth"]
    readonly_fields = [
        *("last_poll", "last_success", "last_error", "processed_count", "failed_count"),
        *("checked_at", "check_result"),
    ]
    actions = ["test_connection"]
    fieldsets = [
        (None, {"fields": ["name", "enabled"]}),
        ("Server", {"fields": ["host", "port", "security", "ca_file", "username", "auth", "password"]}),
        (
            "Microsoft 365",
            {
                "fields": [
                    "ms_tenant",
                    "ms_client_id",
                    "ms_client_secret",
                    "ms_certificate_secret",
                    "ms_authority",
                ],
                "description": (
                    "In Microsoft Entra ID: register an app; add the application permission IMAP.AccessAsApp "
                    "(Office 365 Exchange Online) and grant admin consent; add a client secret or upload a "
                    "certificate. In Exchange Online PowerShell: New-ServicePrincipal -AppId "
                    "&lt;client ID&gt; "
                    "-ObjectId &lt;enterprise app object ID&gt;, then Add-MailboxPermission "
                    "-Identity &lt;mailbox&gt; "
                    "-User &lt;service principal&gt; -AccessRights FullAccess. The login (username) is the "
                    "mailbox's address."
                ),
            },
        ),
        (
            "Google",
            {
                "fields": [
                    *("google_service_account_secret", "google_client_id", "google_client_secret"),
                    "google_refresh_token_secret",
                ],
                "description": (
                    "Google Workspace: a service account with a JSON key, allowed in the Admin "
                    "console (Security "
                    "&gt; API controls &gt; Domain-wide delegation) for the scope https://mail.google.com/. "
                    "Personal Gmail: an installed-app OAuth client and a refresh token instead. The login "
                    "(username) is the mailbox's address."
                ),
            },
        ),
        ("Folders", {"fields": ["folder", "processed_folder", "failed_folder"]}),
        ("Status", {"fields": readonly_fields}),
    ]

    @admin.action(description="Test connection (log in, list folders, count messages)")
    def test_connection(self, request, queryset):
        from reports.mail.tasks import check_mailbox

        names = []
        for mailbox in queryset:
            try:
                check_mailbox.delay(mailbox.pk)
            except Exception:  # noqa: BLE001 - no broker: say so rather than fail the page
                self.message_user(
                    request,
                    f"{mailbox.name}: the test could not be queued (is the broker up?)",
                    messages.ERROR,
                )
                continue
            names.append(mailbox.name)
        if names:
            # The login may take seconds: a worker does it, and stores the outcome on the mailbox.
            self.message_user(
                request,
                f"Connection test queued for {', '.join(names)}; its result appears under "
                '"connection test result" in a few seconds.',
                messages.INFO,
            )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A secret field left empty keeps the stored value: it is "changed" only when typed or cleared.
        changed = [*form.changed_fields, *(f"{name} ({done})" for name, done in form.secrets_done.items())]
        cleared = sorted(n for n, done in form.secrets_done.items() if done == "cleared")
        if cleared:
            self.message_user(
                request,
                f"{obj.name} goes elsewhere now: its stored secrets were cleared ({', '.join(cleared)}). "
                "It cannot log in until they are entered again.",
                messages.WARNING,
            )
        audit.record(
            request.user,
            AuditEntry.MAILBOX,
            obj.name,
            created=not change,
            changed=changed,
            cleared=cleared,
        )


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
    list_display = ["created", "source", "member", "status", "error", "resolved"]
    list_filter = ["status"]
    search_fields = ["source", "error"]
    exclude = ["original"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Untrusted input (issue 11) ---


class DomainForm(forms.ModelForm):
    class Meta:
        model = Domain
        fields = ["name"]
        help_texts = {"name": "A domain whose reports are kept; its subdomains are included."}

    def clean_name(self):
        name = domain_name(self.cleaned_data["name"])
        if name is None:
            raise forms.ValidationError("Not a domain name (letters, digits, hyphens and dots).")
        return name


@admin.register(Domain)
class DomainAdmin(AuditedDeletes, admin.ModelAdmin):
    audit_action = AuditEntry.DOMAINS
    form = DomainForm
    list_display = ["name", "created"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        before = form.initial.get("name") if change else None
        super().save_model(request, obj, form, change)
        audit.record(request.user, AuditEntry.DOMAINS, obj.name, created=not change, renamed_from=before)


@admin.register(ForeignReport)
class ForeignReportAdmin(admin.ModelAdmin):
    list_display = ["domain", "reports", "last_seen"]
    search_fields = ["domain"]
    ordering = ["-reports"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Access (reports/access/) ---


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


# --- Alerts (reports/alerts/) ---
THRESHOLDS = ("silent_days", "min_messages", "recent_days", "hourly_cap")


class AlertThresholdsForm(forms.ModelForm):
    class Meta:
        model = AlertThresholds
        fields = ["domain", *THRESHOLDS]

    def clean(self):
        data = super().clean()
        # As the settings they stand in for: 0 would mean "never" (an hourly cap of 0 holds every alert).
        for name in THRESHOLDS:
            if data.get(name) is not None and data[name] < 1:
                self.add_error(name, "At least 1 (leave it empty for the setting's default).")
        return data


@admin.register(AlertThresholds)
class AlertThresholdsAdmin(AuditedDeletes, admin.ModelAdmin):
    audit_action = AuditEntry.ALERTS
    form = AlertThresholdsForm
    list_display = ("domain", *THRESHOLDS)
    search_fields = ("domain",)

    def audit_target(self, obj) -> str:
        return f"alert thresholds of {obj.domain}"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            request.user,
            AuditEntry.ALERTS,
            self.audit_target(obj),
            created=not change,
            changed=form.changed_data,
            **{name: getattr(obj, name) for name in THRESHOLDS},
        )


# The operator's marks on senders (reports/marks/): set from the pages or `manage.py mark`.
@admin.register(SenderMark)
class SenderMarkAdmin(admin.ModelAdmin):
    list_display = ["domain", "kind", "value", "verdict", "marked_by", "marked_at"]
    list_filter = ["verdict", "kind"]
    search_fields = ["domain", "value", "marked_by"]
    readonly_fields = ["marked_by", "marked_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(request.user, AuditEntry.MARK, obj.domain, source=obj.value, verdict=obj.verdict)
        self._readiness_follows([obj.domain])

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
        self._readiness_follows({m.domain for m in marks})

    def _readiness_follows(self, domains):
        # As when a mark is set or cleared from a page: readiness is computed again with the marks.
        from reports.rollout.tasks import queue_domain_summaries

        for domain in sorted(domains):
            transaction.on_commit(partial(queue_domain_summaries, domain))

    def has_add_permission(self, request):
        return False
