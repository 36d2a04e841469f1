import json

from django.core.management.base import BaseCommand

from reports.ingest.retention import purge_older_than


class Command(BaseCommand):
    help = (
        "Delete the reports whose period ended more than DAYS days ago, with their records, "
        "and take their counts out of the rollups, in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        days = options["older_than"]
        if days < 1:
            self.stderr.write("--older-than must be at least 1 day")
            raise SystemExit(2)
        purged = purge_older_than(days)
        if options["json"]:
            self.stdout.write(json.dumps(purged.as_json()))
        else:
            self.stdout.write(
                f"Purged {purged.reports} reports ({purged.records} records) and {purged.tls_reports}"
                f" TLS reports that ended before {purged.cutoff}."
            )
