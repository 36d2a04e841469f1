import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from reports.access import audit, guard, redirects, rules
from reports.access.models import AuditEntry
from reports.ingest.errors import VerificationDeferred
from reports.mail import messages as mail_messages
from reports.mail.models import MailMessage
from reports.mail.tasks import poll_mailbox

log = logging.getLogger(__name__)


@login_required
@require_POST
def retry_message(request, pk):
    """Ingest a failed message again from its stored bytes, right away; a
    worker then moves it to the processed folder if it now yields a report."""
    guard.require(request, rules.RETRY)
    msg = get_object_or_404(MailMessage.objects.defer("raw"), pk=pk)
    domains = _domains_of(msg)
    # A retry stores reports: the operator role on every domain the message holds, and an admin for
    # a message whose domains are unknown (nothing could be read of it). Others get a 404, as for a
    # report outside their grants.
    if not request.user.is_superuser:
        if not domains:
            raise Http404("No such message")
        for domain in domains:
            guard.domain_or_404(request, domain, rules.RETRY)
    audit.record(
        request.user,
        AuditEntry.RETRY,
        f"message {msg.pk} (UID {msg.uid})",
        mailbox=msg.mailbox_id,
        domains=sorted(domains or ()),
    )
    try:
        done = mail_messages.retry_message(msg.pk)
    except VerificationDeferred as e:
        messages.warning(request, f"Message {msg.uid} waits for the DNS ({e}); the next poll tries it again.")
    else:
        _say_how_it_went(request, msg, done)
    return redirects.back(request, reverse("status"))


def _domains_of(msg: MailMessage) -> set[str] | None:
    """The policy domains of the message's reports, as its last ingestion read them; None when any
    part of it had none (a report that could not be read names no domain)."""
    outcomes = msg.outcomes if isinstance(msg.outcomes, list) else []
    domains = {o.get("domain") for o in outcomes if isinstance(o, dict)}
    if not outcomes or not all(isinstance(d, str) and d for d in domains):
        return None
    return domains


def _say_how_it_went(request, msg, done) -> None:
    if done is None:
        messages.info(
            request,
            f"Nothing to retry for message {msg.uid}: it is not failed, or its bytes were not kept "
            "(too big, or past DMARC_MAX_FAILED_MAIL_BYTES).",
        )
    elif done.message.state == MailMessage.FAILED:
        messages.error(request, f"Message {msg.uid} failed again: {done.message.error}")
    else:
        imported = sum(o.status == "imported" for o in done.outcomes)
        messages.success(request, f"Message {msg.uid}: {imported} report(s) imported.")
        _queue_refile(msg.mailbox_id)


def _queue_refile(mailbox_id):
    try:
        poll_mailbox.delay(mailbox_id, follow_up=True)
    except Exception:  # noqa: BLE001 - no broker: the next scheduled poll moves the message
        log.warning(
            "Could not queue a poll of mailbox %s; the next scheduled poll files the message", mailbox_id
        )
