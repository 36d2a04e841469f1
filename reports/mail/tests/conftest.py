"""Fixtures for OAuth 2.0 logins: mailboxes on the token-taking Dovecot, one per method."""

import pytest

from reports.models import Mailbox

# Each way a mailbox can get a token: (authentication, which credential it stores).
METHODS = ["microsoft-secret", "microsoft-certificate", "google-service-account", "google-refresh-token"]


@pytest.fixture
def oauth_settings(oauth, settings, monkeypatch):
    """Point MSAL and google-auth at the local token server, whose certificate the test CA signed."""
    # requests (under MSAL and google-auth) trusts this bundle instead of the system's.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(oauth.dovecot.ca_file))
    settings.DMARC_IMAP_MS_AUTHORITY = oauth.base_url
    settings.DMARC_IMAP_GOOGLE_TOKEN_URI = oauth.google_token_uri
    return settings


@pytest.fixture
def oauth_worker_env(oauth):
    """The same, for worker and command processes."""
    return {
        "REQUESTS_CA_BUNDLE": str(oauth.dovecot.ca_file),
        "DMARC_IMAP_MS_AUTHORITY": oauth.base_url,
        "DMARC_IMAP_GOOGLE_TOKEN_URI": oauth.google_token_uri,
    }


@pytest.fixture
def oauth_user(oauth):
    return oauth.dovecot.add_user()


@pytest.fixture
def oauth_credentials(oauth, oauth_user):
    """credentials(method, lifetime=3600): a registration at the token server for the test's user,
    as the Mailbox fields that use it."""

    def credentials(method, lifetime=3600):
        if method.startswith("microsoft"):
            app = oauth.register_microsoft_app(oauth_user.name, lifetime=lifetime)
            fields = {
                "auth": Mailbox.MICROSOFT,
                "ms_tenant": app["ms_tenant"],
                "ms_client_id": app["ms_client_id"],
            }
            if method == "microsoft-secret":
                return {**fields, "ms_client_secret": app["ms_client_secret"]}
            return {**fields, "ms_certificate_secret": app["certificate_pem"]}
        if method == "google-service-account":
            key = oauth.register_service_account(lifetime=lifetime)
            return {"auth": Mailbox.GOOGLE, "google_service_account_secret": key}
        return {"auth": Mailbox.GOOGLE, **oauth.register_installed_client(oauth_user.name, lifetime=lifetime)}

    return credentials


@pytest.fixture
def make_oauth_mailbox(oauth, oauth_user, oauth_credentials, db):
    """make_oauth_mailbox(method, lifetime=3600, **fields): a Mailbox logging in with a token."""

    def make(method, lifetime=3600, **fields):
        return Mailbox.objects.create(
            **{
                "name": f"{oauth_user.name}-{method}",
                "host": "127.0.0.1",
                "port": oauth.dovecot.imap_port,
                "security": "none",
                "username": oauth_user.name,
                **oauth_credentials(method, lifetime),
                **fields,
            }
        )

    return make
