import json

from django.core.management.base import BaseCommand

from reports.rollout import lint, resolve


class Command(BaseCommand):
    help = (
        "Check DOMAIN's DMARC record, SPF record (lookup count) and DKIM keys; results go to the DNS cache."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain")
        parser.add_argument(
            "--selector", action="append", default=[], help="DKIM selector to look up (repeat)."
        )
        parser.add_argument("--refresh", action="store_true", help="Ignore cached answers.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        domain = options["domain"].strip().lower().rstrip(".")
        selectors = [(s, domain) for s in options["selector"]]
        i = lint.inspect(domain, resolve.cached_resolver(refresh=options["refresh"]), selectors)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "domain": domain,
                        "dmarc": {
                            "raw": i.dmarc.record.raw if i.dmarc.record else "",
                            "tags": i.dmarc.record.tags if i.dmarc.record else {},
                            "problems": [p.as_json() for p in i.dmarc.problems],
                        },
                        "spf": {
                            "raw": i.spf.record,
                            "lookups": i.spf.lookups,
                            "problems": [p.as_json() for p in i.spf.problems],
                        },
                        "dkim": [
                            {"name": k.name, "found": k.found, "bits": k.bits,
                             "problems": [p.as_json() for p in k.problems]}
                            for k in i.dkim
                        ],
                    }
                )
            )  # fmt: skip
            return
        w = self.stdout.write
        w(f"DMARC _dmarc.{domain}: {i.dmarc.record.raw if i.dmarc.record else '(none)'}")
        for p in i.dmarc.problems:
            w(f"  [{p.severity}] {p.message}")
        w(f"SPF {domain}: {i.spf.record or '(none)'}  ({i.spf.lookups} lookups of 10)")
        for p in i.spf.problems:
            w(f"  [{p.severity}] {p.message}")
        for k in i.dkim:
            w(f"DKIM {k.name}: {'found' if k.found else 'missing'}{f' ({k.bits} bits)' if k.bits else ''}")
            for p in k.problems:
                w(f"  [{p.severity}] {p.message}")
