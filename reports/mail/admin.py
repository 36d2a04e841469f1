"""The admin of mailboxes: their settings and secrets (never shown back), and the messages seen."""

from django import forms
from django.contrib import admin, messages

from reports.access import audit
from reports.access.admin import AuditedDeletes
from reports.access.models import AuditEntry
from reports.mail import credentials
from reports.mail.models import Mailbox, MailMessage

# Stored secrets are never rendered back into the page: an empty field keeps the stored value.
_KEEP = "Leave empty to keep the stored value."


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
            if auth in credentials.DEFAULT_HOSTS:
                data["host"] = credentials.DEFAULT_HOSTS[auth]
            else:
                self.add_error("host", "The IMAP server's name is needed for a password login.")
        for need in credentials.unmet(auth, data):
            if cleared and need.secret:
                continue
            provider = credentials.PROVIDERS[auth]
            if len(need.alternatives) == 1:
                for name in need.alternatives[0]:
                    if not data.get(name):
                        self.add_error(name, f"{provider} needs {need.what}.")
            else:
                self.add_error(need.alternatives[0][0], f"{provider} needs {need.what}.")
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
        # Imported when first needed: the admin loads in every process, and Celery would slow the start
        # of every command.
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
