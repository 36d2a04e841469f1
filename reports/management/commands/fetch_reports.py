import json
import sys
from collections import Counter

from django.core.management.base import BaseCommand

from reports.mail import mailbox as mail


class Command(BaseCommand):
    help = (
        "Poll every enabled mailbox once, inline (no broker needed): ingest new report mail and file it "
        "into the processed or failed folder. Exits 1 when a mailbox could not be polled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object per line and report.")
        parser.add_argument("--mailbox", help="Poll only the mailbox of this name.")

    def handle(self, *args, **options):
        as_json = options["json"]
        mailboxes = mail.enabled_mailboxes()
        if options["mailbox"]:
            mailboxes = [m for m in mailboxes if m.name == options["mailbox"]]
        if not mailboxes:
            self.stderr.write(
                "No enabled mailbox" + (f" named {options['mailbox']!r}" if options["mailbox"] else "")
            )
            sys.exit(1)
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
                result = mail.poll(mailbox, on_ingested=show)
            except (mail.MailboxError, mail.TransientError, mail.MailboxBusy) as e:
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
