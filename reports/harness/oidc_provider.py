"""A real OpenID Connect provider for the single sign-on tests: panva's oidc-provider (npm, pinned in
reports/harness/oidc/package-lock.json, installed by `make oidc`) run by Debian's Node.js on
127.0.0.1, configured by reports/harness/oidc/provider.mjs. Never a hand-written imitation."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import requests

from reports.harness.redis_server import free_port
from reports.harness.waiting import scaled, wait_for

HERE = Path(__file__).parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "dmarc-dashboard", "test-client-secret-of-the-dashboard"
# Wrong on purpose, one at a time: POST /test/next-token?mode=... (provider.mjs says what each does).
MODES = ("wrong-audience", "expired", "replay", "bad-signature", "unknown-issuer")


class OidcProvider:
    def __init__(self, app_url: str, users: dict[str, dict]):
        """`app_url`: the dashboard's base URL (its callback and sign-out return are registered);
        `users`: login -> claims (email, name, groups)."""
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            raise AssertionError(
                "oidc-provider is not installed: run `make oidc` (npm ci in reports/harness/oidc)"
            )
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        app = app_url.rstrip("/")
        self.config = {
            "port": self.port,
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [f"{app}/oidc/callback/"],
                    "post_logout_redirect_uris": [f"{app}/login/"],
                }
            ],
            "users": users,
        }
        self.log = Path(tempfile.mkstemp(prefix="oidc-provider-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self) -> OidcProvider:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                ["node", "provider.mjs"],
                cwd=HERE,
                env={**os.environ, "DMARC_OIDC_TEST_CONFIG": json.dumps(self.config)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._answers, timeout=30, message="the OpenID Connect provider")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"oidc-provider exited:\n{self.log.read_text()[-3000:]}")
        try:
            return requests.get(self.issuer + "/.well-known/openid-configuration", timeout=2).ok
        except requests.ConnectionError:
            return False

    def settings(self) -> dict:
        """The dashboard's settings for this provider."""
        return {
            "DMARC_OIDC_ISSUER": self.issuer,
            "DMARC_OIDC_CLIENT_ID": CLIENT_ID,
            "DMARC_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "DMARC_OIDC_SCOPES": "openid email profile groups",
        }

    def next_token(self, mode: str) -> None:
        """The next ID token the provider issues goes wrong in this way (one of MODES)."""
        assert mode in MODES, mode
        requests.post(f"{self.issuer}/test/next-token", params={"mode": mode}, timeout=10).raise_for_status()

    def close(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(scaled(10))
            self.process = None
        self.log.unlink(missing_ok=True)
