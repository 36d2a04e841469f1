"""The provider's endpoints and keys' address, from its discovery document (OpenID Connect
Discovery 1.0), fetched when a sign-in needs them and kept for an hour."""

from __future__ import annotations

import time

import requests
from django.conf import settings

KEEP_SECONDS = 3600
_cache: dict[str, tuple[float, dict]] = {}


class DiscoveryError(Exception):
    pass


def setting(attr: str, *default):
    """A setting of mozilla-django-oidc: the client's from the DMARC_OIDC_* settings as they are now,
    the rest from Django's settings."""
    from mozilla_django_oidc.utils import import_from_settings

    ours = {
        "OIDC_RP_CLIENT_ID": settings.DMARC_OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.DMARC_OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": settings.DMARC_OIDC_SCOPES,
    }
    return ours[attr] if attr in ours else import_from_settings(attr, *default)


def document() -> dict:
    issuer = settings.DMARC_OIDC_ISSUER
    found = _cache.get(issuer)
    if found and time.monotonic() - found[0] < KEEP_SECONDS:
        return found[1]
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        doc = response.json()
    except (requests.RequestException, ValueError) as e:
        raise DiscoveryError(f"the provider's discovery document cannot be read: {e}") from None
    # §4.3: the document must name the issuer it was asked for, or an impostor's endpoints follow.
    if not isinstance(doc, dict) or doc.get("issuer", "").rstrip("/") != issuer:
        raise DiscoveryError("the provider's discovery document names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        if not isinstance(doc.get(key), str):
            raise DiscoveryError(f"the provider's discovery document has no {key}")
    _cache[issuer] = (time.monotonic(), doc)
    return doc
