"""Text helpers for messages shown on pages and in logs."""

from __future__ import annotations


def first_line(value, limit: int = 300, default: str = "") -> str:
    """The first line of a message or of an exception's text, at most `limit` characters: what a status
    page or a log line has room for. An exception without text gives its class name."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return type(value).__name__ if isinstance(value, BaseException) else default
    return text.splitlines()[0][:limit]
