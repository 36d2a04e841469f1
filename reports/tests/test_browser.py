"""The dashboard in Debian's chromium, driven by Playwright against a live server.

Screenshots of every page at 1280x800 and 390x844 land in test-artifacts/screenshots/.
"""

import pytest

from reports.demo.report_xml import record_xml
from reports.harness import pages, personas
from reports.harness.browser import drawn_pixels, new_page, no_horizontal_page_scroll, shoot, timeout_ms
from reports.harness.builders import HOSTILE_ID, HOSTILE_ORG, OWN, daily_report, xml_text
from reports.harness.corpus import corpus_dir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server, superuser):
    page = new_page(browser, live_server.url)
    yield page
    page.context.close()


def log_in(page, name="superuser"):
    page.goto("/")
    assert "/login/" in page.url
    page.fill("#id_username", name)
    page.fill("#id_password", personas.password(name))
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_an_operator_reviews_the_dashboard(page, scenario):
    page.goto("/login/")
    shoot(page, "login")
    log_in(page)

    # Two domains: home is the domains list, one row each; a domain's name opens its overview.
    assert page.locator("h1").inner_text() == "Domains"
    assert page.locator("table.domains tbody tr").count() == 2
    shoot(page, "domains")
    page.click("table.domains >> text=example.com")
    page.wait_for_url("**domain=example.com**")

    # Overview: totals and three drawn charts.
    assert page.locator("h1").inner_text() == "example.com"
    assert page.locator('[data-total="messages"]').inner_text() == "674"
    for canvas in ("chart-daily", "chart-dispositions", "chart-top"):
        assert drawn_pixels(page, canvas) > 500, canvas
    shoot(page, "overview")

    # Change the range: 90 days brings in the older report.
    page.click(".presets >> text=90 days")
    page.wait_for_url("**range=90**")
    assert page.locator('[data-total="messages"]').inner_text() == "7,674"
    assert drawn_pixels(page, "chart-daily") > 500
    page.fill("#f-start", "2020-01-01")
    page.fill("#f-end", "2020-01-31")
    page.click(".custom-range button")
    page.wait_for_url("**range=custom**")
    assert "1 Jan 2020" in page.locator(".page-head").inner_text()
    assert page.locator('[data-total="messages"]').inner_text() == "0"

    # Sources table, then a drill-down opened from it.
    page.click(".presets >> text=30 days")
    page.click("nav >> text=Sources")
    page.wait_for_url("**/sources/**")
    assert page.locator("table.sources tbody tr").count() == 3
    page.check("input[name=failing]")
    page.click(".toolbar button[type=submit]")
    page.wait_for_url("**failing=on**")
    assert page.locator("table.sources tbody tr").count() == 2
    shoot(page, "sources")
    page.click("table.sources tbody tr >> nth=0 >> a")
    page.wait_for_url("**/sources/198.51.100.7/**")
    assert page.locator("h1").inner_text() == "198.51.100.7"
    assert drawn_pixels(page, "chart-daily") > 200
    assert "spoof.invalid" in page.content()
    shoot(page, "source")

    # Reports list and a report.
    page.click("nav >> text=Reports")
    page.wait_for_url("**/reports/**")
    shoot(page, "reports")
    page.click("table tbody tr >> nth=0 >> a")
    page.wait_for_url("**/reports/*/**")
    assert "Policy published" in page.content()
    shoot(page, "report")

    # Every page fits the phone width: only tables scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    every = pages.urls(pages.subjects(OWN), kinds=(pages.HTML,), admin=False)
    for url in ("/", "/sources/", "/reports/", *every):
        page.goto(url)
        assert no_horizontal_page_scroll(page), url
    assert page.errors == []


def test_the_top_sources_chart_opens_a_drill_down(page, scenario):
    log_in(page)
    page.goto("/?domain=example.com")
    # The chart sits below the trend chart: a click lands only on what is in the viewport.
    page.locator("#chart-top").scroll_into_view_if_needed()
    box = page.locator("#chart-top").bounding_box()
    # The first bar is the busiest source, at the top of the chart.
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.12)
    page.wait_for_url("**/sources/192.0.2.10/**")
    assert page.locator('[data-total="messages"]').inner_text() == "650"


def wait_until_ingested(page):
    """The uploads page reloads itself (static/js/refresh.js) until a worker has ingested every file."""
    page.wait_for_selector("#uploads:not([data-refresh-seconds])", timeout=timeout_ms(60))


def test_an_upload_through_the_status_page(page, tmp_path, celery_broker, celery_worker):
    celery_worker()
    log_in(page)
    built = tmp_path / "built.xml"
    built.write_bytes(daily_report(1, [record_xml(ip="192.0.2.44", count=21)], org="built.example"))
    real = corpus_dir() / "parsedmarc" / "nice-input.xml.gz"
    page.click("nav >> text=Ingestion")
    shoot(page, "status")
    page.set_input_files("input[type=file]", [str(built), str(real)])
    page.click("form.upload button[type=submit]")
    wait_until_ingested(page)
    rows = page.locator("table.results tbody.upload")
    assert rows.count() == 2
    built_row = page.locator("tbody.upload", has_text="built.xml")
    assert "imported" in built_row.inner_text() and "built.example" in built_row.inner_text()
    assert "imported" in page.locator("tbody.upload", has_text="nice-input.xml.gz").inner_text()
    assert page.errors == []
    shoot(page, "uploads")
    page.goto("/sources/192.0.2.44/")
    assert page.locator('[data-total="messages"]').inner_text() == "21"


def test_a_hostile_report_shows_as_text_everywhere_and_runs_nothing(
    page, hostile, tmp_path, celery_broker, celery_worker
):
    celery_worker()
    log_in(page)
    pages = ["/", "/sources/", "/sources/192.0.2.66/", "/reports/", f"/reports/{hostile.report_pk}/"]
    for url in pages:
        page.goto(url)
        text = page.locator("main").inner_text()
        if url != "/" and url != "/sources/":  # these pages show no reporter names
            assert HOSTILE_ORG in text and HOSTILE_ID in text, url
        assert page.locator("main img").count() == 0, url
        assert page.locator('main script:not([type="application/json"])').count() == 0, url
    shoot(page, "hostile-report")

    # Upload it once more under a hostile file name: the results show it as text too.
    evil = tmp_path / "evil.xml"
    evil.write_bytes(
        daily_report(2, [record_xml()], org=xml_text(HOSTILE_ORG), report_id=xml_text(HOSTILE_ID + "2"))
    )
    page.goto("/status/")
    page.set_input_files("input[type=file]", [str(evil)])
    page.click("form.upload button[type=submit]")
    wait_until_ingested(page)
    assert HOSTILE_ORG in page.locator("table.results").inner_text()
    assert page.dialogs == []
    assert page.errors == []


@pytest.fixture
def demo(db, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.DMARC_DNS_NAMESERVERS = ["127.0.0.1:9"]  # nothing there: the demo's answers come from its cache
    settings.DMARC_DNS_TIMEOUT = 1
    call_command("demo", stdout=StringIO())
    from reports.rollout.actions import refresh_summaries

    refresh_summaries()  # what the worker does after the import: the readiness pages read it


def test_the_record_to_publish_is_copied_with_its_button(browser, live_server, demo):
    from reports.demo.scenarios import READY

    personas.person("operator", READY, role="operator")
    page = new_page(browser, live_server.url, permissions=["clipboard-read", "clipboard-write"])
    try:
        log_in(page, "operator")
        page.goto(f"/rollout/{READY}/")
        steps = page.locator("ol.steps > li")
        # A trial that both receiver generations read (t=y and pct=0), pct raised in three steps,
        # then the policy in full.
        assert steps.count() == 5
        first = page.locator("#step-1-record").inner_text()
        assert "t=y" in first and "pct=0" in first
        # The copy is done when the button says so (the clipboard is written asynchronously). A
        # locator waits without evaluating script text, which the page's CSP forbids.
        steps.nth(0).locator("button.copy").click()
        steps.nth(0).locator("button.copy", has_text="Copied").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == first
        # Only the step that is safe today can be copied; the full policy is shown as where the steps lead.
        assert page.locator("ol.steps > li button.copy").count() == 1
        assert f"v=DMARC1; p=quarantine; fo=1; rua=mailto:dmarc@{READY}" in steps.nth(4).inner_text()
        # The script is a static file: the page carries no inline script.
        assert page.locator('script:not([src]):not([type="application/json"])').count() == 0
        shoot(page, "readiness")
        assert page.errors == []
    finally:
        page.context.close()


def test_at_390_px_the_what_ifs_numbers_and_the_diagnoses_are_visible(page, demo):
    from reports.demo.scenarios import NOT_READY

    log_in(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/rollout/{NOT_READY}/")
    assert no_horizontal_page_scroll(page)
    cells = page.locator("#impact tbody td.num, #impact tbody th.num")
    assert cells.count() >= 8
    for i in range(cells.count()):
        cell = cells.nth(i)
        cell.scroll_into_view_if_needed()
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (i, box)
        assert cell.inner_text().strip(), i
    assert page.locator('#impact tr[data-category="misconfigured"] [data-per-day]').inner_text() != "0"
    diagnosis = page.locator("#sources-misconfigured td.diagnosis").first
    diagnosis.scroll_into_view_if_needed()
    box = diagnosis.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and diagnosis.inner_text().strip()
    page.goto("/domains/")
    assert no_horizontal_page_scroll(page)
    shoot(page, "readiness-not-ready")
