"""The trends and the named services in Debian's chromium against a live server: a year of reports drawn by
week on the overview, each service's sparkline on the Senders page, its trend on the source page, and a
service of your own added in the admin."""

from io import StringIO

import pytest
from django.core.management import call_command

from reports.harness.browser import drawn_pixels, new_page, shoot, sign_in
from reports.sources.tests.test_trends import CHIMP, D, year  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server, superuser):
    page = new_page(browser, live_server.url)
    sign_in(page, "superuser")
    yield page
    page.context.close()


def test_a_year_by_week_a_service_over_time_and_a_service_of_your_own(page, year):  # noqa: F811
    page.goto(f"/?domain={D}&range=365")
    assert page.locator("h1").inner_text() == D
    assert "Messages per week" in page.locator("body").inner_text()
    for canvas in ("chart-daily", "chart-trend"):
        assert drawn_pixels(page, canvas) > 500, canvas
    bars = page.evaluate("JSON.parse(document.getElementById('chart-data').textContent).days.length")
    assert 52 <= bars <= 54
    page.click(".trend-points summary")
    assert page.locator(".trend-points tbody tr").count() == bars
    assert page.locator("[data-trend-pass]").inner_text().endswith("%")
    shoot(page, "overview-year-by-week")

    page.goto(f"/senders/?domain={D}&range=365")
    row = page.locator('tr[data-service="mailchimp"]')
    assert row.locator("strong").first.inner_text() == "Mailchimp"
    assert row.locator("svg.spark polyline").count() == 1
    assert row.locator("[data-trend-change]").inner_text()
    shoot(page, "senders-trends")

    page.goto(f"/sources/{CHIMP}/?domain={D}&range=365")
    assert page.locator("[data-service]").first.inner_text() == "Mailchimp"
    assert "Trend of Mailchimp" in page.locator(".trend h2").inner_text()

    call_command("selectors", D, "--refresh", stdout=StringIO())
    page.goto(f"/senders/?domain={D}&range=365")
    page.click("text=DKIM selectors →")
    page.wait_for_url("**/selectors/**")
    row = page.locator('tr[data-selector="google"]')
    assert row.locator("td").nth(2).inner_text() == "Google Workspace"
    assert "no key published" in row.locator("[data-key]").inner_text()
    shoot(page, "selectors")

    page.goto("/admin/reports/operatorservice/add/")
    page.fill("#id_name", "Billing <script>x</script>")
    page.fill("#id_slug", "billing")
    page.select_option("#id_kind", "finance")
    page.fill("#id_dkim", "not a domain")
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    assert "Not domain names: not, a, domain." in page.locator("body").inner_text()
    page.fill("#id_dkim", "billing.example.net")
    page.click("input[name=_save]")
    page.wait_for_url("**/operatorservice/")
    assert "Billing <script>x</script>" in page.locator("#result_list").inner_text()
    assert page.errors == [] and page.dialogs == []
