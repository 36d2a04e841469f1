"""The operator's marks on senders."""

from django.db import models


class SenderMark(models.Model):
    """What the operator knows: this address, network or service sends "ours" (legitimate) mail for
    the domain, or is "not ours" (spoofing). Readiness, the what-if and `rollout --json` use it."""

    KIND_CHOICES = [("ip", "address"), ("network", "network"), ("service", "service")]
    VERDICT_CHOICES = [("ours", "ours"), ("not-ours", "not ours")]

    domain = models.CharField(max_length=255)
    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    value = models.CharField(max_length=255, help_text="The address, the network (CIDR) or the service name.")
    verdict = models.CharField(max_length=8, choices=VERDICT_CHOICES)
    marked_by = models.CharField(max_length=150)
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One mark per sender and domain: marking again replaces it. Also serves the
            # readiness lookup: every mark of one domain.
            models.UniqueConstraint(fields=["domain", "kind", "value"], name="sendermark_identity"),
        ]

    def __str__(self):
        return f"{self.domain} {self.kind} {self.value}: {self.verdict}"
