"""Deployment hardening: the Content-Security-Policy on every page, and the TLS-proxy mode."""

import pytest
from django.test import Client
from django.urls import reverse

from reports.harness import commands, pages
from reports.harness.personas import person, signed_in


def manage(*args, **env):
    return commands.manage(*args, SECRET_KEY="k" * 60 + "-not-a-real-one", **env)


TLS_WARNINGS = ["W004", "W008", "W012", "W016", "W021"]  # HSTS, SSL redirect, cookies, HSTS preload


@pytest.mark.slow
def test_behind_a_tls_proxy_check_deploy_has_no_cookie_hsts_or_ssl_warning():
    result = manage("check", "--deploy", DMARC_BEHIND_TLS_PROXY="true")
    assert result.returncode == 0, result.stderr
    assert not [w for w in TLS_WARNINGS if w in result.stdout + result.stderr], result.stdout + result.stderr
    # Without the setting the same check does warn: the mode is what makes the difference.
    plain = manage("check", "--deploy", DMARC_BEHIND_TLS_PROXY="false")
    assert {"W004", "W008", "W012", "W016"} <= {w for w in TLS_WARNINGS if w in plain.stdout + plain.stderr}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DMARC_BEHIND_TLS_PROXY", "maybe"),
        ("DMARC_ENCRYPTION_KEY", "not-a-fernet-key"),
        ("DMARC_LOGIN_FAILURE_LIMIT", "0"),
        ("DMARC_LOGIN_LOCKOUT_MINUTES", "soon"),
    ],
)
def test_a_bad_value_stops_the_start_and_names_the_variable(name, value):
    result = manage("check", **{name: value})
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and name in result.stderr


@pytest.mark.django_db
def test_behind_the_proxy_plain_http_is_redirected_and_cookies_are_secure(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client()
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert secure.cookies["csrftoken"]["secure"]


def assert_csp(response, url):
    policy = response.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";") if d.strip())
    assert directives.get("script-src") == "'self'", (url, policy)
    assert directives.get("style-src") == "'self'", (url, policy)
    assert "unsafe" not in policy, (url, policy)


@pytest.mark.django_db
def test_every_page_sends_the_content_security_policy(scenario, people):
    # Every page of the registry, as the superuser (who may open them all), the admin's included.
    own = pages.subjects("example.com")
    every = [(p.name, p.url(own)) for p in pages.every_page() if p.reads and p.url(own) is not None]
    assert len(every) > 40
    admin = signed_in(people["superuser"])
    for name, url in every:
        assert_csp(admin.get(url), (name, url))
    assert_csp(admin.get("/no-such-page/"), "/no-such-page/")
    # And what the others get: a login form, a redirect to it, a refusal, a page not found.
    anonymous = Client()
    for url in ["/login/", "/admin/login/", "/"]:
        assert_csp(anonymous.get(url), url)
    nobody = Client()
    nobody.force_login(person("outsider"))
    forbidden = nobody.get("/")
    assert forbidden.status_code == 403
    assert_csp(forbidden, "403")
    viewer = Client()
    viewer.force_login(people["viewer"])
    assert_csp(viewer.get(reverse("rollout", args=["other.example"])), "404")


def test_no_template_carries_inline_script_or_style():
    import re

    for path in (commands.ROOT / "templates").rglob("*.html"):
        if path.name.endswith("_email.html"):
            continue  # mail, not a page: mail clients read only inline styles, and no CSP applies
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", text), path
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", text), path
