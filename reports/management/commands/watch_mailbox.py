import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports.mail.config import enabled_mailboxes
from reports.mail.watch import Watcher


class Command(BaseCommand):
    help = (
        "Watch one mailbox with IMAP IDLE and ingest each report seconds after it arrives "
        "(inline, no broker). Stops cleanly on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", help="The mailbox's name (default: the only enabled one).")
        parser.add_argument(
            "--idle-seconds",
            type=int,
            default=300,
            help="Poll anyway after this long without news (servers drop IDLE after 30 minutes).",
        )

    def handle(self, *args, **options):
        mailboxes = enabled_mailboxes()
        if options["mailbox"]:
            mailboxes = [m for m in mailboxes if m.name == options["mailbox"]]
        if len(mailboxes) != 1:
            names = ", ".join(m.name for m in mailboxes) or "none"
            raise CommandError(f"Name one enabled mailbox with --mailbox (enabled: {names})")
        watcher = Watcher(mailboxes[0], idle_seconds=options["idle_seconds"], say=self._say)

        def stop(signum, frame):
            watcher.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        watcher.run(error_pause=settings.DMARC_POLL_INTERVAL)
        self._say("stopped")

    def _say(self, text):
        self.stdout.write(f"{time.strftime('%H:%M:%S')} {text}")
        self.stdout.flush()
