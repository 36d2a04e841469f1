import json

from django.core.management.base import BaseCommand

from reports.ingest.consistency import differences


class Command(BaseCommand):
    help = (
        "Compare every rollup table (and each report's counts) with a rebuild from the records; "
        "print each difference and exit with status 1 if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="One JSON object with every difference.")

    def handle(self, *args, **options):
        found = differences()
        if options["json"]:
            self.stdout.write(json.dumps({"ok": not found, "differences": [d.as_json() for d in found]}))
        else:
            for d in found:
                self.stdout.write(str(d))
            self.stdout.write(f"{len(found)} differences" if found else "All rollups match the records.")
        if found:
            raise SystemExit(1)
