"""The API reference page in Chromium: Swagger UI draws every endpoint from the app's own files under
the CSP, and "Try it out" with a token reads the API."""

from __future__ import annotations

import pytest

from reports.harness.api import token_for
from reports.harness.browser import new_page, shoot
from reports.harness.builders import OWN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_reference_page_draws_the_api_and_tries_it_with_a_token(browser, live_server, people, scenario):
    page = new_page(browser, live_server.url)
    page.csp, outside = [], []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp.append(m.text))
    page.on("request", lambda r: r.url.startswith(live_server.url) or outside.append(r.url))
    page.goto("/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/domains/{domain}/sources/" in [p.replace("\u200b", "") for p in paths]
    shoot(page, "api-reference")
    # Authorize with a token, then try the domains list.
    page.click("button.authorize")
    bearer = page.locator(".auth-container", has_text="Bearer")
    bearer.locator("input").fill(token_for(people["viewer"], "read"))
    bearer.locator("button.authorize").click()
    page.click("button.btn-done")
    block = page.locator(".opblock-get", has_text="/api/v1/domains/").first
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    page.wait_for_selector(".live-responses-table tbody .response-col_status")
    assert "200" in block.locator(".live-responses-table tbody .response-col_status").first.inner_text()
    assert OWN in block.locator(".live-responses-table .microlight").first.inner_text()
    assert page.errors == [] and page.csp == [], (page.errors, page.csp)
    assert outside == []  # no CDN, nothing from elsewhere
    page.context.close()
