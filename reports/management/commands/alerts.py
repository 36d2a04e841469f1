import json

from django.core.management.base import BaseCommand, CommandError

from reports.alerts import evaluate
from reports.shared.names import normalise


class Command(BaseCommand):
    help = (
        "Evaluate every alert rule now and send what is new: an alert fires once when its condition starts "
        "and once more when it clears. A second run right after sends nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--domain", action="append", help="Only this domain (repeatable).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Record and send nothing; show what would fire."
        )
        parser.add_argument("--json", action="store_true", help="One JSON object per alert, one a line.")

    def handle(self, *args, **options):
        domains = None
        if options["domain"]:
            try:
                domains = sorted({normalise(d) for d in options["domain"]})
            except ValueError as e:
                raise CommandError(str(e)) from None
        outcomes = evaluate.run(domains, dry_run=options["dry_run"])
        for o in outcomes:
            if options["json"]:
                self.stdout.write(json.dumps(o.as_json()))
            else:
                sent = "sent" if o.sent else ("dry run" if options["dry_run"] else "not sent")
                self.stdout.write(
                    f"{o.state:8} {o.severity:8} {o.title}  [{sent}: {', '.join(o.recipients) or 'nobody'}]"
                )
        if not options["json"] and not outcomes:
            self.stdout.write("Nothing new.")
