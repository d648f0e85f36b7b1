from __future__ import annotations

import io

from evidence import services
from evidence.models import EvidenceItem

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
