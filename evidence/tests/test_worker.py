"""Processing after commit by a real Celery worker over Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection
from django.test import Client

from evidence.models import EvidenceItem
from evidence.tests.conftest import jpeg_with_location, pdf_with_eicar
from hatecrime.celery import app


def _close_connection(**kwargs: Any) -> None:
    # The worker thread's connection must not outlive the test database.
    connection.close()


@pytest.fixture
def worker(transactional_db: None, clamd: str) -> Iterator[Any]:
    task_postrun.connect(_close_connection, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as w:
            yield w
    finally:
        task_postrun.disconnect(_close_connection)


def _upload(client: Client, data: bytes) -> str:
    created = client.post(
        "/api/v1/uploads/", {"filename": "x", "size": len(data)}, content_type="application/json"
    ).json()
    token = created["upload_token"]
    client.patch(
        f"/api/v1/uploads/{created['id']}/", data,
        content_type="application/offset+octet-stream",
        headers={"X-Upload-Token": token, "Upload-Offset": "0"},
    )  # fmt: skip
    finished = client.post(
        f"/api/v1/uploads/{created['id']}/finish/", headers={"X-Upload-Token": token}
    )
    assert finished.status_code == 201
    return str(finished.json()["id"])


def _wait_until_processed(item_id: str, timeout: float = 60) -> EvidenceItem:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = EvidenceItem.objects.get(pk=item_id)
        if item.status not in (EvidenceItem.Status.STAGED, EvidenceItem.Status.SCANNING):
            return item
        time.sleep(0.2)
    raise AssertionError("the worker did not process the item")


def test_worker_scans_and_derives_after_commit(worker: Any, client: Client) -> None:
    clean = _upload(client, jpeg_with_location())
    infected = _upload(client, pdf_with_eicar())
    item = _wait_until_processed(clean)
    assert item.status == EvidenceItem.Status.CLEAN
    assert {d.version for d in item.derivatives.all()} == {"thumbnail", "shareable"}
    assert _wait_until_processed(infected).status == EvidenceItem.Status.QUARANTINED


def test_item_left_by_a_dead_worker_is_queued_again(worker: Any) -> None:
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from evidence import services
    from evidence.tests.helpers import upload_bytes

    with transaction.atomic():
        item = upload_bytes(jpeg_with_location())
        # A worker took it and died: the message sent on commit finds it taken.
        EvidenceItem.objects.filter(pk=item.pk).update(
            status=EvidenceItem.Status.SCANNING, scan_started_at=timezone.now()
        )
    time.sleep(1)
    assert EvidenceItem.objects.get(pk=item.pk).status == EvidenceItem.Status.SCANNING
    assert services.evidence_requeue_stale(now=timezone.now() + timedelta(hours=2)) == 1
    assert _wait_until_processed(str(item.pk)).status == EvidenceItem.Status.CLEAN
