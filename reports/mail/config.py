"""Which mailboxes to poll: those set up in the admin, and the one the
DMARC_IMAP_* environment variables define."""

from __future__ import annotations

from django.conf import settings

from reports.mail.models import Mailbox

ENV_MAILBOX = "env"


def sync_env_mailbox() -> Mailbox | None:
    """Keep the Mailbox row named "env" in step with DMARC_IMAP_* settings."""
    conf = settings.DMARC_IMAP
    if not conf:
        return None
    mailbox, created = Mailbox.objects.get_or_create(name=ENV_MAILBOX, defaults=conf)
    if not created:
        changed = [name for name, value in conf.items() if getattr(mailbox, name) != value]
        for name in changed:
            setattr(mailbox, name, conf[name])
        if changed:
            mailbox.save(update_fields=changed)
    return mailbox


def enabled_mailboxes() -> list[Mailbox]:
    sync_env_mailbox()
    return list(Mailbox.objects.filter(enabled=True).order_by("name"))
