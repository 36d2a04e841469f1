"""Who a provider's subject is here (reports.sso)."""

from django.conf import settings
from django.db import models


class SsoIdentity(models.Model):
    """A user as one OpenID Connect provider knows them: its issuer and their subject.

    The subject is the one claim a provider promises never to reassign; an email address can change
    hands, and matching by it would let a new holder of an address into the old holder's account."""

    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    created = models.DateTimeField(auto_now_add=True)
    last_sign_in = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="ssoidentity_subject")]

    def __str__(self):
        return f"{self.subject} at {self.issuer}"
