"""Mailboxes that cannot be polled: a clear error on the mailbox, no crash loop, no password anywhere."""

import logging

import pytest

from reports.harness.dovecot import free_port
from reports.harness.report_mail import report_email, small_report
from reports.mail import tasks
from reports.mail.errors import MailboxError, TransientError, scrub
from reports.mail.poll import poll
from reports.models import Report

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]


def poll_error(mailbox, kind=MailboxError):
    with pytest.raises(kind) as caught:
        poll(mailbox)
    mailbox.refresh_from_db()
    assert mailbox.last_error == str(caught.value)
    assert mailbox.last_poll is not None and mailbox.last_success is None
    return mailbox.last_error


def test_a_wrong_password_is_a_clear_error_without_the_password(dovecot, imap_user, make_mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    mailbox = make_mailbox(password="Not-The-Secret-42")

    error = poll_error(mailbox)

    assert f"Login as '{imap_user.name}' on 127.0.0.1:{dovecot.imap_port} failed" in error
    assert "Authentication failed" in error
    assert "Not-The-Secret-42" not in caplog.text


def test_a_good_login_never_logs_the_password(dovecot, imap_user, make_mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    dovecot.deliver(imap_user, [report_email(small_report(1))])

    poll(make_mailbox())

    assert Report.objects.count() == 1
    assert imap_user.password not in caplog.text


def test_an_unknown_folder_is_a_clear_error(dovecot, make_mailbox):
    mailbox = make_mailbox(folder="No/Such/Folder")

    error = poll_error(mailbox)

    assert error.startswith("The folder 'No/Such/Folder' cannot be opened")
    assert "doesn't exist" in error


def test_a_refused_certificate_is_a_clear_error_and_the_ca_file_fixes_it(dovecot, imap_user, make_mailbox):
    dovecot.deliver(imap_user, [report_email(small_report(1))])
    mailbox = make_mailbox(security="tls")

    error = poll_error(mailbox)

    assert error.startswith(f"The TLS certificate of 127.0.0.1:{dovecot.imaps_port} was refused")
    assert "set the mailbox's CA file" in error
    assert Report.objects.count() == 0 and dovecot.count(imap_user, "INBOX") == 1

    mailbox.ca_file = str(dovecot.ca_file)
    mailbox.save()
    poll(mailbox)

    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.last_success is not None
    assert Report.objects.count() == 1


def test_starttls_verifies_the_certificate_too(dovecot, imap_user, make_mailbox):
    dovecot.deliver(imap_user, [report_email(small_report(1))])
    mailbox = make_mailbox(security="starttls")

    assert "was refused" in poll_error(mailbox)

    mailbox.ca_file = str(dovecot.ca_file)
    mailbox.save()
    poll(mailbox)
    assert Report.objects.count() == 1


def test_a_missing_ca_file_is_a_clear_error(make_mailbox):
    error = poll_error(make_mailbox(security="tls", ca_file="/nonexistent/ca.pem"))

    assert error.startswith("The CA file /nonexistent/ca.pem cannot be used")


def test_tls_against_a_plain_port_is_a_clear_error(dovecot, make_mailbox):
    mailbox = make_mailbox(security="tls", port=dovecot.imap_port)

    assert "TLS with 127.0.0.1" in poll_error(mailbox)


def test_a_server_that_is_down_is_a_transient_error(make_mailbox):
    error = poll_error(make_mailbox(port=free_port()), TransientError)

    assert "Connection refused" in error


def attempts(caplog):
    return sum("poll failed" in r.getMessage() for r in caplog.records)


def test_a_mailbox_error_ends_the_task_without_retries(dovecot, make_mailbox, celery_broker, caplog):
    mailbox = make_mailbox(password="wrong")

    result = tasks.poll_mailbox.apply(args=(mailbox.pk,))

    # The next scheduled poll tries again: no retry storm against a server refusing us.
    assert result.successful() and attempts(caplog) == 1
    mailbox.refresh_from_db()
    assert "Authentication failed" in mailbox.last_error


def test_a_transient_error_is_retried_a_few_times_then_given_up(make_mailbox, celery_broker, caplog):
    mailbox = make_mailbox(port=free_port())

    result = tasks.poll_mailbox.apply(args=(mailbox.pk,))

    assert isinstance(result.result, TransientError)
    assert attempts(caplog) == 1 + tasks.poll_mailbox.max_retries
    mailbox.refresh_from_db()
    assert "Connection refused" in mailbox.last_error


def test_scrub_removes_the_password_in_every_form_it_may_take():
    text = scrub('LOGIN "user" "se\\"cr\\\\et" failed; se"cr\\et; \'se"cr\\\\et\'', ['se"cr\\et'])

    assert "cr" not in text and text.count("********") == 3
