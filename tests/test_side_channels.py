"""A canary report with unique markers goes through the whole flow; then we
look for the markers everywhere personal data must not leak: logs, Redis
(the broker and the cache), the database's plaintext dump, and error reports."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

from reports.views import step
from tests.test_journey_views import PAGES, answer_all

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

MARK = uuid.uuid4().hex[:10]
CANARY = {
    "name": f"Canaryname{MARK}",
    "email": f"canary.{MARK}@example.org",
    "account": f"Canary account text {MARK}",
    "place": f"Canary street {MARK}",
}


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs() -> Iterator[Collect]:
    handler = Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(message)s %(args)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def markers_in(text: str) -> list[str]:
    return [value for value in CANARY.values() if value in text]


def redis_text() -> str:
    """Every value in the suite's Redis database, message bodies decoded."""
    client: Any = redis.Redis.from_url(settings.REDIS_URL)
    parts: list[str] = []
    for key in client.scan_iter():
        kind = client.type(key).decode()
        values: list[bytes] = []
        if kind == "string":
            values = [client.get(key) or b""]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = list(client.hgetall(key).values())
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = client.zrange(key, 0, -1)
        for value in values:
            text = value.decode("utf-8", "replace")
            parts.append(text)
            try:
                message = json.loads(text)
                parts.append(base64.b64decode(message.get("body", "")).decode("utf-8", "replace"))
            except (ValueError, AttributeError, TypeError):
                pass
    return "\n".join(parts)


def database_dump() -> str:
    db = connection.settings_dict
    environment = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    result = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"] or "postgres",
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=True,
    )
    return result.stdout


def canary_pages() -> list[tuple[str, dict[str, Any]]]:
    extra: dict[str, dict[str, str]] = {
        "what": {"account": CANARY["account"]},
        "where": {"location_description": CANARY["place"]},
        "support": {"contact_name": CANARY["name"], "contact_email": CANARY["email"]},
    }
    return [(slug, {**data, **extra.get(slug, {})}) for slug, data in PAGES]


def test_a_canary_report_leaks_nowhere(all_logs: Collect, valid_report: dict[str, Any]) -> None:
    web = Client()
    answer_all(web, canary_pages())
    assert web.post("/report/check-your-answers/").status_code == 302
    assert web.get("/report/confirmation/").status_code == 200

    valid_report["what"]["account"] = CANARY["account"]
    valid_report["where"]["location_description"] = CANARY["place"]
    valid_report["support"].update(contact_name=CANARY["name"], contact_email=CANARY["email"])
    assert (
        Client().post("/api/v1/reports/", valid_report, content_type="application/json").status_code
        == 201
    )

    assert markers_in("\n".join(all_logs.lines)) == [], "personal data in the logs"
    assert markers_in(redis_text()) == [], "personal data in Redis (broker or cache)"
    assert markers_in(database_dump()) == [], "personal data in plaintext in the database"


def test_error_reports_from_the_form_pages_are_scrubbed() -> None:
    request = RequestFactory().post(
        "/report/who/", {"reporter_role": "victim", "organisation_name": CANARY["name"]}
    )
    from django.contrib.sessions.backends.cache import SessionStore

    request.session = SessionStore()
    step(request, "who")  # the view marks its POST data as sensitive
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        report = ExceptionReporter(request, type(exc), exc, exc.__traceback__)
        text = report.get_traceback_text() + report.get_traceback_html()
    assert CANARY["name"] not in text
    assert "********" in text
