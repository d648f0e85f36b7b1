"""A real upload from the evidence page in headless Chromium: chunked, with
a visible progress bar per file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.test import Client
from playwright.sync_api import Browser, FilePayload, sync_playwright

from evidence.models import EvidenceItem
from evidence.tests.conftest import png_bytes
from tests.test_evidence_journey import up_to_evidence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Server:
    """The site on a free loopback port, as gunicorn would run it.

    (pytest-django's live_server wraps a media-files handler that cannot
    start with MEDIA_URL = None, which this service sets on purpose.)
    """

    def __init__(self) -> None:
        # WhiteNoise (in the middleware) serves the collected static files.
        handler = get_wsgi_application()

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            try:
                return handler(environ, start_response)
            finally:
                # Each request's connection is closed, so none outlives the test database.
                connections.close_all()

        self.httpd = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
        self.httpd.set_app(app)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def site(transactional_db: None) -> Iterator[_Server]:
    server = _Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def test_file_uploads_in_chunks_with_a_progress_bar(
    browser: Browser,
    site: _Server,
    reference_data: None,
    valid_report: dict[str, Any],
    settings: Any,
) -> None:
    settings.EVIDENCE_CHUNK_MAX_BYTES = 64 * 1024
    client = Client()
    up_to_evidence(client, valid_report)
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site.url}]
    )
    page = context.new_page()
    chunks: list[str] = []
    page.on("request", lambda r: chunks.append(r.url) if r.method == "PATCH" else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site.url}/report/evidence/")
    # With JavaScript the "Add files" button is not needed: files start at once.
    assert not page.locator("[data-upload-button]").is_visible()
    photo = png_bytes((200, 200)) + b"\0" * (600 * 1024)
    payload: FilePayload = {"name": "shouting.png", "mimeType": "image/png", "buffer": photo}
    page.set_input_files("#id_files", files=[payload])
    bar = page.locator("#evidence-progress progress")
    bar.wait_for(state="visible")
    assert page.get_by_label("shouting.png").is_visible()
    page.locator("#evidence-list", has_text="shouting.png").wait_for()
    assert bar.evaluate("el => el.value") == 100
    assert page.locator("#evidence-progress [role=status]").inner_text() == (
        "Added. We are checking it."
    )
    assert len(chunks) >= 10
    item = EvidenceItem.objects.get()
    assert (item.filename, item.size, item.kind) == ("shouting.png", len(photo), "image")
    # The file can be removed before sending, from the list it joined.
    page.get_by_role("button", name="Remove shouting.png").click()
    page.wait_for_load_state()
    assert not EvidenceItem.objects.exists()
    assert errors == []
    context.close()
