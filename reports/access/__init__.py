"""Who may see which monitored domains.

Every signed-in user sees every domain until per-domain grants exist; these two
functions are the one place the rest of the app asks, so grants can change the
answer without touching the pages or the alerts.
"""

from django.contrib.auth import get_user_model


def visible_domains(user) -> list[str] | None:
    """The policy domains `user` may see, or None for all of them."""
    return None


def users_for_domain(domain: str):
    """The active users who may see `domain` (a queryset)."""
    return get_user_model().objects.filter(is_active=True)
