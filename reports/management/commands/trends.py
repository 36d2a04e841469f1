import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.shared.dates import DateRange
from reports.shared.names import normalise
from reports.sources import trend_queries
from reports.sources.tasks import refresh_service_trends
from reports.sources.trends import DAY, WEEK


class Command(BaseCommand):
    help = (
        "DOMAIN's DMARC pass rate and aligned share of legitimate mail over the last DAYS days, by day or by "
        "week (past 92 days), with the change from the previous DAYS days, and per service."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--by", choices=(DAY, WEEK), help="Default: by week past 92 days.")
        parser.add_argument(
            "--refresh", action="store_true", help="Fold the sums per service from the rollups now."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        if not 1 <= options["days"] <= 3660:
            raise CommandError("--days must be between 1 and 3660")
        domain = normalise(options["domain"])
        if options["refresh"]:
            refresh_service_trends(domain)
        rng = DateRange.last(options["days"], timezone.now().date())
        overall = trend_queries.domain_trend(domain, rng, options["by"])
        services = trend_queries.service_trends(domain, rng, by=options["by"])
        if options["json"]:
            out = {
                "domain": domain,
                **overall.as_json(),
                "services": {k: t.as_json() for k, t in services.items()},
            }
            self.stdout.write(json.dumps(out))
            return
        w = self.stdout.write
        pct = overall.current.pass_pct
        w(f"{domain}, {rng.start} to {rng.end}, by {overall.by}:")
        w(
            f"  DMARC pass {pct:.1f}% ({overall.pass_change_text or 'no earlier data'})"
            if pct is not None
            else "  no mail"
        )
        for sid, t in sorted(services.items(), key=lambda kv: -kv[1].current.messages):
            if t.current.pass_pct is not None:
                w(
                    f"  {sid}: {t.current.pass_pct:.1f}% of {t.current.messages:,} "
                    f"({t.pass_change_text or 'new'})"
                )
