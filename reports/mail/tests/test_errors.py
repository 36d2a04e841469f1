"""The rules that sort connection failures into mailbox and transient errors, with plain exceptions."""

import socket
import ssl

from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from reports.mail.errors import MailboxBusy, MailboxError, Server, TransientError, classify, server_text
from reports.mail.headers import headers

SERVER = Server(host="imap.example", port=993, username="dmarc@example.com", secrets=("s3cret",))


def test_a_refused_login_needs_a_person_and_never_shows_the_secret():
    error = classify(LoginError("b'[AUTHENTICATIONFAILED] Authentication failed for s3cret'"), SERVER)

    assert isinstance(error, MailboxError)
    assert str(error) == (
        "Login as 'dmarc@example.com' on imap.example:993 failed: "
        "[AUTHENTICATIONFAILED] Authentication failed for ********"
    )


def test_network_failures_are_transient():
    assert isinstance(classify(ConnectionRefusedError(111, "Connection refused"), SERVER), TransientError)
    assert isinstance(classify(TimeoutError("timed out"), SERVER), TransientError)
    assert isinstance(classify(IMAPClientAbortError("socket error: EOF"), SERVER), TransientError)
    assert isinstance(classify(ssl.SSLEOFError(8, "EOF"), SERVER), TransientError)
    unresolved = classify(socket.gaierror(-2, "Name or service not known"), SERVER)
    assert str(unresolved) == "The name imap.example cannot be resolved: Name or service not known"


def test_a_refused_certificate_suggests_the_ca_file_unless_one_is_set():
    e = ssl.SSLCertVerificationError(1, "certificate verify failed")
    e.verify_message = "self-signed certificate"

    assert str(classify(e, SERVER)).endswith("If the server uses a private CA, set the mailbox's CA file.")
    with_ca = Server(host="imap.example", port=993, username="u", ca_file="/etc/ca.pem")
    assert "CA file" not in str(classify(e, with_ca))


def test_a_refused_command_needs_a_person():
    assert isinstance(
        classify(IMAPClientError("b'NO [NONEXISTENT] Mailbox doesn't exist'"), SERVER), MailboxError
    )


def test_errors_already_sorted_pass_through_and_bugs_are_not_swallowed():
    busy = MailboxBusy("Another poll of this mailbox is running")
    assert classify(busy, SERVER) is busy
    assert classify(KeyError("bug"), SERVER) is None


def test_server_text_drops_the_bytes_literal():
    assert server_text(IMAPClientError("b'NO nope'")) == "NO nope"


def test_broken_headers_lose_nothing():
    raw = b"Message-ID: <a@b>\r\nSubject: =?utf-8?q?caf=C3=A9?= t\x00ea\r\nDate: not a date\r\n\r\nbody"

    assert headers(raw) == {"message_id": "<a@b>", "subject": "café tea", "date": None}
