"""A user granted only example.com, in Debian's chromium: their pages work under the CSP, and
nothing of other.example can be reached."""

import pytest

from reports.harness import pages
from reports.harness.browser import drawn_pixels, new_page, sign_in
from reports.harness.personas import person
from reports.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server.url)
    page.csp = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp.append(m.text))
    yield page
    page.context.close()


def test_a_user_of_one_domain_sees_it_and_nothing_else(page, scenario):
    person("brand", "example.com")
    other = Report.objects.get(domain="other.example").pk
    sign_in(page, "brand")

    # Their domain's pages work: the picker offers it alone, the charts draw under the CSP.
    assert page.locator("#f-domain option").all_inner_texts() == ["example.com"]
    assert page.locator('[data-total="messages"]').inner_text() == "674"
    assert drawn_pixels(page, "chart-daily") > 500
    # Every page a viewer reads (reports.harness.pages), and the bare lists.
    own = pages.urls(pages.subjects("example.com"), role=pages.VIEWER, kinds=(pages.HTML,), admin=False)
    for url in ("/sources/", "/reports/", "/status/", *own):
        response = page.goto(url)
        assert response.status == 200, url
        assert "other.example" not in page.content(), url
    assert page.locator("form.upload").count() == 0  # a viewer uploads nothing

    # Everything of the other domain is not found, in the page and on the endpoint.
    theirs = pages.subjects("other.example")
    urls = [p.url(theirs) for p in pages.app_pages() if p.about_a_domain and p.reads]
    assert f"/reports/{other}/download/" in urls
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
    # The browser reports the refusal on the console: wait for that report, not for a stretch of time.
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                      " document.body.appendChild(s); }")  # fmt: skip
    assert page.evaluate("window.ran") is None and page.csp


def test_the_admin_works_under_the_content_security_policy(page):
    from reports.harness.personas import superuser

    superuser("boss")
    sign_in(page, "boss")
    for url in ("/admin/", "/admin/reports/accessgrant/add/", "/admin/reports/mailbox/add/",
                "/admin/reports/auditentry/", "/admin/auth/user/"):  # fmt: skip
        assert page.goto(url).status == 200, url
    # The grant form's domain selector is drawn by the admin's scripts (filter_horizontal).
    page.goto("/admin/reports/accessgrant/add/")
    page.wait_for_selector("#id_domains_from")
    assert page.errors == [] and page.csp == [], page.csp
