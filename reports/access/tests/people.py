from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command


def person(name, *domains, role="viewer"):
    """A user with password pw-NAME-1, granted `role` on `domains` through `manage.py grant`."""
    user = User.objects.create_user(name, password=f"pw-{name}-1")
    if domains:
        call_command("grant", name, *domains, "--role", role, stdout=StringIO())
    return user
