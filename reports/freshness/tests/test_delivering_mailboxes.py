"""Freshness judges a domain by the mailboxes that deliver its reports, not by every mailbox."""

from datetime import timedelta

from django.utils import timezone

from reports.demo.report_xml import record_xml
from reports.freshness.queries import freshness
from reports.harness.builders import daily_report, import_ok
from reports.mail.models import Mailbox


def origin(mailbox: str, uid: int) -> str:
    return f"imap://{mailbox}/INBOX;UIDVALIDITY=1/;UID={uid}"


def test_a_failing_mailbox_that_never_delivered_a_domain_does_not_make_it_stale(db):
    now = timezone.now()
    Mailbox.objects.create(name="ours", host="127.0.0.1", username="u", last_poll=now, last_success=now)
    Mailbox.objects.create(
        name="theirs", host="127.0.0.1", username="u", last_poll=now, last_success=now - timedelta(days=3),
        last_error="Authentication failed.",
    )  # fmt: skip
    for back in (1, 2):
        rec = [record_xml(ip="192.0.2.5", count=10, header_from="a.example")]
        import_ok(daily_report(back, rec, domain="a.example"), source=origin("ours", back))
        rec = [record_xml(ip="192.0.2.6", count=10, header_from="b.example")]
        import_ok(daily_report(back, rec, domain="b.example"), source=origin("theirs", back))
    import_ok(
        daily_report(1, [record_xml(ip="192.0.2.7", count=1, header_from="c.example")], domain="c.example")
    )

    a = {f.code: f for f in freshness("a.example").checks}
    assert a["mailboxes"].ok is True and [m.name for m in freshness("a.example").mailboxes] == ["ours"]
    b = {f.code: f for f in freshness("b.example").checks}
    assert b["mailboxes"].ok is False and "Mailbox theirs fails to poll" in b["mailboxes"].text
    assert any("theirs" in text for text in freshness("b.example").banners)
    assert not any("theirs" in text for text in freshness("a.example").banners)
    # Uploaded only: no mailbox to judge, which is advice, not a failure.
    c = {f.code: f for f in freshness("c.example").checks}
    assert c["mailboxes"].ok is None and freshness("c.example").mailboxes == []
