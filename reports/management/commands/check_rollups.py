import json

from django.core.management.base import BaseCommand

from reports.ingest.consistency import differences, repair


class Command(BaseCommand):
    help = (
        "Compare every rollup table (and each report's counts) with a rebuild from the records; "
        "print each difference and exit with status 1 if there is any. With --repair, rebuild what "
        "differs (in one transaction) and exit with status 1 only if a difference remains."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="One JSON object with every difference.")
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Rebuild what differs from the records, and say what changed.",
        )

    def handle(self, *args, **options):
        if options["repair"]:
            found, done = repair()
            remaining = differences()
        else:
            found, done, remaining = differences(), None, None
        left = found if remaining is None else remaining
        if options["json"]:
            out = {"ok": not left, "differences": [d.as_json() for d in found]}
            if done is not None:
                out.update(repaired=done.as_json(), remaining=[d.as_json() for d in remaining])
            self.stdout.write(json.dumps(out))
        else:
            for d in found:
                self.stdout.write(str(d))
            self.stdout.write(f"{len(found)} differences" if found else "All rollups match the records.")
            if done is not None and found:
                self.stdout.write(
                    f"Repaired: the counts of {len(done.reports)} reports, the daily rollups of "
                    f"{len(done.daily_rollups)} reports, {sum(done.orphans.values())} rows of deleted"
                    f" reports; rebuilt the rollups of {', '.join(done.domains) or 'no domain'}."
                )
                for d in remaining:
                    self.stdout.write(f"still: {d}")
        if left:
            raise SystemExit(1)
