import getpass

from django.core.management.base import BaseCommand, CommandError

from reports.access import audit
from reports.access.models import AuditEntry
from reports.marks import actions, queries, rules
from reports.shared.names import normalise


class Command(BaseCommand):
    help = (
        'Mark a sender of DOMAIN as "ours" (legitimate: a blocker until aligned) or "not ours" (spoofing, '
        "what enforcement is for), or clear its mark. SOURCE is an IP address, a network in CIDR form or "
        "a service's name. Without SOURCE, lists the domain's marks."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain")
        parser.add_argument("source", nargs="?")
        verdict = parser.add_mutually_exclusive_group()
        verdict.add_argument("--ours", action="store_const", dest="verdict", const=rules.OURS)
        verdict.add_argument("--not-ours", action="store_const", dest="verdict", const=rules.NOT_OURS)
        verdict.add_argument("--clear", action="store_const", dest="verdict", const="clear")
        parser.add_argument("--by", default="", help="Who marks (default: the login name, 'command line').")

    def handle(self, *args, domain, source, verdict, by, **options):
        domain = normalise(domain)
        if not domain:
            raise CommandError("Name a domain.")
        if source is None:
            if verdict:
                raise CommandError("Name the SOURCE to mark.")
            for m in queries.marks(domain):
                self.stdout.write(
                    f"{m.target}: {m.label} (by {m.marked_by}, {m.marked_at:%Y-%m-%d %H:%M} UTC)"
                )
            return
        if not verdict:
            raise CommandError("Say --ours, --not-ours or --clear.")
        try:
            if verdict == "clear":
                if actions.clear_mark(domain, source):
                    audit.record(
                        None, AuditEntry.MARK, domain, source=source, verdict="clear", by=by or _login()
                    )
                    self.stdout.write(f"Cleared the mark on {source} for {domain}.")
                else:
                    self.stdout.write(f"{source} had no mark for {domain}.")
                return
            mark = actions.set_mark(domain, source, verdict, by or f"{_login()} (command line)")
            audit.record(None, AuditEntry.MARK, domain, source=mark.value, verdict=verdict, by=mark.marked_by)
        except rules.MarkError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"Marked the {mark.target} as {mark.label} for {domain}.")


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"
