import json

from django.core.management.base import BaseCommand, CommandError

from reports.rollout.tasks import resolve_sources


class Command(BaseCommand):
    help = (
        "Name recent sources now, without a broker: reverse DNS (forward-confirmed) and network "
        "(AS number, AS name, country), for every source without a fresh name."
    )

    def add_arguments(self, parser):
        parser.add_argument("--domain", default="", help="Only the sources of this policy domain.")
        parser.add_argument("--days", type=int, default=30, help="Sources seen in the last DAYS days.")
        parser.add_argument("--limit", type=int, default=2000, help="At most this many sources per kind.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        if not 1 <= options["days"] <= 3660 or options["limit"] < 1:
            raise CommandError("--days must be between 1 and 3660 and --limit at least 1")
        domain = options["domain"].strip().lower().rstrip(".")
        done = resolve_sources(days=options["days"], limit=options["limit"], domain=domain)
        if options["json"]:
            self.stdout.write(json.dumps(done))
        else:
            self.stdout.write(
                f"Reverse DNS: {done['reverse_dns']} sources; networks: {done['networks']} sources."
            )
