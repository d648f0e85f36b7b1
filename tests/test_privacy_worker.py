"""The privacy lifecycle's background work on a real Celery worker over
Redis: an access request's export, queued from the staff site after commit,
and the daily retention task."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from audit.roles import Role
from hatecrime.celery import app
from privacy.models import RetentionPolicy, RetentionRun, SubjectRequest
from privacy.services import subject_request_confirm_identity, subject_request_create
from privacy.tasks import retention_apply_task
from reports.reference_data import reference_data_load
from tests.conftest import VALID_REPORT
from tests.helpers import submit
from tests.staff import make_staff, signed_in


def _close_connection(**kwargs: Any) -> None:
    # The worker thread's connection must not outlive the test database.
    connection.close()


@pytest.fixture
def worker(transactional_db: None) -> Iterator[Any]:
    task_postrun.connect(_close_connection, weak=False)
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=30,
            queues=settings.CELERY_QUEUE_NAMES,  # privacy tasks go to "periodic"
        ) as w:
            yield w
    finally:
        task_postrun.disconnect(_close_connection)


def wait_for(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not finish in time")


def test_an_access_export_is_prepared_by_the_worker_after_the_staff_action(
    worker: Any,
) -> None:
    reference_data_load()
    report = submit(VALID_REPORT).report
    officer = make_staff("sam", Role.SYSTEM_ADMINISTRATOR)
    request = subject_request_create(
        kind="access", requester_name="Amara Okafor", email="amara.okafor@example.org"
    )
    subject_request_confirm_identity(request=request, how="Passport seen", acting_user=officer)

    response = signed_in(officer).post(
        "/staff/privacy/subjectrequest/",
        {"action": "prepare_export", "_selected_action": [request.pk]},
    )
    assert response.status_code == 302

    wait_for(
        lambda: SubjectRequest.objects.get(pk=request.pk).status == SubjectRequest.Status.READY
    )
    request.refresh_from_db()
    with default_storage.open(request.export_file) as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    assert set(archive.namelist()) == {"summary.txt", "data.json"}
    data = json.loads(archive.read("data.json"))
    assert [r["reference"] for r in data["Reports"]] == [report.reference]
    assert VALID_REPORT["what"]["account"] in archive.read("summary.txt").decode()


def test_the_daily_retention_task_runs_on_the_worker(worker: Any) -> None:
    # A transactional test may start after another emptied the seeded policies.
    RetentionPolicy.objects.get_or_create(
        record_kind="report",
        defaults={"keep_for_days": 365, "action": "anonymise", "legal_basis": "Art. 6(1)(e)"},
    )
    retention_apply_task.delay()
    wait_for(RetentionRun.objects.exists)
    assert RetentionRun.objects.get().results["report"]["count"] == 0
