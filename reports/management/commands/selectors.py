import json

from django.core.management.base import BaseCommand

from reports.shared.names import normalise
from reports.sources.selectors import selectors
from reports.sources.tasks import refresh


class Command(BaseCommand):
    help = (
        "The DKIM selectors seen in DOMAIN's reports: signing domain, service, key type and size from the "
        "DNS, first and last seen, and flags (weak key, stopped signing, Microsoft 365's missing selector)."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain")
        parser.add_argument(
            "--refresh", action="store_true", help="Recompute them from the records and look the keys up now."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        domain = normalise(options["domain"])
        done = refresh(domain, force_keys=True) if options["refresh"] else None
        found = selectors(domain)
        if options["json"]:
            rows = [
                {
                    "selector": s.selector,
                    "signing_domain": s.signing_domain,
                    "service": s.service,
                    "key_type": s.key.key_type if s.key else None,
                    "bits": s.key.bits if s.key else None,
                    "key_error": s.key.error if s.key else None,
                    "first_seen": s.first_seen.isoformat(),
                    "last_seen": s.last_seen.isoformat(),
                    "messages": s.messages,
                    "passed": s.passed,
                    "flags": s.flags,
                }
                for s in found
            ]
            self.stdout.write(json.dumps({"domain": domain, "refreshed": done, "selectors": rows}))
            return
        for s in found:
            key = "not looked up" if s.key is None else s.key.error or f"{s.key.key_type} {s.key.bits} bits"
            self.stdout.write(
                f"{s.selector}._domainkey.{s.signing_domain} [{s.service or '?'}] {key}; "
                f"{s.first_seen} to {s.last_seen}, {s.messages:,} messages"
            )
            for f in s.flags:
                self.stdout.write(f"  ! {f}")
        if not found:
            self.stdout.write(f"No DKIM selectors seen for {domain}.")
