import json

from django.core.management.base import BaseCommand

from reports.sources.queries import own_services
from reports.sources.services import catalogue


class Command(BaseCommand):
    help = (
        "List the sending services sources are named from: the operator's own (admin: services of your "
        "own) and the built-in catalogue, with their kinds and signals."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        own = own_services()
        listed = [(s, "operator") for s in own] + [(s, "catalogue") for s in catalogue()]
        if options["json"]:
            rows = [
                {
                    "id": s.id,
                    "name": s.name,
                    "kind": s.kind,
                    "kind_label": s.kind_label,
                    "defined_by": origin,
                    "signals": {"dkim": s.dkim, "spf": s.spf, "rdns": s.rdns, "asn": s.asn},
                    "source": s.source,
                }
                for s, origin in listed
            ]
            counts = {"operator": len(own), "catalogue": len(listed) - len(own)}
            self.stdout.write(json.dumps({"count": len(rows), "counts": counts, "services": rows}))
            return
        for s, origin in listed:
            signals = [f"d={d}" for d in s.dkim] + [f"mailfrom={d}" for d in s.spf]
            signals += [f"rdns={d}" for d in s.rdns] + [f"AS{n}" for n in s.asn]
            mine = " (yours)" if origin == "operator" else ""
            self.stdout.write(f"{s.name}{mine} [{s.kind_label}]: {' '.join(signals)}")
        self.stdout.write(f"{len(listed)} services, {len(own)} of your own.")
