from django.core.management.base import BaseCommand
from django.utils import timezone

from reports.demo.files import package
from reports.demo.scenarios import DEMO_ORIGIN, NOT_READY, READY, build_demo_reports
from reports.demo.tls_demo import build_tls_reports, demo_lookups
from reports.domains.models import Domain
from reports.ingest.models import Report
from reports.ingest.pipeline import announce_imported, ingest_bytes
from reports.rollout.demo import install_demo_dns


class Command(BaseCommand):
    help = "Import a few weeks of realistic demo reports through the normal ingestion path."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any report is stored.")

    def handle(self, *args, **options):
        if options["if_empty"] and Report.objects.exists():
            self.stdout.write("Reports already stored; demo data not loaded.")
            return
        # The demo monitors its own domains, as an operator would: reports for others are refused.
        Domain.objects.bulk_create([Domain(name=READY), Domain(name=NOT_READY)], ignore_conflicts=True)
        # The demo domains have no real DNS behind them: seed the DNS caches so the
        # rollout assistant can show its verdicts offline. First: the import below has the
        # readiness assessed, and a running worker may start at once.
        install_demo_dns()
        today = timezone.now().date()
        # MTA-STS checks made from the demo's records: no network, and the workers keep them.
        from reports.mtasts import checks

        for domain, found in demo_lookups().items():
            checks.run(domain, found)
        files = package(build_demo_reports(today)) + build_tls_reports(today)
        statuses = {}
        outcomes = []
        for name, data in files:
            outcomes += ingest_bytes(data, f"{DEMO_ORIGIN}{name}", announce=False)
        for outcome in outcomes:
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        # Once for every file: the readiness, rankings and alerts of the demo domains follow.
        announce_imported(outcomes)
        summary = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
        self.stdout.write(f"Demo data: {summary} (from {len(files)} files)")
