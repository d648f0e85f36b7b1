"""One headless Chromium for the browser tests, a fresh context per test.

The browser is Debian's chromium driven by Playwright (its own browser
download needs the network). It is started once for this package and stopped
after the package's last test: Playwright's sync API keeps an asyncio loop
running in the test thread while it is alive, which the rest of the suite
must not inherit.

Every test gets a new context (cookies, history, storage) served by
pytest-django's live server. Nothing leaves the machine: requests to any
other origin are refused, except the quick-exit address, which is answered
with a neutral local page. Each page a test visits is checked with
``Visitor.audit``: axe (WCAG 2.2 A/AA rules, no serious or critical
violations), a neutral title, nothing in the browser's storage, and no
horizontal overflow. A test fails at teardown if it visited a page of the
service without auditing it, or if a page raised a script error, broke the
Content-Security-Policy, or failed to load a stylesheet or script.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import override_settings
from playwright.sync_api import Browser, BrowserContext, Page, Request, Route, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.browser.visitor import DESKTOP, EXIT_PAGE, Visitor

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install it with bin/system-packages (as root)")
    # Django refuses database access from a thread with a running event loop;
    # Playwright's sync API runs one in this thread while it is started.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def live_server() -> Iterator[LiveServer]:
    """pytest-django's live server, started with a MEDIA_URL it can parse.

    The service has no public media URL (settings.MEDIA_URL is None: files are
    served to authorised people only), but Django's live server thread wraps
    every request in a media handler built from MEDIA_URL, which fails on
    None. While the thread starts, MEDIA_URL is a path no page links to.
    """
    with override_settings(MEDIA_URL="/no-public-media/"):
        server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"))
    yield server
    server.stop()


@pytest.fixture(scope="package")
def axe() -> Axe:
    return Axe()


@pytest.fixture(scope="package")
def axe_checked() -> set[tuple[Any, ...]]:
    """The page states axe has passed in this run (see Visitor.audit)."""
    return set()


@pytest.fixture
def device() -> dict[str, Any]:
    """Context options; override with ``@pytest.mark.parametrize("device", [MOBILE])``."""
    return DESKTOP


@pytest.fixture
def _static_files_from_source(settings: Any) -> None:
    # The live server serves static files from the apps' and project's static
    # folders (not STATIC_ROOT), so its pages link them by their plain names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def visitor(
    browser: Browser,
    axe: Axe,
    axe_checked: set[tuple[Any, ...]],
    live_server: LiveServer,
    device: dict[str, Any],
    transactional_db: None,
    reference_data: None,
    _static_files_from_source: None,
) -> Iterator[Visitor]:
    base_url = live_server.url
    exit_url = settings.QUICK_EXIT_URL
    context: BrowserContext = browser.new_context(locale="en-GB", service_workers="block", **device)
    context.set_default_timeout(10_000)
    refused: list[str] = []

    def only_this_service(route: Route, request: Request) -> None:
        if request.url.startswith(base_url + "/"):
            route.continue_()
        elif request.url.startswith(exit_url):
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=EXIT_PAGE)
        else:
            refused.append(request.url)
            route.abort()

    context.route("**/*", only_this_service)
    page = context.new_page()
    visitor = Visitor(
        page=page, axe=axe, base_url=base_url, exit_url=exit_url, axe_checked=axe_checked
    )
    page.on("framenavigated", visitor._on_navigated)
    page.on("console", visitor._on_console)
    page.on("pageerror", lambda error: visitor.problems.append(f"script error: {error}"))
    page.on("response", visitor._on_response)
    try:
        yield visitor
    finally:
        context.close()
    assert not refused, f"requests left the machine: {refused}"
    assert not visitor.problems, visitor.problems
    unaudited = sorted(set(visitor.visited) - visitor.audited)
    assert not unaudited, f"pages visited but not audited: {unaudited}"


@pytest.fixture
def page(visitor: Visitor) -> Page:
    return visitor.page
