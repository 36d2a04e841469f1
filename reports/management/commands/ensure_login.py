from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser for the first login if there is none yet, and say what the login is."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="admin")

    def handle(self, *args, **options):
        User = get_user_model()
        name = options["username"]
        if User.objects.filter(username=name).exists():
            self.stdout.write(f"Login: {name} (existing user; password unchanged)")
            return
        User.objects.create_superuser(name, email="", password=options["password"])
        self.stdout.write(f"Login: {name} / {options['password']} (created; change it under /admin/)")
