"""Whether an Apprise URL may be saved, and sent to: reports.access.outbound's rules, applied to the
server Apprise itself would contact for the URL (its parser, not ours, decides where it goes).

DMARC_ALERT_URLS, set by whoever runs the server, are trusted as they are: any URL Apprise takes.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import apprise
from django.conf import settings

from reports.access import netguard, outbound


def allowed_hosts() -> outbound.Allowed:
    return outbound.Allowed.parse(settings.DMARC_ALERT_ALLOWED_HOSTS)


def trusted(url: str) -> bool:
    return url in settings.DMARC_ALERT_URLS


def problem(url: str, *, resolve: bool = True) -> str | None:
    """Why `url` may not be saved or sent to, or None. With `resolve`, the server's name is looked up
    and every address it has must be allowed too."""
    allowed = allowed_hosts()
    scheme = url.split("://", 1)[0].strip().lower() if "://" in url else ""
    if not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        return "not a URL (scheme://…)"
    try:
        plugin = apprise.Apprise.instantiate(url)
    except Exception:  # noqa: BLE001 (a hostile URL must not break a page)
        plugin = None
    if not plugin:
        return "Apprise does not accept this URL"
    host = server(plugin, scheme)
    why = (
        (outbound.host_refusal(host, allowed) if host else None)
        or outbound.scheme_refusal(scheme, host, allowed)
        or outbound.query_refusal(query_keys(url))
        or _chosen_by_plugin(plugin)
    )
    if why or not host or not resolve:
        return why
    try:
        netguard.check_host(host, allowed)
    except netguard.Refused as e:
        return str(e)
    return None


def server(plugin, scheme: str) -> str:
    """The server the URL names, or "" when the service sends to its own fixed endpoint."""
    if scheme == "ntfy" and getattr(plugin, "mode", "") == "cloud":
        return ""
    if scheme.startswith("matrix") and getattr(plugin, "mode", "") == "t2bot":
        return ""
    service = outbound.SCHEMES.get(scheme)
    if service is not None and service.endpoint == outbound.FIXED and scheme != "ntfy":
        return ""
    return str(getattr(plugin, "host", "") or "")


def query_keys(url: str) -> list[str]:
    """The query parameters' names, as Apprise reads them (split on & and ;), raw and decoded."""
    _, _, query = url.partition("?")
    keys = []
    for pair in re.split(r"[&;]", query):
        key = pair.split("=", 1)[0]
        keys += [key, unquote(key)]
    return [k for k in keys if k]


def _chosen_by_plugin(plugin) -> str | None:
    # What the generic webhooks would send besides a POST of the message: the query rule above
    # refuses the syntax; this refuses the outcome, whatever syntax got it there.
    if getattr(plugin, "protocol", "") in ("json", "xml", "form"):
        extras = [getattr(plugin, name, None) for name in ("headers", "params", "payload_extras")]
        if getattr(plugin, "method", "POST") != "POST" or any(extras):
            return "the URL chooses the request's method, headers or fields: not allowed"
    return None
