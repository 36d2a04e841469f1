"""Debian's chromium, driven by Playwright, and what the browser tests do with a page.

The browser is Debian's /usr/bin/chromium: Playwright's own browser download cannot reach its server here.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from reports.harness.personas import password
from reports.harness.waiting import scaled

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
VIEWPORTS = {"desktop": (1280, 800), "mobile": (390, 844)}


@contextmanager
def launch_chromium():
    # Playwright's sync API runs an event loop in this thread; the live server's ORM calls are not async.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def timeout_ms(seconds: float = 15) -> float:
    """A Playwright timeout: `seconds` of an idle machine, stretched by its load."""
    return scaled(seconds) * 1000


def new_page(browser, base_url: str, **context_options):
    """A page of a fresh context (no cookies) at 1280x800, collecting its script errors in
    `page.errors` and its dialogs in `page.dialogs` (dismissed)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, base_url=base_url, **context_options
    )
    page = context.new_page()
    page.set_default_timeout(timeout_ms())
    page.dialogs, page.errors = [], []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def sign_in(page, name: str) -> None:
    """Sign a persona in through the login form (reports.harness.personas' passwords)."""
    page.goto("/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", password(name))
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def shoot(page, name: str) -> None:
    """Save the page at both sizes, then return to the desktop size."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)  # let Chart.js redraw at the new size: a picture, nothing is asserted
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_timeout(150)


def drawn_pixels(page, canvas_id) -> int:
    """How many pixels of the canvas are not transparent."""
    return page.evaluate(
        """(id) => {
            const c = document.getElementById(id);
            const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
            return n;
        }""",
        canvas_id,
    )


def no_horizontal_page_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def sso_sign_in(page, app_url: str, login: str) -> None:
    """Sign in through the OpenID Connect provider of reports.harness.oidc_provider: the dashboard's
    single sign-on button, then the provider's own sign-in page (any password) and consent page;
    returns once the browser is back on the dashboard (signed in, or on the page that refused)."""
    page.goto("/login/")
    page.click("#sso-sign-in")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any-password")
    page.click("button[type=submit]")
    page.click("button[autofocus]")  # the provider's consent page: "Continue"
    # HTTP redirects belong to one navigation: the URL committed is the last (or the refusal).
    page.wait_for_url(lambda url: url.startswith(app_url))
