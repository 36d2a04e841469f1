import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from reports.access import audit, guard, rules
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
    msg = get_object_or_404(MailMessage, pk=pk)
    audit.record(request.user, AuditEntry.RETRY, f"message {msg.pk} (UID {msg.uid})", mailbox=msg.mailbox_id)
    try:
        done = mail_messages.retry_message(msg.pk)
    except VerificationDeferred as e:
        messages.warning(request, f"Message {msg.uid} waits for the DNS ({e}); the next poll tries it again.")
    else:
        _say_how_it_went(request, msg, done)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("status")
    return redirect(target)


def _say_how_it_went(request, msg, done) -> None:
    if done is None:
        messages.info(
            request, f"Nothing to retry for message {msg.uid}: it is not failed, or too big to keep."
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
