import json
import sys
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand

from reports.ingest.files import default_jobs, import_files, iter_input_files
from reports.shared import events


class Command(BaseCommand):
    help = (
        "Import DMARC aggregate reports from files and directories (recursive): xml, gz, zip, eml, mbox. "
        "Exits 1 when any report was rejected."
    )

    # The system checks (URLs, admin, templates) take longer than importing a
    # small file, and nothing they check is used here; `manage.py check` runs them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--json", action="store_true", help="Print one JSON object per line and report.")
        parser.add_argument(
            "--jobs",
            type=int,
            default=default_jobs(),
            help="Worker processes for many files (default: the number of CPUs, at most 4).",
        )

    def handle(self, *paths, **options):
        as_json = options["json"]
        files = list(iter_input_files(options["paths"]))
        progress = Progress(len(files), enabled=not as_json and sys.stderr.isatty())
        counts = Counter()
        reasons = []
        domains, days, tls_domains = set(), set(), set()
        for path, outcomes in import_files(files, options["jobs"]):
            for outcome in outcomes:
                counts[outcome.status] += 1
                if outcome.status == "imported" and outcome.kind == "tlsrpt":
                    tls_domains.update(outcome.domains)
                elif outcome.status == "imported":
                    domains.add(outcome.domain)
                    days.update(outcome.days)
                if outcome.status == "rejected":
                    where = f"{outcome.origin}" + (f" ({outcome.member})" if outcome.member else "")
                    reasons.append(f"{where}: {outcome.error}")
                if as_json:
                    self.stdout.write(json.dumps(outcome.as_json()))
            progress.step(path)
        progress.done()
        # Once for all the files, from this process: the worker processes that stored them do not.
        events.send_reports_changed(__name__, domains, days)
        events.send_tls_reports_changed(__name__, tls_domains)
        if not as_json:
            self.stdout.write(
                f"imported {counts['imported']}, duplicate {counts['duplicate']}, "
                f"rejected {counts['rejected']}, not a report {counts['not-dmarc']}, "
                f"not a monitored domain {counts['foreign']} "
                f"(from {len(files)} file{'s' if len(files) != 1 else ''})"
            )
            for reason in reasons:
                self.stdout.write(f"  rejected: {reason}")
        if counts["rejected"]:
            sys.exit(1)


class Progress:
    """A one-line progress bar on a terminal; silent when output is piped."""

    def __init__(self, total, enabled):
        self.total, self.enabled, self.n = total, enabled, 0

    def step(self, path):
        self.n += 1
        if self.enabled:
            width = 30
            filled = width * self.n // max(self.total, 1)
            name = path.name[-40:]
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.n}/{self.total} {name:<40}")
            sys.stderr.flush()

    def done(self):
        if self.enabled:
            sys.stderr.write("\n")
