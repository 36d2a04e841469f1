import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from reports.ingest.models import Report
from reports.rollout import actions
from reports.rollout.demo import is_demo
from reports.shared.dates import WINDOW_DAYS
from reports.shared.vocabulary import ALIGNED


class Command(BaseCommand):
    help = (
        "Is DOMAIN ready for the next DMARC policy? Prints the go/no-go with its reasons, the what-if "
        "impact, every source's category and diagnosis, and the TXT record to publish next."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain")
        parser.add_argument(
            "--days", type=int, default=None, help="Window in days (default 30; 21 with --mta-sts)."
        )
        parser.add_argument(
            "--mta-sts",
            action="store_true",
            help="The MTA-STS rollout (none -> testing -> enforce) instead of DMARC's, from TLS reports.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--refresh-dns", action="store_true", help="Look the DNS records up again now.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit 0 when the domain is ready for the next stage, 1 when it is not, 2 on an error "
            "(for scripts: `manage.py rollout example.com --check --json`).",
        )

    def handle(self, *args, **options):
        domain = options["domain"].strip().lower().rstrip(".")
        # A script gating on --check must tell "not ready" (1) from "could not tell" (2).
        error_code = 2 if options["check"] else 1
        if options["mta_sts"]:
            return self._mta_sts(domain, options, error_code)
        options["days"] = options["days"] or WINDOW_DAYS
        if not 1 <= options["days"] <= 366:
            raise CommandError("--days must be between 1 and 366", returncode=error_code)
        if not Report.objects.filter(domain=domain).exists():
            raise CommandError(f"No reports for {domain}.", returncode=error_code)
        refresh = options["refresh_dns"]
        if refresh and is_demo(domain):
            self.stderr.write(f"{domain} is a demo domain with no live DNS: its demo records are kept.")
            refresh = False
        # Stored like the worker's assessment: the pages then show what this prints.
        r = actions.compute(domain, days=options["days"], refresh_dns=refresh)
        try:
            if options["json"]:
                self.stdout.write(json.dumps(r.as_json(), indent=None))
            else:
                self._text(r)
            self.stdout.flush()
        except BrokenPipeError:
            # The reader (`| head`) has gone: say nothing more, and keep Python from
            # failing again when it flushes stdout on exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if options["check"]:
            sys.exit(0 if r.ready else 1)

    def _mta_sts(self, domain, options, error_code):
        from reports.mtasts import actions

        days = options["days"] or actions.DEFAULT_DAYS
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366", returncode=error_code)
        if not actions.known(domain):
            raise CommandError(f"No TLS reports and no MTA-STS check for {domain}.", returncode=error_code)
        advice = actions.assess(domain, days, check_now=options["refresh_dns"] or not actions.checked(domain))
        if options["json"]:
            self.stdout.write(json.dumps(advice.as_json()))
        else:
            self.stdout.write("\n".join(actions.as_text(advice)))
        if options["check"]:
            sys.exit(0 if advice.ready else 1)

    def _text(self, r):
        w = self.stdout.write
        verdict = "READY" if r.ready else ("NOT READY" if r.next_stage else "FINAL STAGE")
        w(f"{r.domain}: p={r.stage} -> {r.next_stage or '-'}: {verdict}  ({r.start} to {r.end})")
        marks = {True: "✓", False: "✗", None: "·"}
        for reason in r.reason_objects:
            w(f"  {marks[reason['ok']]} {reason['text']}")
        w("")
        w(f"Record now:  {r.record_raw or '(none in DNS)'}")
        for p in r.problems:
            w(f"  [{p.severity}] {p.message}")
        w(f"Steps to the next stage (TXT _dmarc.{r.domain}):" if r.ready else "After the fixes (not now):")
        for n, step in enumerate(r.steps or [], 1):
            w(f"  {n}. {'[publish now] ' if step.now else ''}{step.when}")
            w(f"     {step.record}")
            for effect in (step.rfc7489, step.rfc9989, step.subdomains):
                w(f"       - {effect}")
        if not r.steps:
            w(f"  {r.next_record}")
        for advice in r.subdomain_advice:
            w(f"  - {advice}")
        w("")
        wi = r.what_if
        if wi and wi.change:
            w(f"What would change at p={wi.next_stage} (messages/day {wi.becomes}, share of all mail):")
            for row in wi.rows:
                w(f"  {row.category:<14} {row.per_day:>10g}  {row.share_text}")
            w(f"  {'total':<14} {wi.change.per_day:>10g}  {wi.change.share_text}")
            w(f"  apart: forwarded mail delivered by receivers that trust ARC: {wi.arc.per_day:g} a day")
            if wi.rewritten and wi.rewritten.messages:
                w(
                    "  apart: list mail delivered with the From rewritten (Google Groups, Mailman): "
                    f"{wi.rewritten.per_day:g} a day"
                )
            w("")
        w("Sources:")
        for s in r.sources:
            by = " (by network)" if s.by_network else ""
            marked = f"  [marked {s.mark.label}]" if s.mark else ""
            w(f"  {s.ip:<40} {s.category:<14} {s.messages:>10,}  {s.service or '-'}{by}{marked}")
            names = [s.hostname] if s.hostname else []
            if s.network:
                names.append(s.network.label + (f", {s.network.country}" if s.network.country else ""))
            if names:
                w(f"      {' · '.join(names)}")
            if s.category != ALIGNED:
                w(f"      {s.diagnosis}")
