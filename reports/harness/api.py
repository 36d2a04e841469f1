"""A client of the running server's REST API (reports.api) with a bearer token, as a script would be."""

from __future__ import annotations

import requests

from reports.harness.waiting import scaled


class Api:
    def __init__(self, base_url: str, token: str | None):
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path, allow_redirects=False, timeout=scaled(60), **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.base + path, allow_redirects=False, timeout=scaled(60), **kwargs)


def token_for(user, *scopes: str, **options) -> str:
    """A new token of `user` with `scopes` (reports.api.tokens), as the account page or the command makes."""
    from reports.api import tokens

    return tokens.create(user, scopes or ("read",), **options)[1]
