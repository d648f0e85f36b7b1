from __future__ import annotations

import io
import time
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from audit.receivers import OTP_VERIFIED_AT
from evidence import services
from evidence.models import EvidenceItem
from tests.staff import verified_client

ALICE = services.owner_digest("alice-session-token-0123456789")
BOB = services.owner_digest("bob-session-token-0123456789")


def upload_bytes(
    data: bytes, *, owner: str = ALICE, filename: str = "file.bin", statement: bool = False
) -> EvidenceItem:
    upload = services.upload_create(
        owner=owner, filename=filename, declared_size=len(data), is_statement=statement
    )
    upload = services.upload_append_file(upload=upload, stream=io.BytesIO(data))
    return services.upload_finish(upload=upload)


def processed(data: bytes, **kwargs: object) -> EvidenceItem:
    item = upload_bytes(data, **kwargs)  # type: ignore[arg-type]
    services.evidence_process(item_id=item.pk)
    item.refresh_from_db()
    return item


def claimed(item: EvidenceItem, report: Any) -> EvidenceItem:
    """Attach an uploaded item to a report, as report_submit does."""
    with transaction.atomic():
        services.evidence_claim(report=report, owner=item.owner, evidence_ids=[item.pk])
    item.refresh_from_db()
    return item


def staff_client(user: User) -> Client:
    """Signed in with a second factor checked just now (downloads ask for a
    recent one)."""
    client = verified_client(user)
    session = client.session
    session[OTP_VERIFIED_AT] = time.time()
    session.save()
    return client
