import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction

_LOCK = 0x4D42 << 40 | 1  # advisory lock key, in the mail package's namespace


class Command(BaseCommand):
    help = (
        "On a database without any user, create a superuser with a random password and print it once. "
        "Never touches an existing account."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="", help="where to sign in, printed with the password")

    def handle(self, *args, username, url, **options):
        User = get_user_model()
        with transaction.atomic():
            # Two `make run` at once create one account, not two.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            if User.objects.exists():
                self.stdout.write("Sign in with an existing account (create more under /admin/).")
                return
            password = secrets.token_urlsafe(15)
            User.objects.create_superuser(username, email="", password=password)
        where = f" at {url}" if url else ""
        self.stdout.write(
            f"Created the first account{where}: {username} / {password}\n"
            "This password is shown only now: note it, or change it under /admin/."
        )
