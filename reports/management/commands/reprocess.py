import json

from django.core.management.base import BaseCommand

from reports.ingest.reprocess import reprocess_rejections, reprocess_reports


class Command(BaseCommand):
    help = (
        "Parse stored reports again from their original bytes (after a parser fix). "
        "With --rejected, retry the inputs that were rejected before."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Report ids (default: all reports).")
        parser.add_argument("--domain", help="Only reports for this policy domain.")
        parser.add_argument("--rejected", action="store_true", help="Retry rejected inputs instead.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["rejected"]:
            results = reprocess_rejections()
        else:
            results = reprocess_reports(options["ids"] or None, domain=options["domain"])
        changed = 0
        for result in results:
            changed += result["status"] in ("reprocessed", "imported")
            if options["json"]:
                self.stdout.write(json.dumps(result))
            elif result["status"] not in ("reprocessed", "imported"):
                self.stdout.write(f"{result['what']}: {result['status']}: {result.get('error', '')}")
        if not options["json"]:
            self.stdout.write(f"{changed} of {len(results)} done")
