"""Rules for OAuth 2.0 logins that need no network: when a token is due for
renewal, and what a provider's refusal means for the person who must fix it.

Both Microsoft 365 and Google accept IMAP logins with SASL XOAUTH2 and a bearer
token; only how the token is obtained differs (reports.mail.tokens does that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
PROVIDERS = {"microsoft": "Microsoft 365", "google": "Google"}


@dataclass(frozen=True)
class Token:
    access_token: str
    acquired_at: float  # time.time() when it was issued
    expires_at: float

    def __repr__(self) -> str:
        # A token in a traceback or a debugger is still a credential.
        return f"Token(expires_at={self.expires_at:.0f})"

    @property
    def renew_at(self) -> float:
        """When to stop using it: shortly before it expires, so that a login or a
        long IDLE never runs on a token about to lapse. A fifth of its lifetime,
        at most five minutes (the margin MSAL and google-auth keep)."""
        lifetime = max(0.0, self.expires_at - self.acquired_at)
        return self.expires_at - min(300.0, lifetime / 5)

    def fresh(self, now: float) -> bool:
        return now < self.renew_at


# Microsoft Entra ID error codes (AADSTSnnnn) and what fixes each.
_MICROSOFT_FIXES = [
    (
        ("AADSTS7000215", "AADSTS7000222", "AADSTS700027", "AADSTS7000214"),
        "The client secret or certificate was refused (wrong, expired, or not uploaded to the app "
        "registration). "
        "Create a new client secret, or upload the certificate, in Entra ID > App registrations > "
        "Certificates & "
        "secrets, and store it on the mailbox.",
    ),
    (
        ("AADSTS700016",),
        "No application with this client ID exists in the tenant. Check the application (client) ID and the "
        "tenant ID.",
    ),
    (
        ("AADSTS90002", "AADSTS90023", "AADSTS900023"),
        "The tenant was not found. Check the directory (tenant) ID, and the authority for a national cloud.",
    ),
    (
        ("AADSTS65001", "AADSTS500011", "AADSTS501051", "AADSTS7000112", "AADSTS70011"),
        "The app lacks consent for IMAP. Add the application permission IMAP.AccessAsApp (Office 365 "
        "Exchange "
        "Online) to the app registration and grant admin consent.",
    ),
    (
        ("AADSTS700024", "AADSTS500133", "AADSTS700003"),
        "The token request was outside its valid time range. Check that this machine's clock is right (NTP).",
    ),
]

_GOOGLE_FIXES = [
    (
        ("unauthorized_client",),
        "The service account may not act for this mailbox. In the Google Admin console, Security > "
        "API controls "
        "> Domain-wide delegation, add its client ID with the scope https://mail.google.com/.",
    ),
    (
        ("invalid jwt signature", "invalid_client"),
        "The key or the OAuth client was refused (deleted, disabled, or another project's). Create a "
        "new key for "
        "the service account, or check the OAuth client ID and secret, and store it on the mailbox.",
    ),
    (
        ("expired or revoked",),
        "The refresh token was revoked or has expired. Authorize the OAuth client again to get a new refresh "
        "token, and store it on the mailbox.",
    ),
    (
        ("short-lived", "iat and exp", "clock skew"),
        "The token request was outside its valid time range. Check that this machine's clock is right (NTP).",
    ),
    (
        ("invalid_grant",),
        "The grant was refused: check the mailbox address (it must be a user of the domain), the "
        "key, and the "
        "domain-wide delegation scope https://mail.google.com/.",
    ),
    (
        ("access_denied", "admin_policy_enforced", "invalid_scope"),
        "Access to the scope https://mail.google.com/ is denied. Allow it in the Google Admin console (API "
        "controls) for this client.",
    ),
]


def explain_microsoft(error: str, description: str) -> str:
    """The fix for a refused Microsoft token request, from its error and description."""
    codes = set(re.findall(r"AADSTS\d+", description or ""))
    for known, fix in _MICROSOFT_FIXES:
        if codes & set(known):
            return fix
    if error == "invalid_client":
        return _MICROSOFT_FIXES[0][1]
    if error in ("unauthorized_client", "consent_required", "invalid_scope"):
        return _MICROSOFT_FIXES[3][1]
    return "Check the tenant ID, the client ID and the secret or certificate of the app registration."


def explain_google(text: str) -> str:
    """The fix for a refused Google token request, from google-auth's error text ("error: description")."""
    lowered = (text or "").lower()
    for words, fix in _GOOGLE_FIXES:
        if any(word in lowered for word in words):
            return fix
    return "Check the service account key (or the OAuth client and refresh token) and the mailbox address."


def refused_login_fix(auth: str) -> str:
    """What to check when the provider issued a token but the IMAP server refused it."""
    if auth == "microsoft":
        return (
            "Microsoft issued a token, but the IMAP login with it failed: check that the mailbox "
            "address is right, "
            "that an Exchange service principal exists for the app (New-ServicePrincipal), and that "
            "it has access "
            "to this mailbox (Add-MailboxPermission -AccessRights FullAccess)."
        )
    return (
        "Google issued a token, but the IMAP login with it failed: check that the mailbox address is "
        "right, that "
        "IMAP is enabled for the user, and that the token is for the scope https://mail.google.com/."
    )
