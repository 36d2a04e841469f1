"""Typed readers of the environment for the settings: a bad value stops the start with an
ImproperlyConfigured error that names the variable, instead of running with a silently wrong setting."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()


def envbool(name, default):
    # Only true/false-like words: DEBUG=yse must stop the start, not mean False.
    raw = env.str(name, default="")
    if raw == "":
        return default
    low = raw.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def envint(name, default, minimum=0):
    raw = env.str(name, default="")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def envsecret(name, default=""):
    """Read NAME, or the file named by NAME_FILE (container secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{name}_FILE cannot be read: {e.strerror}") from None
    return env.str(name, default=default)


def envfile(name):
    """The text of the file NAME names, or "" when NAME is empty (keys and certificates)."""
    path = env.str(name, default="")
    if not path:
        return ""
    try:
        return Path(path).read_text().strip()
    except OSError as e:
        raise ImproperlyConfigured(f"{name} cannot be read: {e.strerror}") from None
