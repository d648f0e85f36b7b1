from __future__ import annotations

import io
import time
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from audit.receivers import OTP_VERIFIED_AT
from evidence import services
from evidence.models import EvidenceItem, Upload
from tests.staff import verified_client

ALICE = services.owner_digest("alice-session-token-0123456789")
BOB = services.owner_digest("bob-session-token-0123456789")


def upload_stream(*, upload: Upload, stream: IO[bytes]) -> Upload:
    """Send a whole stream through the chunked protocol, in chunks of the
    largest size allowed, as a client would."""
    chunk = settings.EVIDENCE_CHUNK_MAX_BYTES

    class _Limited:
        def __init__(self) -> None:
            self.left = chunk

        def read(self, size: int = -1) -> bytes:
            if self.left <= 0:
                return b""
            data = stream.read(min(size if size > 0 else self.left, self.left))
            self.left -= len(data)
            return data

    while True:
        before = upload.offset
        try:
            upload = services.upload_append_chunk(
                upload=upload,
                offset=upload.offset,
                stream=_Limited(),  # type: ignore[arg-type]
            )
        except services.EvidenceError as exc:
            if exc.code == "empty_chunk" and before > 0:
                return upload
            raise
        if upload.offset - before < chunk:
            return upload


def upload_bytes(
    data: bytes, *, owner: str = ALICE, filename: str = "file.bin", statement: bool = False
) -> EvidenceItem:
    upload = services.upload_create(
        owner=owner, filename=filename, declared_size=len(data), is_statement=statement
    )
    upload = upload_stream(upload=upload, stream=io.BytesIO(data))
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
