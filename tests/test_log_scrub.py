"""The logs of a whole journey hold nothing a victim told us.

Logging is configured exactly as a deployment with LOG_FORMAT=json and
LOG_LEVEL=DEBUG configures it (the settings module's own LOGGING), every
logger is opened to DEBUG (django.request, celery, SQL included), and a
handler on the root logger keeps every line. Then a report goes in through
the web pages and another through the API, the reporter follows up, the
referrals are delivered by their Celery task, a triage officer opens the
report in the staff site, the person asks for a copy of their data (the
export is built by its task, downloaded and recorded as sent), the daily
retention run runs, and some requests fail. The submitted name, email,
phone number and account must appear in no line.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from audit.roles import Role
from hatecrime.celery import app
from privacy.services import (
    retention_apply,
    subject_request_confirm_identity,
    subject_request_create,
)
from referrals.models import Referral
from reports.models import Report
from tests.conftest import VALID_REPORT
from tests.staff import make_staff, signed_in

ROOT = Path(__file__).resolve().parent.parent

NAME = "Canary Logscrubber"
EMAIL = "canary.logscrub@example.org"
PHONE = "07700 900456"
ACCOUNT = "Canary account: a man spat at me on the tram and called me a slur"
ADDED = "Canary addition: he was at the stop again on Friday"
CANARIES = [NAME, EMAIL, PHONE, ACCOUNT, ADDED, "canary.logscrub", "900456", "spat at me"]

# Loggers that must be open even if nothing has created them yet.
NAMED_LOGGERS = [
    "django",
    "django.request",
    "django.server",
    "django.security",
    "django.db.backends",
    "django.template",
    "celery",
    "celery.app.trace",
    "celery.task",
    "celery.worker",
    "kombu",
    "axes",
    "reports",
    "referrals",
    "audit",
    "privacy",
]


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Every log line of the test, formatted as a deployment formats them."""
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    deployed = runpy.run_path(str(ROOT / "hatecrime" / "settings.py"))["LOGGING"]
    assert deployed["handlers"]["console"]["formatter"] == "json"

    manager = logging.Logger.manager
    for name in NAMED_LOGGERS:
        logging.getLogger(name)
    saved = {
        name: (lg.level, lg.propagate, lg.disabled, list(lg.handlers))
        for name, lg in manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))

    logging.config.dictConfig(deployed)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    for log_filter in root.handlers[0].filters:
        handler.addFilter(log_filter)
    handler.setLevel(logging.DEBUG)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for lg in manager.loggerDict.values():
        if isinstance(lg, logging.Logger):
            lg.setLevel(logging.DEBUG)
            lg.disabled = False
            if not lg.propagate:
                lg.addHandler(handler)
    # SQL statements and their parameters too, as DEBUG=True would log them.
    monkeypatch.setattr(connection, "force_debug_cursor", True)
    try:
        yield buffer
    finally:
        logging.config.dictConfig(settings.LOGGING)
        for name, (level, propagate, disabled, handlers) in saved.items():
            lg = logging.getLogger(name)
            lg.setLevel(level)
            lg.propagate = propagate
            lg.disabled = disabled
            lg.handlers[:] = handlers
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks run in-process when queued, with Celery's own task logging."""
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False
    try:
        yield
    finally:
        app.conf.task_always_eager = False


WEB_PAGES: list[tuple[str, dict[str, Any]]] = [
    ("who", {"reporter_role": "victim", "anonymous": "no"}),
    (
        "what",
        {
            "incident_types": ["verbal-abuse"],
            "account": ACCOUNT,
            "when_kind": "date",
            "occurred_on": "2026-10-30",
            "still_happening": "no",
        },
    ),
    ("where", {"location_kind": "street", "area": "E09000030", "location_description": "A road"}),
    ("why", {"strands": ["race"]}),
    ("people", {"perpetrator_known": "no", "happened_before": "no"}),
    ("evidence", {}),
    (
        "support",
        {
            "wants_support": "yes",
            "wants_police_told": "yes",
            "consent_share_with_support": "on",
            "consent_share_with_police": "on",
            "contact_methods": ["email", "phone"],
            "contact_email": EMAIL,
            "contact_phone": PHONE,
            "contact_name": NAME,
        },
    ),
]


def api_report() -> dict[str, Any]:
    report = copy.deepcopy(VALID_REPORT)
    report["what"]["account"] = ACCOUNT
    report["support"].update(contact_name=NAME, contact_email=EMAIL, contact_phone=PHONE)
    return report


@pytest.mark.usefixtures("reference_data", "eager_tasks")
def test_a_whole_journey_logs_nothing_the_victim_told_us(
    client: Client,
    json_logs: io.StringIO,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # The web journey, with a mistake on the way.
    assert client.post("/report/support/", {"contact_email": EMAIL}).status_code in (200, 302)
    for slug, data in WEB_PAGES:
        response = client.post(f"/report/{slug}/", data)
        assert response.status_code == 302, (slug, response.content[:1000])
    assert client.get("/report/check-your-answers/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/report/check-your-answers/").status_code == 302
    assert client.get("/report/confirmation/").status_code == 200
    web_report = Report.objects.get(channel="web")
    assert web_report.contact_email == EMAIL

    # The API: a report, a look at it, and bodies it refuses.
    api = Client()
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/reports/", api_report(), content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    looked = api.get(
        f"/api/v1/reports/{body['reference']}/", HTTP_X_FOLLOW_UP_SECRET=body["follow_up_secret"]
    )
    assert looked.status_code == 200
    broken = api_report()
    del broken["what"]["incident_types"]
    assert api.post("/api/v1/reports/", broken, content_type="application/json").status_code == 400
    assert api.post("/api/v1/reports/", "{not json", content_type="application/json").status_code
    assert api.get(f"/api/v1/reports/{body['reference']}/").status_code in (401, 403, 404)

    # The reporter follows up: a wrong secret first, then adds information.
    follow = Client()
    wrong = follow.post("/follow-up/", {"reference": body["reference"], "secret": "AAAA-AAAA"})
    assert wrong.status_code == 400
    signed = follow.post(
        "/follow-up/", {"reference": body["reference"], "secret": body["follow_up_secret"]}
    )
    assert signed.status_code == 302
    assert follow.get(signed["Location"]).status_code == 200
    follow.post("/follow-up/your-report/", {"text": ADDED})

    # The referrals went out through their Celery task (eagerly, in-process).
    assert Referral.objects.filter(delivery_status=Referral.DeliveryStatus.DELIVERED).exists()

    # A triage officer reads the report in the staff site.
    staff = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))
    page = staff.get(f"/staff/reports/report/{web_report.pk}/change/")
    assert page.status_code == 200 and NAME.encode() in page.content
    assert staff.get("/staff/reports/report/999999/change/").status_code in (302, 404)
    # The person asks for a copy of their data; the administrator prepares it
    # (a Celery task), downloads and sends it; the daily retention run runs.
    sam = make_staff("sam", Role.SYSTEM_ADMINISTRATOR)
    request = subject_request_create(kind="access", requester_name=NAME, email=EMAIL, phone=PHONE)
    subject_request_confirm_identity(request=request, how="Passport seen", acting_user=sam)
    administrator = signed_in(sam)
    with django_capture_on_commit_callbacks(execute=True):
        administrator.post(
            "/staff/privacy/subjectrequest/",
            {"action": "prepare_export", "_selected_action": [request.pk]},
        )
    export = administrator.get(f"/staff/privacy/subjectrequest/{request.pk}/export/")
    assert export.status_code == 200 and export["Content-Type"] == "application/zip"
    with django_capture_on_commit_callbacks(execute=True):
        administrator.post(
            "/staff/privacy/subjectrequest/",
            {"action": "record_sent", "_selected_action": [request.pk]},
        )
        retention_apply()

    # Someone types their address into a URL: the query string is not logged.
    assert client.get(f"/no-such-page/?email={EMAIL}").status_code == 404

    logs = json_logs.getvalue()
    lines = [line for line in logs.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    loggers = {record["logger"] for record in records}
    # The capture saw the journey (so silence below means something).
    assert any(f"report {web_report.reference} submitted" in r["message"] for r in records)
    assert {"django.request", "django.db.backends", "referrals.services"} <= loggers
    assert any(r.get("request") == "GET /no-such-page/" for r in records)
    assert any(name.startswith("celery") for name in loggers), sorted(loggers)
    for canary in CANARIES:
        assert canary.lower() not in logs.lower(), f"{canary!r} is in the logs"


def test_a_logged_request_keeps_only_method_and_path(rf: Any) -> None:
    from hatecrime.logfilters import RequestPathOnly

    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", None, None)
    record.__dict__["request"] = rf.get("/report/what/", {"email": EMAIL})
    assert RequestPathOnly().filter(record) is True
    assert record.__dict__["request"] == "GET /report/what/"
