"""Every page and endpoint of the product, once: how to build its URL for a domain of the
dashboard's scenario, which roles may open it, which methods it takes and which query parameters
it reads.

The crawl and the access tests (reports/access/tests/test_pages.py), the parameter fuzz
(reports/dashboard/tests/test_views_parameters.py), the header tests (test_hardening.py) and the
browser's phone-width round (reports/tests/test_browser.py) read it; reports/tests/test_page_registry.py
fails while a URL pattern exists that no entry here covers. A new page gets its entry in PAGES (the
admin's pages are generated from the admin site).

    for page in pages.every_page():                   # the app's, then the admin's
        url = page.url(pages.subjects(OWN))           # None: nothing to name (no such object)
        status = page.answer("viewer", OWN)           # what that role gets for that domain's page
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.urls import reverse

from reports.harness.builders import OTHER, OTHER_IP, OWN, OWN_IP

# Who asks: the personas (reports.harness.personas), a member of a team that views the scenario's
# domain, a signed-in user with no grant, and nobody signed in.
ANONYMOUS, NOBODY, MEMBER = "anonymous", "nobody", "member"
VIEWER, OPERATOR, ADMIN, SUPERUSER = "viewer", "operator", "admin", "superuser"
EVERYONE = (ANONYMOUS, NOBODY, MEMBER, VIEWER, OPERATOR, ADMIN, SUPERUSER)

PUBLIC = frozenset(EVERYONE)
SIGNED_IN = PUBLIC - {ANONYMOUS}
VIEWERS = frozenset({MEMBER, VIEWER, OPERATOR, SUPERUSER})  # read the pages of their domain
OPERATORS = frozenset({OPERATOR, SUPERUSER})  # also act on it
STAFF = frozenset({ADMIN, SUPERUSER})  # the admin site

# How a page names the domain it is about.
NONE = "none"  # not at all (lists, the help page, actions not tied to a domain)
QUERY = "query"  # ?domain=: another domain is 404 to a user who sees some, 403 to one who sees none
PATH = "path"  # in the path, or through a report: 404 to whoever may not see it

HTML, CSV, FILE, REDIRECT, JSON = "html", "csv", "file", "redirect", "json"
DASHBOARD = ("domain", "range", "start", "end")
TABLE = (*DASHBOARD, "page", "q", "failing", "sort", "dir")


@dataclass(frozen=True)
class Subjects:
    """What URLs can name, for one domain of the scenario."""

    domain: str
    ip: str
    report: int  # a report of the domain
    message: int  # a mail message (retry)
    token: str = ""  # an unsubscribe link's token
    objects: dict = field(default_factory=dict)  # admin: "app_model" -> the pk of one row


def subjects(domain: str = OWN, ip: str | None = None) -> Subjects:
    """The subjects of `domain` as the database holds them now."""
    from reports.alerts import links
    from reports.models import MailMessage, Report

    report = Report.objects.filter(domain=domain).order_by("pk").values_list("pk", flat=True).first()
    message = MailMessage.objects.order_by("pk").values_list("pk", flat=True).first()
    token = links.unsubscribe_token(user_id=None, scope=f"alerts:{domain}", address="noc@ops.test")
    return Subjects(
        domain=domain,
        ip=ip or (OTHER_IP if domain == OTHER else OWN_IP),
        # Where there is none, one that does not exist: the URL is still built.
        report=report or 999_999,
        message=message or 999_999,
        token=token,
        objects=_admin_objects(),
    )


def sees(role: str, domain: str) -> bool:
    """Whether `role` may see the pages of `domain` (the personas' grants name OWN only)."""
    return role == SUPERUSER or (domain == OWN and role in VIEWERS)


def sees_some_domain(role: str) -> bool:
    return role in VIEWERS


@dataclass(frozen=True)
class Page:
    name: str  # the URL pattern's name, with its namespace ("admin:index"); or its route, if unnamed
    build: Callable[[Subjects], str | None]  # the URL for these subjects; None if there is nothing to name
    may: frozenset[str]  # who may open it (GET, or its one method), for a domain they see
    methods: tuple[str, ...] = ("GET",)
    may_post: frozenset[str] | None = None  # who may POST to it, when not the same
    scope: str = NONE
    ok: int = 200  # what those who may get
    refused: int = 403  # what a signed-in user who may not gets (for a domain they see)
    anonymous: int = 302  # what nobody signed in gets when not in `may`: a redirect to the login
    kind: str = HTML
    params: tuple[str, ...] = ()  # the query parameters it reads
    admin: bool = False

    def url(self, s: Subjects) -> str | None:
        return self.build(s)

    def answer(self, role: str, domain: str = OWN, method: str | None = None) -> int | None:
        """The status `role` gets for this page of `domain` (by default through its first method).

        An allowed POST to a page that also shows a form answers as its form says: None.
        """
        method = method or self.methods[0]
        may = self.may if method == "GET" or self.may_post is None else self.may_post
        if role == ANONYMOUS:
            return self.ok if ANONYMOUS in may else self.anonymous
        if self.scope == PATH and not sees(role, domain):
            return 404
        if method == "POST":
            # The role is checked before the form is read, whatever domain the form names.
            if role not in may:
                return self.refused
            return self.ok if self.methods == ("POST",) else None
        if self.scope == QUERY and not sees(role, domain):
            return 404 if sees_some_domain(role) else 403
        return self.ok if role in may else self.refused

    @property
    def reads(self) -> bool:
        return "GET" in self.methods

    @property
    def about_a_domain(self) -> bool:
        return self.scope != NONE


def _q(path: str, s: Subjects) -> str:
    return f"{path}?domain={s.domain}"


def _report(view: str):
    return lambda s: reverse(view, args=[s.report])


def _api(name: str, build, may=VIEWERS, **kw) -> Page:
    """An endpoint of the API: JSON, and 401 (not a redirect to the login) without a token or session."""
    kw.setdefault("anonymous", 401)
    return Page(name, build, may, kind=JSON, **kw)


def _on_domain(view: str):
    return lambda s: reverse(view, args=[s.domain])


API_RANGE = ("start", "end")
API_PAGING = ("page", "page_size")
API_SOURCES = (*API_RANGE, *API_PAGING, "q", "failing", "new", "sort", "dir", "service", "category", "asn",
               "country")  # fmt: skip


# The app's pages and endpoints, in the order of the URL configuration.
PAGES: tuple[Page, ...] = (
    Page("login", lambda s: reverse("login"), PUBLIC),
    Page("logout", lambda s: reverse("logout"), PUBLIC, methods=("POST",), ok=302),
    # Single sign-on (reports.sso): not found while no provider is configured, as in these tests.
    Page("sso_start", lambda s: reverse("sso_start"), PUBLIC, ok=404),
    Page("sso_callback", lambda s: reverse("sso_callback"), PUBLIC, ok=404, params=("code", "state")),
    Page("favicon.ico", lambda s: "/favicon.ico", PUBLIC, ok=302, kind=REDIRECT),
    Page("overview", lambda s: _q("/", s), VIEWERS, scope=QUERY, params=DASHBOARD),
    Page("sources", lambda s: _q(reverse("sources"), s), VIEWERS, scope=QUERY, params=TABLE),
    Page(
        "sources_csv", lambda s: _q(reverse("sources_csv"), s), VIEWERS, scope=QUERY, kind=CSV, params=TABLE
    ),
    Page("senders", lambda s: _q(reverse("senders"), s), VIEWERS, scope=QUERY, params=TABLE),
    Page("selectors", lambda s: _q(reverse("selectors"), s), VIEWERS, scope=QUERY, params=DASHBOARD),
    Page("source", lambda s: _q(reverse("source", args=[s.ip]), s), VIEWERS, scope=QUERY, params=TABLE),
    Page(
        "report_list",
        lambda s: _q(reverse("report_list"), s),
        VIEWERS,
        scope=QUERY,
        params=(*DASHBOARD, "q", "page"),
    ),
    Page("report_detail", _report("report_detail"), VIEWERS, scope=PATH, params=("page",)),
    Page("report_download", _report("report_download"), VIEWERS, scope=PATH, kind=FILE, params=("format",)),
    Page(
        "status",
        lambda s: _q(reverse("status"), s),
        VIEWERS,
        methods=("GET", "POST"),
        may_post=OPERATORS,
        scope=QUERY,
        params=DASHBOARD,
    ),
    Page("uploads", lambda s: _q(reverse("uploads"), s), VIEWERS, scope=QUERY, params=DASHBOARD),
    # RFC 8460's HTTPS delivery, open to reporters: a form post is not a TLS report.
    Page("tlsrpt_intake", lambda s: reverse("tlsrpt_intake"), PUBLIC, methods=("POST",), ok=415, kind=JSON),
    Page("domains", lambda s: reverse("domains"), VIEWERS),
    Page(
        "mark_sender",
        lambda s: reverse("mark_sender", args=[s.domain]),
        OPERATORS,
        methods=("POST",),
        scope=PATH,
        ok=302,
    ),
    Page(
        "retry_message",
        lambda s: reverse("retry_message", args=[s.message]),
        OPERATORS,
        methods=("POST",),
        ok=302,
    ),
    Page("rollout_how", lambda s: reverse("rollout_how"), VIEWERS),
    Page("rollout", lambda s: reverse("rollout", args=[s.domain]), VIEWERS, scope=PATH, params=("days",)),
    Page(
        "rollout_refresh",
        lambda s: reverse("rollout_refresh", args=[s.domain]),
        OPERATORS,
        methods=("POST",),
        scope=PATH,
        ok=302,
    ),
    # What the converters refuse gets a clear 400 (dashboard.views.bad_url_part).
    Page(r"^sources/[\s\S]+/$", lambda s: "/sources/999.1.1.1/", SIGNED_IN, ok=400),
    Page(r"^rollout/[\s\S]+/$", lambda s: "/rollout/evil%2Fx.example/", SIGNED_IN, ok=400),
    Page("tls", lambda s: reverse("tls", args=[s.domain]), VIEWERS, scope=PATH, params=("days",)),
    Page(
        "tls_mx",
        lambda s: reverse("tls_mx", args=[s.domain, f"mx1.{s.domain}"]),
        VIEWERS,
        scope=PATH,
        params=("days",),
    ),
    Page(r"^tls/[\s\S]+/$", lambda s: "/tls/evil%2Fx.example/", SIGNED_IN, ok=400),
    Page("alerts", lambda s: _q(reverse("alerts"), s), VIEWERS, scope=QUERY, params=("domain",)),
    Page("alert_settings", lambda s: reverse("alert_settings"), VIEWERS, methods=("GET", "POST")),
    Page(
        "alerts_unsubscribe",
        lambda s: reverse("alerts_unsubscribe", args=[s.token]),
        PUBLIC,
        methods=("GET", "POST"),
    ),
    Page("account_tokens", lambda s: reverse("account_tokens"), SIGNED_IN, methods=("GET", "POST")),
    # The REST API (reports.api): a session works as a token with every scope.
    # GET lists the user's domains; POST adds monitored domains (admins).
    _api("api_domains", lambda s: reverse("api_domains"), methods=("GET", "POST"), may_post=STAFF),
    # 202 until a worker has assessed the domain (as no test's scenario runs one).
    _api("api_readiness", _on_domain("api_readiness"), scope=PATH, ok=202, params=("days",)),
    _api("api_overview", _on_domain("api_overview"), scope=PATH, params=API_RANGE),
    _api("api_sources", _on_domain("api_sources"), scope=PATH, params=API_SOURCES),
    _api(
        "api_source",
        lambda s: reverse("api_source", args=[s.domain, s.ip]),
        scope=PATH,
        params=(*API_RANGE, *API_PAGING),
    ),
    _api("api_senders", _on_domain("api_senders"), scope=PATH, params=API_RANGE),
    _api("api_reports", _on_domain("api_reports"), scope=PATH, params=(*API_RANGE, "q", *API_PAGING)),
    _api("api_alerts", _on_domain("api_alerts"), scope=PATH, params=("state",)),
    _api("api_report", _report("api_report"), scope=PATH, params=API_PAGING),
    _api("api_marks", _on_domain("api_marks"), methods=("GET", "POST"), may_post=OPERATORS, scope=PATH),
    _api("api_push", lambda s: reverse("api_push"), OPERATORS, methods=("POST",), ok=202),
    # Names an upload no one made: not found, whoever asks.
    _api("api_upload", lambda s: reverse("api_upload", args=[999_999]), SIGNED_IN, ok=404),
    Page("api_schema", lambda s: reverse("api_schema"), PUBLIC, kind=JSON),
    Page("api_docs", lambda s: reverse("api_docs"), PUBLIC),
    _api("api_bad_domain", lambda s: "/api/v1/domains/-bad-/readiness/", PUBLIC, ok=400),
    _api("api_not_found", lambda s: "/api/v1/no-such-endpoint/", PUBLIC, ok=404),
)


# --- The admin's pages, from the admin site -----------------------------------------------------------


def _admin_objects() -> dict:
    """One row of each model the admin shows (the first), for its change, delete and history pages."""
    from django.contrib import admin

    found = {}
    for model in admin.site._registry:
        pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            found[f"{model._meta.app_label}_{model._meta.model_name}"] = pk
    return found


def _admin_page(name: str, build, **kw) -> Page:
    kw.setdefault("may", STAFF)
    return Page(name, build=build, refused=302, admin=True, **kw)


def _object_url(key: str, view: str):
    def build(s: Subjects) -> str | None:
        pk = s.objects.get(key)
        return reverse(f"admin:{key}_{view}", args=[pk]) if pk is not None else None

    return build


def _model_pages(model, model_admin) -> list[Page]:
    key = f"{model._meta.app_label}_{model._meta.model_name}"
    # What the admin lets nobody do (a read-only log, say) answers 403 to the staff too.
    adds = _allows(model_admin.has_add_permission)
    changes = _allows(model_admin.has_change_permission) or _allows(model_admin.has_view_permission)
    deletes = _allows(model_admin.has_delete_permission)
    standard = [
        _admin_page(f"admin:{key}_changelist", lambda s, k=key: reverse(f"admin:{k}_changelist")),
        _admin_page(f"admin:{key}_add", lambda s, k=key: reverse(f"admin:{k}_add"), ok=200 if adds else 403),
        _admin_page(f"admin:{key}_change", _object_url(key, "change"), ok=200 if changes else 403),
        _admin_page(f"admin:{key}_delete", _object_url(key, "delete"), ok=200 if deletes else 403),
        _admin_page(f"admin:{key}_history", _object_url(key, "history")),
        # The bare object URL redirects to its change page.
        _admin_page(
            f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/",
            lambda s, k=key: (
                reverse(f"admin:{k}_change", args=[s.objects[k]]).removesuffix("change/")
                if k in s.objects
                else None
            ),
            ok=302,
            kind=REDIRECT,
        ),
    ]
    # Pages a ModelAdmin adds of its own (the user admin's password form, say), about one row.
    known = {p.name for p in standard}
    extra = [
        _admin_page(
            f"admin:{u.name}",
            lambda s, n=u.name, per_row="<" in str(u.pattern): (
                reverse(f"admin:{n}", args=[s.objects[key]] if per_row else [])
                if not per_row or key in s.objects
                else None
            ),
        )
        for u in model_admin.get_urls()
        if u.name and f"admin:{u.name}" not in known
    ]
    return standard + extra


def _allows(check) -> bool:
    """What a ModelAdmin's has_*_permission says to a superuser (False where the admin forbids it)."""
    from types import SimpleNamespace

    from django.contrib.auth.models import User

    request = SimpleNamespace(user=User(is_superuser=True, is_staff=True, is_active=True), method="GET")
    try:
        return bool(check(request))
    except TypeError:  # an inline's signature takes the object too
        return bool(check(request, None))


def _admin_pages() -> list[Page]:
    from django.contrib import admin

    generic = [
        _admin_page("admin:index", lambda s: reverse("admin:index")),
        # Signed in or not, the admin's login form; staff who are signed in are sent on to the index.
        _admin_page("admin:login", lambda s: reverse("admin:login"), may=PUBLIC - STAFF),
        _admin_page("admin:logout", lambda s: reverse("admin:logout"), methods=("POST",), ok=302),
        _admin_page("admin:password_change", lambda s: reverse("admin:password_change")),
        _admin_page("admin:password_change_done", lambda s: reverse("admin:password_change_done")),
        _admin_page("admin:jsi18n", lambda s: reverse("admin:jsi18n"), kind=FILE),
        # Asked by the admin's own widgets, with their parameters; bare, it is refused.
        _admin_page("admin:autocomplete", lambda s: reverse("admin:autocomplete"), ok=403, kind=FILE),
        _admin_page("admin:view_on_site", lambda s: None, kind=REDIRECT),
        _admin_page("admin:app_list", lambda s: reverse("admin:app_list", args=["reports"])),
        # Any other path under /admin/: not found, for the staff only.
        _admin_page(r"admin/(?P<url>.*)$", lambda s: "/admin/no-such-page/", ok=404),
    ]
    models = [p for m, ma in admin.site._registry.items() for p in _model_pages(m, ma)]
    return generic + models


# --- What the tests read -------------------------------------------------------------------------------


@cache
def every_page() -> tuple[Page, ...]:
    """The app's pages, then the admin's."""
    return PAGES + tuple(_admin_pages())


def page(name: str) -> Page:
    return next(p for p in every_page() if p.name == name)


def app_pages() -> tuple[Page, ...]:
    return tuple(p for p in every_page() if not p.admin)


def parameters() -> list[str]:
    """Every query parameter some page reads (the fuzz sends them all, to every page)."""
    return sorted({name for p in PAGES for name in p.params})


def urls(s: Subjects, *, role: str = SUPERUSER, kinds=(HTML, CSV, FILE, REDIRECT), admin=True) -> list[str]:
    """The URLs of the pages `role` may GET, built for `s`."""
    found = []
    for p in every_page():
        if not p.reads or p.kind not in kinds or (p.admin and not admin):
            continue
        if p.answer(role, s.domain) != p.ok or p.ok >= 400:
            continue
        url = p.url(s)
        if url is not None:
            found.append(url)
    return found
