"""Personal API tokens (reports.api)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class ApiToken(models.Model):
    """A token acts for its user, within its scopes. Only a hash of the secret is kept: the token is
    shown once, when it is made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    # The first characters of the token, to recognise it in a list; not enough to use it.
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, hex.")
    scopes = ArrayField(models.CharField(max_length=16), default=list)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True, help_text="Empty: never.")
    # Noted at most once a minute (reports.api.rules.NOTE_USE_EVERY): reads do not write on every request.
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        indexes = [models.Index(fields=["user", "-created"], name="apitoken_user_created")]

    def __str__(self):
        return f"{self.prefix}… ({self.name or 'unnamed'}, {self.user})"
