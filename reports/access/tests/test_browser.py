"""A user granted only example.com, in Debian's chromium: their pages work under the CSP, and
nothing of other.example can be reached."""

import os

import pytest

from reports.access.tests.people import person
from reports.models import Report
from reports.tests import test_browser as shared
from reports.tests.test_browser import drawn_pixels

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

browser = shared.browser  # the shared chromium, launched once per module


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.errors, page.csp = [], []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp.append(m.text))
    yield page
    context.close()


def sign_in(page, name):
    page.goto("/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", f"pw-{name}-1")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_a_user_of_one_domain_sees_it_and_nothing_else(page, scenario):
    person("brand", "example.com")
    other = Report.objects.get(domain="other.example").pk
    sign_in(page, "brand")

    # Their domain's pages work: the picker offers it alone, the charts draw under the CSP.
    assert page.locator("#f-domain option").all_inner_texts() == ["example.com"]
    assert page.locator('[data-total="messages"]').inner_text() == "674"
    assert drawn_pixels(page, "chart-daily") > 500
    for url in ("/sources/", "/sources/192.0.2.10/", "/reports/", "/rollout/example.com/", "/status/"):
        response = page.goto(url)
        assert response.status == 200, url
        assert "other.example" not in page.content(), url
    assert page.locator("form.upload").count() == 0  # a viewer uploads nothing

    # Everything of the other domain is not found, in the page and on the endpoint.
    urls = [
        "/?domain=other.example", "/sources/?domain=other.example", "/sources.csv?domain=other.example",
        f"/reports/{other}/", f"/reports/{other}/download/", "/rollout/other.example/",
    ]  # fmt: skip
    for url in urls:
        response = page.request.get(url)
        assert response.status == 404, url
    page.goto(f"/reports/{other}/")
    assert page.locator("h1").inner_text() == "Not found"
    csv_text = page.request.get("/sources.csv?range=90").text()
    assert "192.0.2.10" in csv_text and "192.0.2.77" not in csv_text

    assert page.errors == [] and page.csp == []
    # The policy is enforced, and the listener hears it: an inline script is refused.
    page.goto("/")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                  " document.body.appendChild(s); }")  # fmt: skip
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None and page.csp


def test_the_admin_works_under_the_content_security_policy(page):
    from django.contrib.auth.models import User

    User.objects.create_superuser("boss", password="pw-boss-1")
    sign_in(page, "boss")
    for url in ("/admin/", "/admin/reports/accessgrant/add/", "/admin/reports/mailbox/add/",
                "/admin/reports/auditentry/", "/admin/auth/user/"):  # fmt: skip
        assert page.goto(url).status == 200, url
    # The grant form's domain selector is drawn by the admin's scripts (filter_horizontal).
    page.goto("/admin/reports/accessgrant/add/")
    page.wait_for_selector("#id_domains_from")
    assert page.errors == [] and page.csp == [], page.csp
