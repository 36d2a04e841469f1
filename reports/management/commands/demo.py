from django.core.management.base import BaseCommand
from django.utils import timezone

from reports.demo import build_reports
from reports.ingest import ingest_bytes
from reports.models import Report


class Command(BaseCommand):
    help = "Import a few weeks of realistic demo reports through the normal ingestion path."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any report is stored.")

    def handle(self, *args, **options):
        if options["if_empty"] and Report.objects.exists():
            self.stdout.write("Reports already stored; demo data not loaded.")
            return
        today = timezone.now().date()
        files = list(build_reports(today))
        try:
            from reports.demo_scenarios import build_demo_reports
        except ImportError:
            pass
        else:
            files += build_demo_reports(today)
        statuses = {}
        for name, data in files:
            for outcome in ingest_bytes(data, f"demo/{name}"):
                statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
        self.stdout.write(f"Demo data: {summary} (from {len(files)} files)")
