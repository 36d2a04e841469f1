import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reports.api import rules, tokens
from reports.api.models import ApiToken


class Command(BaseCommand):
    help = (
        "API tokens: `create USERNAME --scope read [--scope ingest] [--scope marks] [--expires-days N]` "
        "prints a new token once; `list [USERNAME]`; `revoke ID`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token for USERNAME and print it (shown only now).")
        create.add_argument("username")
        create.add_argument("--scope", action="append", dest="scopes", choices=rules.SCOPES, required=True)
        create.add_argument("--name", default="", help="What the token is for.")
        create.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (default: never)."
        )
        create.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="The tokens (of USERNAME), newest first; never their secrets.")
        listing.add_argument("username", nargs="?")
        listing.add_argument("--json", action="store_true")
        revoke = sub.add_parser("revoke", help="Revoke the token with this id.")
        revoke.add_argument("id", type=int)
        revoke.add_argument("--json", action="store_true")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _user(self, username):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}") from None

    def _create(self, username, scopes, name, expires_days, json, **options):
        try:
            row, secret = tokens.create(self._user(username), scopes, name=name, expires_days=expires_days)
        except ValueError as e:
            raise CommandError(str(e)) from None
        if json:
            self.stdout.write(_json({**tokens.as_json(row), "token": secret}))
            return
        self.stdout.write(secret)
        self.stderr.write(
            f"Token {row.pk} for {username} ({', '.join(row.scopes)}): shown only now, keep it."
        )

    def _list(self, username, json, **options):
        rows = ApiToken.objects.select_related("user").order_by("-created", "-pk")
        if username:
            rows = rows.filter(user=self._user(username))
        found = [tokens.as_json(r) for r in rows]
        if json:
            self.stdout.write(_json(found))
            return
        for t in found:
            state = "revoked" if t["revoked"] else f"expires {t['expires'] or 'never'}"
            self.stdout.write(
                f"{t['id']:>6}  {t['prefix']}…  {t['user']:<20} {','.join(t['scopes']):<18} {state}"
                f"  last used {t['last_used'] or 'never'}  {t['name']}"
            )

    def _revoke(self, id, json, **options):
        row = ApiToken.objects.select_related("user").filter(pk=id).first()
        if row is None:
            raise CommandError(f"No token with id {id}")
        changed = tokens.revoke(row)
        if json:
            self.stdout.write(_json({"id": id, "revoked": True, "changed": changed}))
        else:
            self.stdout.write(f"Token {id} revoked." if changed else f"Token {id} was already revoked.")


def _json(value) -> str:
    return json.dumps(value)
