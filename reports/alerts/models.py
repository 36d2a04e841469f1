"""Alerts, their deliveries, and who hears about what."""

from django.db import models

from reports.access.fields import EncryptedTextField


class Alert(models.Model):
    """One episode of an alert condition: opened when the condition starts, resolved when it clears.

    The key (domain, rule, subject) is stable across evaluations; the database
    keeps at most one open episode per key, so two evaluations running at once
    cannot fire the same alert twice.
    """

    CRITICAL, WARNING, INFO = "critical", "warning", "info"

    key = models.CharField(max_length=700)
    domain = models.CharField(max_length=255, blank=True)  # "" for what is no one domain's (a mailbox)
    rule = models.CharField(max_length=32)
    subject = models.CharField(max_length=400)
    severity = models.CharField(max_length=16)
    title = models.CharField(max_length=500)
    text = models.TextField(blank=True)  # what fired it: figures, diagnosis, fix
    facts = models.JSONField(default=dict, blank=True)  # sources, record, links, as the rule gave them
    opened = models.DateTimeField()
    resolved = models.DateTimeField(null=True, blank=True)
    # Events (a record changed, a source appeared) end without a "resolved" message.
    announce_resolved = models.BooleanField(default=True)
    # When its firing and resolved messages were queued; empty while the hourly cap holds them back.
    notified = models.DateTimeField(null=True, blank=True)
    resolved_notified = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(resolved__isnull=True), name="alert_one_open_per_key"
            ),
        ]
        indexes = [
            # Alerts page: one domain's alerts, newest first.
            models.Index(fields=["domain", "-opened"], name="alert_domain_opened"),
            # Evaluation and the overview: the open alerts of a domain.
            models.Index(fields=["domain"], name="alert_open", condition=models.Q(resolved__isnull=True)),
        ]

    def __str__(self):
        return self.key


class Delivery(models.Model):
    """One message to one recipient (an alert's firing or resolved notice, or a digest).

    Written in the transaction that records the alert's transition, sent after
    it: a failed send stays here, retried with backoff, its error on the status
    page. The key makes a second write of the same message a no-op.
    """

    FIRING, RESOLVED, DIGEST = "firing", "resolved", "digest"
    EMAIL, APPRISE = "email", "apprise"
    PENDING, SENT, FAILED = "pending", "sent", "failed"

    key = models.CharField(max_length=1000, unique=True)
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=16)
    channel = models.CharField(max_length=16)
    # An address or an Apprise URL (which may hold a token): encrypted at rest, like mailbox secrets.
    target = EncryptedTextField()
    label = models.CharField(max_length=500)  # the target with its secrets hidden, for pages and logs
    subject = models.CharField(max_length=500)
    text = models.TextField()
    html = models.TextField(blank=True)
    unsubscribe = models.CharField(max_length=1000, blank=True)
    state = models.CharField(max_length=16, default=PENDING)
    attempts = models.IntegerField(default=0)
    next_attempt = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The sender's claim: pending deliveries that are due.
            models.Index(fields=["next_attempt"], name="delivery_due", condition=models.Q(state="pending")),
            # Status page: deliveries that failed or are being retried, newest first.
            models.Index(fields=["-created"], name="delivery_trouble", condition=~models.Q(last_error="")),
            # Hourly cap: what a domain's alerts sent lately.
            models.Index(fields=["alert", "created"], name="delivery_alert_created"),
        ]

    def __str__(self):
        return f"{self.kind} {self.channel} {self.label}"


class AlertPreference(models.Model):
    """What one user hears about one domain, and how. No row: every rule, by email."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="alert_preferences")
    domain = models.CharField(max_length=255)
    rules = models.JSONField(default=list, blank=True)  # rule names; see reports.alerts.rules.RULES
    email = models.BooleanField(default=True)
    # Apprise URLs hold tokens and passwords: encrypted at rest, shown masked (reports.alerts.forms).
    urls = EncryptedTextField(blank=True, help_text="Apprise URLs, one a line.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "domain"], name="alertpreference_identity")]

    def __str__(self):
        return f"{self.user} {self.domain}"


class DigestSubscription(models.Model):
    """Whether a user gets the weekly digest. No row: subscribed."""

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="digest_subscription")
    enabled = models.BooleanField(default=True)

    def __str__(self):
        return f"{self.user} {'on' if self.enabled else 'off'}"


class AlertThresholds(models.Model):
    """A domain's own alert thresholds; an empty field takes the setting's default."""

    domain = models.CharField(max_length=255, unique=True)
    silent_days = models.PositiveIntegerField(null=True, blank=True)
    min_messages = models.PositiveIntegerField(null=True, blank=True)
    recent_days = models.PositiveIntegerField(null=True, blank=True)
    hourly_cap = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "alert thresholds"

    def __str__(self):
        return self.domain


class AlertMemory(models.Model):
    """What the alerts last saw of a domain (its DMARC record), to tell a change from a first sight."""

    domain = models.CharField(max_length=255)
    name = models.CharField(max_length=64)
    value = models.TextField(blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["domain", "name"], name="alertmemory_identity")]

    def __str__(self):
        return f"{self.domain} {self.name}"
