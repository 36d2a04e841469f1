"""The settings of the web front: sign-in throttling, single sign-on, the REST API's framework, the
Content-Security-Policy and HTTPS behind a proxy. Read from the environment as dmarcapp/settings.py
is, which imports them; apart so that neither file grows past what one reads in a sitting."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from dmarcapp.env import env, envbool, envint, envsecret

# --- Sign-in ---
# Sign-in throttling (django-axes): failures per username and address, then a lock.
AXES_FAILURE_LIMIT = envint("DMARC_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("DMARC_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "reports.access.throttle.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "reports.access.throttle.lockout_response"
AXES_VERBOSE = False

# --- Single sign-on with OpenID Connect (reports/sso/) ---
# With an issuer, the sign-in page offers "Sign in with single sign-on": discovery from the issuer,
# the code flow with PKCE, nonce and state, the ID token checked against the provider's keys.
DMARC_OIDC_ISSUER = env.str("DMARC_OIDC_ISSUER", default="").strip().rstrip("/")
DMARC_OIDC_CLIENT_ID = env.str("DMARC_OIDC_CLIENT_ID", default="").strip()
DMARC_OIDC_CLIENT_SECRET = envsecret("DMARC_OIDC_CLIENT_SECRET")
DMARC_OIDC_SCOPES = env.str("DMARC_OIDC_SCOPES", default="openid email profile").strip()
DMARC_OIDC_GROUPS_CLAIM = env.str("DMARC_OIDC_GROUPS_CLAIM", default="groups").strip()
# Members of these provider groups are the app's admins (staff with the app's permissions).
DMARC_OIDC_ADMIN_GROUPS = [g.strip() for g in env.list("DMARC_OIDC_ADMIN_GROUPS", default=[]) if g.strip()]
# false: no password sign-in on /login/; /admin/login/ still takes a superuser's (break glass).
DMARC_LOCAL_LOGIN = envbool("DMARC_LOCAL_LOGIN", True)
if DMARC_OIDC_ISSUER:
    if not DMARC_OIDC_ISSUER.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"DMARC_OIDC_ISSUER must be an https:// (or http://) URL, not {DMARC_OIDC_ISSUER!r}"
        )
    if not (DMARC_OIDC_CLIENT_ID and DMARC_OIDC_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "DMARC_OIDC_ISSUER needs DMARC_OIDC_CLIENT_ID and DMARC_OIDC_CLIENT_SECRET"
        )
    if "openid" not in DMARC_OIDC_SCOPES.split():
        raise ImproperlyConfigured("DMARC_OIDC_SCOPES must include openid")
elif not DMARC_LOCAL_LOGIN:
    raise ImproperlyConfigured("DMARC_LOCAL_LOGIN=false needs DMARC_OIDC_ISSUER: nobody could sign in")
# mozilla-django-oidc's own settings; the client's come from DMARC_OIDC_*, the provider's endpoints
# from discovery (reports/sso/discovery.py).
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_TOKEN_USE_BASIC_AUTH = True
OIDC_STORE_ID_TOKEN = True  # the provider's sign-out takes it as id_token_hint
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"

# Content-Security-Policy: scripts and styles from this site only, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- The REST API's framework (reports/api/) ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "reports.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["reports.api.auth.ScopeAllows"],
    "DEFAULT_THROTTLE_CLASSES": ["reports.api.auth.PerTokenRate"],
    # JSON whatever the Accept header or ?format= says: never DRF's HTML pages.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "reports.api.negotiation.AlwaysJson",
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "reports.api.errors.handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DMARC reports API",
    "DESCRIPTION": "Personal tokens with scopes (read, ingest, marks): `Authorization: Bearer TOKEN`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI from the app's own static files (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Behind a proxy that terminates TLS: secure cookies, HSTS, redirects to https,
# and the proxy's X-Forwarded-Proto header trusted (the proxy must set it).
DMARC_BEHIND_TLS_PROXY = envbool("DMARC_BEHIND_TLS_PROXY", False)
if DMARC_BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("DMARC_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DMARC_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("DMARC_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the whole registrable domain for good: its owner's decision, made
        # with DMARC_HSTS_PRELOAD=true, not a default for a dashboard that usually sits on a subdomain.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
