"""Processing after commit by a real Celery worker over Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import Client

from evidence.models import EvidenceItem
from evidence.tests.conftest import jpeg_with_location, pdf_with_eicar
from hatecrime.celery import app


@pytest.fixture
def worker(transactional_db: None, clamd: str) -> Iterator[Any]:
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as w:
        yield w


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
