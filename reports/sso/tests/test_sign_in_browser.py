"""Single sign-on through a real OpenID Connect provider (panva's oidc-provider) in Debian's chromium:
a user is created from the provider's claims and sees exactly the domains their groups grant; every
ID token gone wrong is refused with a clear page and an audit entry, and creates nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from reports.demo.report_xml import record_xml
from reports.harness.browser import new_page, sso_sign_in
from reports.harness.builders import daily_report, import_ok
from reports.harness.oidc_provider import OidcProvider
from reports.models import AccessGrant, AuditEntry, Domain, Report, SsoIdentity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALPHA, BETA = "alpha.example", "beta.example"
USERS = {
    "alice": {
        "email": "alice@corp.example",
        "name": "Alice Martin",
        "groups": ["dmarc-viewers-alpha", "staff"],
    },
    "bob": {"email": "bob@corp.example", "name": "Bob Stone", "groups": ["dmarc-viewers-beta"]},
    "carol": {"email": "carol@corp.example", "name": "Carol Admin", "groups": ["dmarc-admins"]},
}


@pytest.fixture
def provider(live_server, settings):
    server = OidcProvider(live_server.url, USERS).start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.DMARC_OIDC_ADMIN_GROUPS = ["dmarc-admins"]
    yield server
    server.close()


@pytest.fixture
def two_domains(db):
    """alpha.example and beta.example with a report each; the team dmarc-viewers-alpha views alpha."""
    for domain in (ALPHA, BETA):
        Domain.objects.get_or_create(name=domain)
        import_ok(daily_report(1, [record_xml(ip="192.0.2.5", count=9)], domain=domain))
    team = Group.objects.create(name="dmarc-viewers-alpha")
    grant = AccessGrant.objects.create(team=team, role=Group.objects.get(name="viewer"))
    grant.domains.add(Domain.objects.get(name=ALPHA))


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server.url)
    yield page
    page.context.close()


def test_a_user_signs_in_through_the_provider_and_sees_what_their_groups_grant(
    page, provider, two_domains, live_server
):
    sso_sign_in(page, live_server.url, "alice")
    assert page.url == live_server.url + "/"
    assert page.locator("#f-domain option").all_inner_texts() == [ALPHA]
    beta_report = Report.objects.get(domain=BETA).pk
    assert page.request.get(f"/reports/{beta_report}/").status == 404
    assert page.request.get(f"/reports/{Report.objects.get(domain=ALPHA).pk}/").status == 200

    identity = SsoIdentity.objects.get(subject="alice")
    assert identity.issuer == provider.issuer
    user = identity.user
    assert (user.email, user.first_name, user.last_name) == ("alice@corp.example", "Alice", "Martin")
    # The provider's groups: the team that has the grant, and one created for an admin to grant later.
    assert set(user.groups.values_list("name", flat=True)) == {"dmarc-viewers-alpha", "staff"}
    assert not user.is_staff and not user.has_usable_password()
    assert AuditEntry.objects.filter(action="sign_in", user=user, target="single sign-on").exists()

    # Signing out ends the provider's session too: it asks, then sends the browser back to the sign-in.
    page.goto("/")
    page.click("form[action='/logout/'] button")
    page.wait_for_url(lambda url: url.startswith(provider.issuer + "/session/end"))
    page.click("button[name=logout]")
    page.wait_for_url(live_server.url + "/login/")
    page.click("#sso-sign-in")
    page.wait_for_selector("input[name=login]")  # the provider asks for the password again


def test_a_member_of_an_admin_group_becomes_admin(page, provider, two_domains, live_server):
    sso_sign_in(page, live_server.url, "carol")
    carol = User.objects.get(sso_identities__subject="carol")
    assert carol.is_staff and not carol.is_superuser
    assert page.goto("/admin/").status == 200


def test_every_token_gone_wrong_is_refused_and_creates_nothing(page, provider, two_domains, live_server):
    callbacks = []
    page.on("request", lambda r: "/oidc/callback/" in r.url and callbacks.append(r.url))
    sso_sign_in(page, live_server.url, "bob")  # the sign-in before: a token to replay
    page.context.clear_cookies()
    users, identities, groups = User.objects.count(), SsoIdentity.objects.count(), Group.objects.count()

    expected = {
        "wrong-audience": "issued for another application",
        "expired": "has expired",
        "replay": "does not belong to this sign-in",
        "bad-signature": "signature does not match",
        "unknown-issuer": "issued by another provider",
    }
    for mode, reason in expected.items():
        page.context.clear_cookies()
        provider.next_token(mode)
        sso_sign_in(page, live_server.url, "alice")
        assert page.locator("h1").inner_text() == "Sign-in refused", mode
        assert reason in page.locator("#sso-reason").inner_text(), mode
        assert page.request.get("/").url.startswith(live_server.url + "/login/"), mode  # not signed in
    # The callback of bob's sign-in, used again: its state was spent.
    page.goto(callbacks[0])
    assert reason_on(page) == "this answer of the provider was already used, or is not for this browser"

    assert (User.objects.count(), SsoIdentity.objects.count(), Group.objects.count()) == (
        users,
        identities,
        groups,
    )
    assert not SsoIdentity.objects.filter(subject="alice").exists()
    refusals = AuditEntry.objects.filter(action="sign_in", target="single sign-on refused")
    assert refusals.count() == len(expected) + 1
    assert all(e.user is None and e.detail["issuer"] == provider.issuer for e in refusals)


def reason_on(page) -> str:
    text = page.locator("#sso-reason").inner_text()
    return text.removeprefix("Single sign-on did not sign you in: ").removesuffix(".")
