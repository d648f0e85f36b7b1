"""A commissioning officer reviews a monitoring return in a real browser.

Self-contained: Debian's Chromium driven by Playwright, against the site
served from a thread. (pytest-django's live_server cannot be used while
MEDIA_URL is None: its media handler fails on every request.) The shared
browser-test fixtures live in tests/browser/ on main and can replace these.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.test import Client

from grants.access import COMMISSIONING_OFFICER_GROUP
from grants.models import MonitoringReturn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site_url(transactional_db: None) -> Iterator[str]:
    # Request threads must not keep their database connections (CONN_MAX_AGE),
    # or the test database cannot be dropped afterwards.
    database = connections.settings["default"]
    conn_max_age = database["CONN_MAX_AGE"]
    database["CONN_MAX_AGE"] = 0
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    server.daemon_threads = False  # so that server_close() waits for them
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    database["CONN_MAX_AGE"] = conn_max_age


@pytest.fixture
def browser_page() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context
        browser.close()


def test_officer_reviews_a_return_and_sees_outcomes_and_chart(
    site_url: str, browser_page: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    call_command("seed_demo", verbosity=0)
    officer = User.objects.create_user("olivia", is_staff=True)
    officer.groups.add(Group.objects.get_or_create(name=COMMISSIONING_OFFICER_GROUP)[0])
    client = Client()
    client.force_login(officer)
    browser_page.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site_url}]
    )
    page = browser_page.new_page()

    page.goto(f"{site_url}/commissioning/")
    assert "£47,110,918" in page.content()
    page.get_by_role(
        "link", name="Stop Hate UK: Online hate crime hub: community hub element, 2017/18 Q3"
    ).click()

    chart = page.locator("svg.chart")
    assert chart.is_visible()
    assert page.locator("table#profile").is_visible()
    assert page.locator(".tag--green").count() > 0

    page.get_by_label("Accept the return").check()
    page.get_by_role("button", name="Save review").click()
    assert page.get_by_role("status").inner_text() == "Return for 2017/18 Q3 accepted."
    accepted = MonitoringReturn.objects.get(
        grant__reference="pcd-41-community-hub", financial_year=2017, quarter=3
    )
    assert accepted.status == MonitoringReturn.Status.ACCEPTED
    # Playwright's greenlets give this query its own database connection;
    # close it here, or the test database cannot be dropped at the end.
    connections.close_all()

    for path in (
        "/commissioning/",
        "/commissioning/pcd-543-male-survivors/",
        "/commissioning/insights/",
    ):
        page.goto(f"{site_url}{path}")
        results = Axe().run(page)
        serious = [
            f"{v['id']}: {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{path}: {serious}"
