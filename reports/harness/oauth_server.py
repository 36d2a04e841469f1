"""A local OAuth 2.0 token server standing in for Microsoft Entra ID and Google, for tests.

It speaks the parts of each protocol that the real client libraries use, so
that MSAL and google-auth run unchanged against it:

- Microsoft (MSAL, client credentials): OpenID discovery at
  /<tenant>/v2.0/.well-known/openid-configuration, and the token endpoint
  /<tenant>/oauth2/v2.0/token taking a client secret or a client assertion (a
  JWT signed with the app's certificate key, checked against the certificate).
- Google (google-auth): /google/token taking the JWT bearer grant of a service
  account (RFC 7523, checked against the account's public key, acting as the
  `sub` it names) and the refresh-token grant of an installed-app client.
- Dovecot: RFC 7662 introspection at /introspect, on a plain HTTP listener of its
  own, saying whether a token is active and for which user.

Tokens expire after their registration's lifetime (seconds), so that refresh is
exercised; `revoke_all` ends every token at once. The HTTPS listener uses a
certificate for 127.0.0.1 signed by the test CA the Dovecot harness makes,
because MSAL accepts only https:// authorities.
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def self_signed_certificate(key: rsa.RSAPrivateKey, name: str = "dmarc test app") -> str:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class MicrosoftApp:
    tenant: str
    client_id: str
    secret: str
    certificate: str  # PEM, as uploaded to the app registration
    mailbox: str  # the one mailbox the app has permission on (Add-MailboxPermission)
    lifetime: int
    consented: bool = True


@dataclass
class ServiceAccount:
    client_email: str
    public_key: object
    lifetime: int
    delegated: bool = True  # domain-wide delegation for https://mail.google.com/


@dataclass
class InstalledClient:
    client_id: str
    secret: str
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> user
    lifetime: int = 3600


class TokenServer:
    def __init__(self, cert_file: Path, key_file: Path):
        self.microsoft: dict[str, MicrosoftApp] = {}
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.installed: dict[str, InstalledClient] = {}
        self.tokens: dict[str, tuple[str, float]] = {}  # access token -> (user, expires at)
        self.issued: list[tuple[str, str]] = []  # (grant, user), in order
        self.introspected: list[tuple[str, bool]] = []  # (user, active), in order
        self.lock = threading.Lock()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        self._https = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._https.socket = context.wrap_socket(self._https.socket, server_side=True)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        for server in (self._https, self._http):
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self._https.server_address[1]}"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/introspect"

    @property
    def google_token_uri(self) -> str:
        return f"{self.base_url}/google/token"

    def close(self) -> None:
        for server in (self._https, self._http):
            server.shutdown()
            server.server_close()

    # --- registrations, as a tenant or Workspace admin would make them ---

    def register_microsoft_app(self, mailbox: str, *, lifetime: int = 3600) -> dict:
        """An app registration with a secret and a certificate, consented and
        given permission on `mailbox`. Returns what the mailbox needs to know."""
        key = new_key()
        cert = self_signed_certificate(key)
        app = MicrosoftApp(
            tenant=f"tenant-{secrets.token_hex(4)}",
            client_id=f"app-{secrets.token_hex(6)}",
            secret=f"sec~{secrets.token_urlsafe(24)}",
            certificate=cert,
            mailbox=mailbox,
            lifetime=lifetime,
        )
        self.microsoft[app.client_id] = app
        return {
            "ms_tenant": app.tenant,
            "ms_client_id": app.client_id,
            "ms_client_secret": app.secret,
            "certificate_pem": key_pem(key) + cert,
        }

    def register_service_account(self, *, lifetime: int = 3600) -> str:
        """A service account with domain-wide delegation; returns its JSON key."""
        key = new_key()
        email = f"dmarc-{secrets.token_hex(4)}@test-project.iam.gserviceaccount.com"
        self.service_accounts[email] = ServiceAccount(email, key.public_key(), lifetime)
        return json.dumps(
            {
                "type": "service_account",
                "project_id": "test-project",
                "private_key_id": secrets.token_hex(20),
                "private_key": key_pem(key),
                "client_email": email,
                "client_id": str(secrets.randbelow(10**20)),
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )

    def register_installed_client(self, user: str, *, lifetime: int = 3600) -> dict:
        """An installed-app OAuth client, and a refresh token a user granted it."""
        client = InstalledClient(
            client_id=f"{secrets.token_hex(6)}.apps.googleusercontent.com",
            secret=f"GOCSPX-{secrets.token_urlsafe(18)}",
            lifetime=lifetime,
        )
        refresh = f"1//{secrets.token_urlsafe(40)}"
        client.refresh_tokens[refresh] = user
        self.installed[client.client_id] = client
        return {
            "google_client_id": client.client_id,
            "google_client_secret": client.secret,
            "google_refresh_token_secret": refresh,
        }

    def revoke_all(self) -> None:
        """Every token issued so far stops working (a revocation, or a clock ahead of ours)."""
        with self.lock:
            self.tokens.clear()

    def issued_for(self, user: str) -> int:
        return sum(1 for _, u in self.issued if u == user)

    # --- the protocol ---

    def _issue(self, grant: str, user: str, lifetime: int, scope: str) -> dict:
        token = f"at-{secrets.token_urlsafe(32)}"
        with self.lock:
            self.tokens[token] = (user, time.time() + lifetime)
            self.issued.append((grant, user))
        return {"token_type": "Bearer", "expires_in": lifetime, "access_token": token, "scope": scope}

    def introspect(self, token: str) -> dict:
        with self.lock:
            user, expires = self.tokens.get(token, ("", 0.0))
        active = bool(user) and time.time() < expires
        self.introspected.append((user, active))
        return {"active": "true", "username": user, "exp": int(expires)} if active else {"active": "false"}

    def microsoft_discovery(self, tenant: str) -> tuple[int, dict]:
        if not any(app.tenant == tenant for app in self.microsoft.values()):
            return 400, {
                "error": "invalid_tenant",
                "error_description": f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have "
                "the correct tenant ID and are signing into the correct cloud.",
            }
        base = f"{self.base_url}/{tenant}"
        return 200, {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        }

    def microsoft_token(self, tenant: str, form: dict) -> tuple[int, dict]:
        app = self.microsoft.get(form.get("client_id", ""))
        if app is None or app.tenant != tenant:
            return 400, {
                "error": "unauthorized_client",
                "error_description": "AADSTS700016: Application with identifier "
                f"'{form.get('client_id')}' was not found in the directory '{tenant}'.",
            }
        if form.get("grant_type") != "client_credentials" or form.get("scope") != MICROSOFT_SCOPE:
            return 400, {"error": "invalid_request", "error_description": "AADSTS900144: bad grant or scope"}
        if "client_assertion" in form:
            if form.get("client_assertion_type") != CLIENT_ASSERTION:
                return 400, {
                    "error": "invalid_request",
                    "error_description": "AADSTS50027: bad assertion type",
                }
            public_key = x509.load_pem_x509_certificate(app.certificate.encode()).public_key()
            try:
                claims = jwt.decode(
                    form["client_assertion"],
                    public_key,
                    algorithms=["PS256", "RS256"],
                    audience=f"{self.base_url}/{tenant}/oauth2/v2.0/token",
                    options={"require": ["exp", "iss", "sub", "aud"]},
                )
            except jwt.InvalidTokenError as e:
                return 401, {
                    "error": "invalid_client",
                    "error_description": f"AADSTS700027: Client assertion failed signature validation. ({e})",
                }
            if claims["iss"] != app.client_id or claims["sub"] != app.client_id:
                return 401, {"error": "invalid_client", "error_description": "AADSTS700021: bad issuer"}
        elif form.get("client_secret") != app.secret:
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret "
                "being sent in the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{app.client_id}'.",
            }
        if not app.consented:
            return 400, {
                "error": "invalid_grant",
                "error_description": "AADSTS65001: The user or administrator has not consented to use the "
                f"application with ID '{app.client_id}'.",
            }
        return 200, self._issue("microsoft", app.mailbox, app.lifetime, MICROSOFT_SCOPE)

    def google_token(self, form: dict) -> tuple[int, dict]:
        if form.get("grant_type") == JWT_BEARER:
            assertion = form.get("assertion", "")
            try:
                unverified = jwt.decode(assertion, options={"verify_signature": False})
            except jwt.InvalidTokenError:
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT."}
            account = self.service_accounts.get(unverified.get("iss", ""))
            if account is None:
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            try:
                claims = jwt.decode(
                    assertion,
                    account.public_key,
                    algorithms=["RS256"],
                    # google-auth names Google's token endpoint as the audience, wherever it sends the grant.
                    audience=["https://oauth2.googleapis.com/token", self.google_token_uri],
                    options={"require": ["exp", "iat", "iss", "aud", "scope"]},
                )
            except (jwt.InvalidSignatureError, jwt.DecodeError):
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            except jwt.InvalidTokenError as e:
                self.last_refusal = repr(e)
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Invalid JWT: Token must be a short-lived token (60 minutes) and "
                    "in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
                }
            if not account.delegated or claims.get("scope") != GOOGLE_SCOPE or not claims.get("sub"):
                return 401, {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens using this "
                    "method, or client not authorized for any of the scopes requested.",
                }
            return 200, self._issue("google-service-account", claims["sub"], account.lifetime, GOOGLE_SCOPE)
        if form.get("grant_type") == "refresh_token":
            client = self.installed.get(form.get("client_id", ""))
            if client is None or client.secret != form.get("client_secret"):
                return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
            user = client.refresh_tokens.get(form.get("refresh_token", ""))
            if user is None:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
            return 200, self._issue("google-refresh-token", user, client.lifetime, GOOGLE_SCOPE)
        return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}


def _handler(server: TokenServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
            if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                self._reply(*server.microsoft_discovery(parts[0]))
            else:
                self._reply(404, {"error": "not_found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
            if parts == ["introspect"]:
                self._reply(200, server.introspect(form.get("token", "")))
            elif parts == ["google", "token"]:
                self._reply(*server.google_token(form))
            elif len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                self._reply(*server.microsoft_token(parts[0], form))
            else:
                self._reply(404, {"error": "not_found"})

    return Handler
