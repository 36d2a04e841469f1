from django import template

from reports.models import Mailbox, MailMessage

register = template.Library()

FAILED_SHOWN = 50


@register.simple_tag
def mailbox_status():
    """Every mailbox with its newest failed messages (as `.failed`), for the status page."""
    mailboxes = list(Mailbox.objects.order_by("name"))
    for mailbox in mailboxes:
        failed = MailMessage.objects.filter(mailbox=mailbox, state=MailMessage.FAILED)
        mailbox.failed = list(failed.defer("raw", "outcomes").order_by("-created")[:FAILED_SHOWN])
    return mailboxes
