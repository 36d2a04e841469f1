import json
import sys
from collections import Counter

from django.core.management.base import BaseCommand

from reports.mail.check import check
from reports.mail.config import enabled_mailboxes
from reports.mail.errors import MailboxBusy, MailboxError, TransientError
from reports.mail.poll import poll


class Command(BaseCommand):
    help = (
        "Poll every enabled mailbox once, inline (no broker needed): ingest new report mail and file it "
        "into the processed or failed folder. Exits 1 when a mailbox could not be polled. With --check, only "
        "test each mailbox's connection."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object per line and report.")
        parser.add_argument("--mailbox", help="Poll only the mailbox of this name.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only test the connection: log in, list the folders and count the messages; fetch nothing.",
        )

    def handle(self, *args, **options):
        as_json = options["json"]
        mailboxes = enabled_mailboxes()
        if options["mailbox"]:
            mailboxes = [m for m in mailboxes if m.name == options["mailbox"]]
        if not mailboxes:
            self.stderr.write(
                "No enabled mailbox" + (f" named {options['mailbox']!r}" if options["mailbox"] else "")
            )
            sys.exit(1)
        if options["check"]:
            self._check(mailboxes, as_json)
            return
        unpolled = 0
        for mailbox in mailboxes:
            counts = Counter()
            failures = []

            def show(done, mailbox=mailbox, counts=counts, failures=failures):
                msg = done.message
                counts[msg.state] += 1
                for outcome in done.outcomes:
                    counts[outcome.status] += 1
                if msg.state == msg.FAILED:
                    failures.append(f"  failed: uid {msg.uid} {msg.subject!r}: {msg.error}")
                if not as_json:
                    return
                lines = [o.as_json() for o in done.outcomes] or [
                    {
                        "source": "",
                        "member": None,
                        "status": "not-dmarc",
                        "error": msg.error,
                        "reporter_verified": None,
                    }
                ]
                for line in lines:
                    line.update(mailbox=mailbox.name, uid=msg.uid)
                    self.stdout.write(json.dumps(line))

            try:
                result = poll(mailbox, on_ingested=show)
            except (MailboxError, TransientError, MailboxBusy) as e:
                unpolled += 1
                self.stderr.write(f"mailbox {mailbox.name}: could not be polled: {e}")
                continue
            if not as_json:
                self.stdout.write(
                    f"mailbox {mailbox.name}: {result.recorded} new messages; moved {result.processed} to "
                    f"{mailbox.processed_folder} and {result.failed} to {mailbox.failed_folder}; reports: "
                    f"imported {counts['imported']}, duplicate {counts['duplicate']}, rejected "
                    f"{counts['rejected']}, not a report {counts['not-dmarc']}"
                    + (f"; {result.remaining} left for the next poll" if result.remaining else "")
                )
                for line in failures:
                    self.stdout.write(line)
        if unpolled:
            sys.exit(1)

    def _check(self, mailboxes, as_json):
        failed = 0
        for mailbox in mailboxes:
            result = check(mailbox)
            failed += not result.ok
            if as_json:
                self.stdout.write(json.dumps(result.as_json()))
            elif result.ok:
                self.stdout.write(f"mailbox {mailbox.name}: {result.summary(mailbox.folder)}")
            else:
                self.stderr.write(f"mailbox {mailbox.name}: {result.summary(mailbox.folder)}")
        if failed:
            sys.exit(1)
