"""Who may see which domains and do what on them, and who did what (reports.access)."""

from django.conf import settings
from django.db import models

from reports.access import rules as access_rules


class AccessGrant(models.Model):
    """A role on a set of monitored domains, given to one user or to a group of users (a team)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_grants",
    )
    team = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_grants",
        help_text="Instead of a user: every member of this group.",
    )
    role = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        related_name="role_grants",
        help_text="viewer or operator (or a group of your own): its permissions are what the grant allows.",
    )
    domains = models.ManyToManyField(
        "reports.Domain", related_name="grants", help_text="Subdomains are included."
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = access_rules.PERMISSIONS
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="accessgrant_user_or_team",
            ),
            # One grant per holder and role: `manage.py grant` adds domains to it.
            models.UniqueConstraint(
                fields=["user", "role"], condition=models.Q(user__isnull=False), name="accessgrant_user_role"
            ),
            models.UniqueConstraint(
                fields=["team", "role"], condition=models.Q(team__isnull=False), name="accessgrant_team_role"
            ),
        ]

    def __str__(self):
        return f"{self.user or self.team}: {self.role}"


class AuditEntry(models.Model):
    """Who did what, and when: uploads, retries, DNS refreshes, marks, mailbox, access, alert and
    monitored-domain changes, report deletions, API tokens made or revoked and writes through the API."""

    UPLOAD = "upload"
    RETRY = "retry"
    REFRESH_DNS = "refresh_dns"
    MAILBOX = "mailbox"
    ACCESS = "access"
    ALERTS = "alerts"
    MARK = "mark"
    REPORTS = "reports"
    DOMAINS = "domains"
    SIGN_IN = "sign_in"
    API_TOKEN = "api_token"
    API = "api"
    ACTION_CHOICES = [
        (UPLOAD, "Uploaded a file"),
        (RETRY, "Retried a message"),
        (REFRESH_DNS, "Refreshed DNS"),
        (MAILBOX, "Changed a mailbox"),
        (ACCESS, "Changed access"),
        (ALERTS, "Changed alert settings"),
        (MARK, "Marked a sender"),
        (REPORTS, "Deleted reports"),
        (DOMAINS, "Changed monitored domains"),
        (SIGN_IN, "Signed in with single sign-on, or was refused"),
        (API_TOKEN, "Created or revoked an API token"),
        (API, "Wrote through the API"),
    ]

    when = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too: the entry outlives the account.
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=16, choices=ACTION_CHOICES)
    target = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            # The admin's list: newest first.
            models.Index(fields=["-when"], name="auditentry_when"),
        ]

    def __str__(self):
        return f"{self.when:%Y-%m-%d %H:%M} {self.username or '(system)'} {self.action} {self.target}"
