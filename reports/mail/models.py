"""The IMAP mailboxes that receive reports, and every message seen in them."""

from django.db import models

from reports.access.fields import EncryptedTextField
from reports.mail import credentials


class Mailbox(models.Model):
    """An IMAP folder that receives reports (rua=mailto:), polled by the workers."""

    TLS = "tls"
    STARTTLS = "starttls"
    NONE = "none"
    SECURITY_CHOICES = [(TLS, "TLS"), (STARTTLS, "STARTTLS"), (NONE, "None (plain text)")]

    name = models.CharField(
        max_length=100, unique=True, help_text='The mailbox named "env" is kept in step with DMARC_IMAP_*.'
    )
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=8, choices=SECURITY_CHOICES, default=TLS)
    username = models.CharField(
        max_length=255, help_text="The login; with Microsoft 365 or Google, the mailbox's email address."
    )
    password = EncryptedTextField(blank=True)  # encrypted at rest: reports/access/crypto.py
    ca_file = models.CharField(
        max_length=512, blank=True, help_text="Path to a CA certificate (PEM) for a private CA."
    )

    # --- How the mailbox logs in: a password, or an OAuth 2.0 token (SASL XOAUTH2). ---
    # Every stored secret sits in a field named `password` or ending in `_secret`.
    PASSWORD, MICROSOFT, GOOGLE = credentials.PASSWORD, credentials.MICROSOFT, credentials.GOOGLE
    AUTH_CHOICES = [
        (PASSWORD, "Password"),
        (MICROSOFT, "Microsoft 365 (OAuth 2.0)"),
        (GOOGLE, "Google (OAuth 2.0)"),
    ]
    auth = models.CharField("authentication", max_length=16, choices=AUTH_CHOICES, default=PASSWORD)
    ms_tenant = models.CharField(
        "tenant ID", max_length=255, blank=True, help_text="Microsoft Entra ID: the directory (tenant) ID."
    )
    ms_client_id = models.CharField(
        "application (client) ID", max_length=255, blank=True, help_text="The app registration's client ID."
    )
    # Every *_secret field is encrypted at rest, like the password.
    ms_client_secret = EncryptedTextField(
        "client secret", blank=True, help_text="A client secret of the app registration, or:"
    )
    ms_certificate_secret = EncryptedTextField(
        "certificate",
        blank=True,
        help_text="PEM: the private key and the certificate uploaded to the app registration.",
    )
    ms_authority = models.CharField(
        "authority",
        max_length=255,
        blank=True,
        help_text="Blank for DMARC_IMAP_MS_AUTHORITY (https://login.microsoftonline.com by default).",
    )
    google_service_account_secret = EncryptedTextField(
        "service account key",
        blank=True,
        help_text="Google Workspace: the service account's JSON key; it acts as the mailbox's address.",
    )
    google_client_id = models.CharField(
        "OAuth client ID",
        max_length=255,
        blank=True,
        help_text="Personal Gmail: an installed-app OAuth client.",
    )
    google_client_secret = EncryptedTextField("OAuth client secret", blank=True)
    google_refresh_token_secret = EncryptedTextField("refresh token", blank=True)
    # The last "Test connection": when, and what it found (folders and message count, or the error).
    checked_at = models.DateTimeField("last connection test", null=True, blank=True)
    check_result = models.TextField("connection test result", blank=True)
    folder = models.CharField(max_length=255, default="INBOX")
    processed_folder = models.CharField(max_length=255, default="DMARC/Processed")
    failed_folder = models.CharField(max_length=255, default="DMARC/Failed")
    enabled = models.BooleanField(default=True)

    # Status, shown on the dashboard so that a poll failing for weeks is seen.
    last_poll = models.DateTimeField(null=True, blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    processed_count = models.IntegerField(default=0)
    failed_count = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "mailboxes"

    def __str__(self):
        return self.name

    SECRET_FIELDS = (
        *("password", "ms_client_secret", "ms_certificate_secret"),
        *("google_service_account_secret", "google_client_secret", "google_refresh_token_secret"),
    )

    def secret_values(self) -> list[str]:
        """Every stored secret, to scrub from any text shown or logged."""
        return [getattr(self, name) for name in self.SECRET_FIELDS]


class MailMessage(models.Model):
    """One message seen in a mailbox folder, recorded before any work is done on it.

    The row is the claim: a message is fetched again only if no row exists for
    its (mailbox, folder, uidvalidity, uid), and the raw bytes stay here so
    that a failed message can be retried without the IMAP server.
    """

    NEW = "new"  # recorded, not ingested yet
    INGESTED = "ingested"  # at least one report stored (or already known)
    FAILED = "failed"  # no report, or only broken ones
    SUPERSEDED = "superseded"  # UIDVALIDITY changed before it was filed; seen again under the new one
    STATE_CHOICES = [(NEW, "New"), (INGESTED, "Ingested"), (FAILED, "Failed"), (SUPERSEDED, "Superseded")]

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    folder = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=998, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    date = models.DateTimeField(null=True, blank=True)
    raw = models.BinaryField()
    state = models.CharField(max_length=12, choices=STATE_CHOICES, default=NEW)
    error = models.TextField(blank=True)
    outcomes = models.JSONField(default=list, blank=True)
    # Where the message was moved to; empty while it still sits in `folder`.
    filed_in = models.CharField(max_length=255, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A UID names one message only within one folder and one UIDVALIDITY.
            models.UniqueConstraint(
                fields=["mailbox", "folder", "uidvalidity", "uid"], name="mailmessage_identity"
            ),
        ]
        indexes = [
            # Poll: messages of a mailbox still waiting to be ingested or filed.
            models.Index(
                fields=["mailbox", "state"],
                name="mailmessage_unfiled",
                condition=models.Q(filed_at__isnull=True),
            ),
            # Status page: failed messages of a mailbox, newest first.
            models.Index(
                fields=["mailbox", "-created"],
                name="mailmessage_failed",
                condition=models.Q(state="failed"),
            ),
        ]

    def __str__(self):
        return f"{self.mailbox} {self.folder} {self.uidvalidity}:{self.uid}"
