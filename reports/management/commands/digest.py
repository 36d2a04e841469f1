import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.alerts import digest


class Command(BaseCommand):
    help = "Send the weekly digest now to every subscribed user (once a day per user), or to one."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Only this user (username).")
        parser.add_argument("--dry-run", action="store_true", help="Send nothing; show who would get what.")
        parser.add_argument("--json", action="store_true", help="One JSON object per user, one a line.")

    def handle(self, *args, **options):
        user = options["user"]
        if user and not get_user_model().objects.filter(username=user).exists():
            raise CommandError(f"No user {user!r}.")
        results = digest.run(timezone.now().date(), username=user, dry_run=options["dry_run"])
        for r in results:
            if options["json"]:
                self.stdout.write(json.dumps(r.as_json()))
            else:
                state = "already sent today" if r.already else ("sent" if r.sent else "not sent")
                news = "quiet" if r.quiet else "news"
                self.stdout.write(f"{r.user} <{r.email}>: {len(r.domains)} domains, {news}, {state}")
        if not results and not options["json"]:
            self.stdout.write("No subscribed user with an email address.")
