"""Browser fixtures: Debian's Chromium driven by Playwright, against pytest-django's
live server. Tenants are found by host name, so tests open
http://<subdomain>.localhost:<port>/ (Chromium resolves *.localhost to loopback)
with PLATFORM_DOMAIN set to "localhost" before any tenant is made."""

import os
import shutil
from pathlib import Path

import pytest

from site_platform import hosts

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).parent / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# The live server thread and the test share one database; Playwright's sync API
# runs its own event loop, which Django would otherwise take for an async context.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def tenant_host(live_server, settings):
    """Point tenant host names at the live server: `<subdomain>.localhost:<port>`."""
    port = int(live_server.url.rsplit(":", 1)[1])
    settings.PLATFORM_DOMAIN = "localhost"
    settings.PLATFORM_PORT = port
    settings.WAGTAILADMIN_BASE_URL = f"http://localhost:{port}"
    hosts.reset()
    yield port
    hosts.reset()


def load_lazy_images(page):
    """Scroll the page through once so lazy images load, then wait for them."""
    page.evaluate("""async () => {
        for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight / 2) {
            window.scrollTo(0, y);
            await new Promise(resolve => setTimeout(resolve, 30));
        }
        window.scrollTo(0, 0);
        await Promise.all([...document.images].map(img => img.complete ? null :
            new Promise(resolve => { img.onload = img.onerror = resolve; })));
        await document.fonts.ready;
    }""")


def screenshot(page, name):
    load_lazy_images(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_accessibility_violations(page):
    """axe-core's serious and critical violations on the page, or skip when the
    axe-playwright-python package (which ships the axe script) is not installed."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    results = axe_module.Axe().run(page)
    return [
        (violation["id"], violation["help"], [node["target"] for node in violation["nodes"]][:3])
        for violation in results.response["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]
