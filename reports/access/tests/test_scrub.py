"""The scrub removes a password from error text whatever characters it holds (no database)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.mail.client import scrub_mailbox as scrub
from reports.models import Mailbox

passwords = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n*"), min_size=6)


def renderings(password: str) -> list[str]:
    """How errors quote a LOGIN command, or a server quoting it back."""
    imap = password.replace("\\", "\\\\").replace('"', '\\"')
    line = f'A001 LOGIN user "{imap}"'
    raw = line.encode()
    return [
        password,
        str(Exception(password)),
        line,
        repr(line),
        str(raw),  # what str() of an IMAP error carrying bytes gives
        str(raw)[2:-1],  # after _server_text strips b'...'
        repr([raw]),
        repr(repr(line)),
        repr({"password": password}),
    ]


def encodings(password: str) -> set[str]:
    """The password as each rendering may carry it; a scrubbed text holds none of them."""
    imap = password.replace("\\", "\\\\").replace('"', '\\"')
    return {password, imap, repr(password)[1:-1], repr(imap)[1:-1], str(imap.encode())[2:-1],
            str(password.encode())[2:-1]}  # fmt: skip


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(passwords)
def test_no_rendering_of_any_password_survives_the_scrub(password):
    mailbox = Mailbox(password=password)
    for text in renderings(password):
        cleaned = scrub(f"before {text} after", mailbox)
        assert "********" in cleaned
        for form in encodings(password):
            assert form not in cleaned, (text, form, cleaned)


def test_quotes_and_backslashes_in_an_imap_error():
    password = 'a"b\\c\'d\\"e'
    cleaned = scrub(str(b'A001 NO LOGIN user "a\\"b\\\\c\'d\\\\\\"e" refused'), Mailbox(password=password))
    assert cleaned == "b'A001 NO LOGIN user \"********\" refused'"


def test_every_encrypted_field_of_the_mailbox_is_scrubbed():
    mailbox = Mailbox(password="first-secret")
    assert scrub("first-secret and more", mailbox) == "******** and more"
    assert scrub("nothing here", Mailbox(password="")) == "nothing here"
    oauth = Mailbox(ms_client_secret='cl"ient', google_refresh_token_secret="1//refresh")
    assert scrub("b'cl\\\"ient' and 1//refresh", oauth) == "b'********' and ********"
