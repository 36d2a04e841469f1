"""The one mailbox defined in the environment (the usual container set-up): DMARC_IMAP_* read and
checked for the settings, which keep it in step with the Mailbox row named "env". A half-set login
method fails the start. What each method needs is reports.mail.credentials', the admin's rule too."""

from django.core.exceptions import ImproperlyConfigured

from dmarcapp.env import env, envfile, envint, envsecret
from reports.mail import credentials

# The setting that fills each of the "env" mailbox's login fields, to say which one is missing.
_IMAP_SETTINGS = {
    "ms_tenant": "DMARC_IMAP_MS_TENANT",
    "ms_client_id": "DMARC_IMAP_MS_CLIENT_ID",
    "ms_client_secret": "DMARC_IMAP_MS_CLIENT_SECRET",
    "ms_certificate_secret": "DMARC_IMAP_MS_CERTIFICATE_FILE",
    "google_service_account_secret": "DMARC_IMAP_GOOGLE_SERVICE_ACCOUNT_FILE",
    "google_client_id": "DMARC_IMAP_GOOGLE_CLIENT_ID",
    "google_client_secret": "DMARC_IMAP_GOOGLE_CLIENT_SECRET",
    "google_refresh_token_secret": "DMARC_IMAP_GOOGLE_REFRESH_TOKEN",
}


def _imap_oauth():
    """The DMARC_IMAP_AUTH method's Mailbox fields, checked: a half-set method fails the start."""
    auth = env.str("DMARC_IMAP_AUTH", default="password").strip().lower() or "password"
    if auth == credentials.MICROSOFT:
        fields = {
            "ms_tenant": env.str("DMARC_IMAP_MS_TENANT", default=""),
            "ms_client_id": env.str("DMARC_IMAP_MS_CLIENT_ID", default=""),
            "ms_client_secret": envsecret("DMARC_IMAP_MS_CLIENT_SECRET"),
            "ms_certificate_secret": envfile("DMARC_IMAP_MS_CERTIFICATE_FILE"),
        }
    elif auth == credentials.GOOGLE:
        fields = {
            "google_service_account_secret": envfile("DMARC_IMAP_GOOGLE_SERVICE_ACCOUNT_FILE"),
            "google_client_id": env.str("DMARC_IMAP_GOOGLE_CLIENT_ID", default=""),
            "google_client_secret": envsecret("DMARC_IMAP_GOOGLE_CLIENT_SECRET"),
            "google_refresh_token_secret": envsecret("DMARC_IMAP_GOOGLE_REFRESH_TOKEN"),
        }
    elif auth == credentials.PASSWORD:
        fields = {}
    else:
        raise ImproperlyConfigured(f"DMARC_IMAP_AUTH must be password, microsoft or google, not {auth!r}")
    for need in credentials.unmet(auth, fields):
        raise ImproperlyConfigured(f"DMARC_IMAP_AUTH={auth} needs {need.text(_IMAP_SETTINGS)}")
    return auth, fields


def env_mailbox():
    """(DMARC_IMAP_MS_AUTHORITY, DMARC_IMAP_GOOGLE_TOKEN_URI, DMARC_IMAP): where OAuth tokens come
    from (national clouds and the tests point these elsewhere), and the mailbox, or None."""
    authority = env.str("DMARC_IMAP_MS_AUTHORITY", default="https://login.microsoftonline.com").rstrip("/")
    token_uri = env.str("DMARC_IMAP_GOOGLE_TOKEN_URI", default="https://oauth2.googleapis.com/token")
    for name, url in (
        ("DMARC_IMAP_MS_AUTHORITY", authority),
        ("DMARC_IMAP_GOOGLE_TOKEN_URI", token_uri),
    ):
        if not url.startswith("https://"):
            raise ImproperlyConfigured(f"{name} must be an https:// URL, not {url!r}")

    auth, fields = _imap_oauth()
    # Fields of the other methods are emptied, so that no secret outlives a change of method.
    fields = {**dict.fromkeys(credentials.OAUTH_FIELDS, ""), **fields}
    default_host = credentials.DEFAULT_HOSTS.get(auth, "")

    mailbox = None
    if env.str("DMARC_IMAP_HOST", default="") or default_host:
        security = env.str("DMARC_IMAP_SECURITY", default="tls").strip().lower()
        if security not in ("tls", "starttls", "none"):
            raise ImproperlyConfigured(f"DMARC_IMAP_SECURITY must be tls, starttls or none, not {security!r}")
        mailbox = {
            "auth": auth,
            **fields,
            "host": env.str("DMARC_IMAP_HOST", default="") or default_host,
            "port": envint("DMARC_IMAP_PORT", 993 if security == "tls" else 143, minimum=1),
            "security": security,
            "username": env.str("DMARC_IMAP_USER", default=""),
            "password": envsecret("DMARC_IMAP_PASSWORD"),
            "ca_file": env.str("DMARC_IMAP_CA_FILE", default=""),
            "folder": env.str("DMARC_IMAP_FOLDER", default="INBOX"),
            "processed_folder": env.str("DMARC_IMAP_PROCESSED_FOLDER", default="DMARC/Processed"),
            "failed_folder": env.str("DMARC_IMAP_FAILED_FOLDER", default="DMARC/Failed"),
        }
        if not mailbox["username"]:
            raise ImproperlyConfigured("DMARC_IMAP_USER must be set when DMARC_IMAP_HOST is set")
    return authority, token_uri, mailbox
