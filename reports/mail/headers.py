"""What a raw message's headers say, for display and for finding it again."""

from __future__ import annotations

import email.header
import email.parser
import email.utils
import logging
import re
from datetime import UTC

log = logging.getLogger(__name__)


def headers(raw: bytes, mailbox_name: str = "", uid: int | None = None) -> dict:
    """Message-ID, subject and date, for display; a broken header is no reason to lose a message."""
    out = {"message_id": "", "subject": "", "date": None}
    head = re.split(rb"\r?\n\r?\n", raw[: 256 * 1024], maxsplit=1)[0]
    try:
        msg = email.parser.BytesHeaderParser().parsebytes(head)
        if msg.defects:
            log.warning("Mailbox %s: message %s has broken headers: %s", mailbox_name, uid, msg.defects)
        out["message_id"] = _clean(str(msg.get("Message-ID", "")).strip())
        subject = msg.get("Subject", "")
        out["subject"] = _clean(str(email.header.make_header(email.header.decode_header(subject))))
        date = email.utils.parsedate_to_datetime(str(msg.get("Date", "")))
        out["date"] = date if date.tzinfo else date.replace(tzinfo=UTC)
    except Exception:  # noqa: BLE001, S110 - bad headers of every kind are common in the wild
        pass
    return out


def _clean(text: str) -> str:
    # PostgreSQL text holds neither NUL nor lone surrogates (undecodable header bytes).
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:998]
