"""The sign-in page with single sign-on, DMARC_LOCAL_LOGIN=false, and the break-glass admin sign-in."""

import pytest
from django.test import Client

from reports.harness import personas
from reports.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sso(settings):
    settings.DMARC_OIDC_ISSUER = "https://idp.invalid"
    settings.DMARC_OIDC_CLIENT_ID = "dmarc"
    settings.DMARC_OIDC_CLIENT_SECRET = "s"
    return settings


def test_without_a_provider_the_sso_pages_are_not_found_and_the_form_alone_is_offered():
    page = Client().get("/login/").content.decode()
    assert "single sign-on" not in page and 'name="password"' in page
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=x&state=y").status_code == 404


def test_with_a_provider_the_button_is_beside_the_form(sso):
    page = Client().get("/login/?next=/sources/").content.decode()
    assert "Sign in with single sign-on" in page and "/oidc/authenticate/?next=/sources/" in page
    assert 'name="password"' in page


def test_local_login_off_refuses_passwords_but_not_the_break_glass_superuser(sso):
    sso.DMARC_LOCAL_LOGIN = False
    personas.viewer()
    admin = personas.admin()
    personas.superuser("boss")
    page = Client().get("/login/").content.decode()
    assert "Sign in with single sign-on" in page and 'name="password"' not in page
    refused = Client().post("/login/", {"username": "viewer", "password": personas.password("viewer")})
    assert refused.status_code == 403 and "_auth_user_id" not in refused.client.session
    staff = Client()
    answer = staff.post("/admin/login/", {"username": admin.username, "password": personas.password("admin")})
    assert answer.status_code == 200 and "only a superuser" in answer.content.decode()
    boss = Client()
    answer = boss.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": personas.password("boss")}
    )
    assert answer.status_code == 302 and boss.get("/admin/").status_code == 200


def test_a_provider_that_cannot_be_reached_gets_the_refusal_page(sso):
    sso.DMARC_OIDC_ISSUER = "http://127.0.0.1:9"
    response = Client().get("/oidc/authenticate/")
    assert response.status_code == 403 and "discovery document cannot be read" in response.content.decode()
    assert AuditEntry.objects.filter(action="sign_in", target="single sign-on refused").count() == 1


def test_a_callback_without_a_started_sign_in_is_refused(sso):
    response = Client().get("/oidc/callback/?code=abc&state=forged")
    assert response.status_code == 403 and "already used" in response.content.decode()
