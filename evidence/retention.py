"""Erasing evidence files when their time is up or on an erasure request,
and what evidence a person can see in an access request.

Named in settings.RETENTION_HANDLERS; reports' subject rights functions
call the rest for the reports they match (this app never imports reports).

An erased item stays as a tombstone: its SHA-256, size, kind, dates and
chain of custody, with the files (original and every derivative) deleted
from storage and the filename and capture metadata removed. The hash is
what lets a copy produced later (in court, say) be checked against what we
received, without our keeping the content.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from evidence.models import CustodyEvent, Derivative, EvidenceItem
from evidence.services import storage
from privacy.models import RecordKind
from privacy.selectors import held_object_ids

logger = logging.getLogger(__name__)


def parse_uuids(values: Iterable[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return ids


def evidence_erase(
    *, items: QuerySet[EvidenceItem], reason: str, acting_user: User | None = None
) -> list[str]:
    """Make tombstones of ``items`` and delete their files once committed.

    The rows change in the caller's transaction (the item can no longer be
    served from that moment: only ``clean`` items are); the files go after
    commit, so a rolled-back run never leaves a live row without its file.
    A deletion that fails is tried again by the next run (the row keeps the
    storage name until its file is gone).
    """
    now = timezone.now()
    erased: list[str] = []
    with transaction.atomic():
        for item in (
            items.exclude(status=EvidenceItem.Status.ERASED)
            .select_for_update(of=("self",))
            .prefetch_related("derivatives")
        ):
            CustodyEvent.objects.create(
                item=item,
                at=now,
                action=CustodyEvent.Action.ERASED,
                sha256=item.sha256,
                acting_user=acting_user,
                detail={
                    "reason": reason,
                    "derivatives": {d.version: d.sha256 for d in item.derivatives.all()},
                },
            )
            erased.append(str(item.pk))
        EvidenceItem.objects.filter(pk__in=erased).update(
            status=EvidenceItem.Status.ERASED,
            erased_at=now,
            filename="",
            metadata={},
            status_reason="",
        )
        transaction.on_commit(partial(evidence_erase_files, item_ids=erased))
    return erased


def evidence_erase_files(*, item_ids: Iterable[str] | None = None) -> int:
    """Delete from storage the files of erased items that still have any.

    Idempotent: deleting a name that is already gone is not an error (on
    the file system or S3). Returns how many items were finished.
    """
    pending = EvidenceItem.objects.filter(status=EvidenceItem.Status.ERASED).filter(
        ~Q(storage_name="") | Q(derivatives__isnull=False)
    )
    if item_ids is not None:
        pending = pending.filter(pk__in=parse_uuids(item_ids))
    done = 0
    for item in pending.distinct().prefetch_related("derivatives"):
        names = [item.storage_name, *(d.storage_name for d in item.derivatives.all())]
        try:
            for name in names:
                if name:
                    storage().delete(name)
        except Exception:
            # Tried again by the next retention run; the row still says what is left.
            logger.exception("evidence %s: files not yet deleted", item.pk)
            continue
        with transaction.atomic():
            Derivative.objects.filter(item=item).delete()
            EvidenceItem.objects.filter(pk=item.pk).update(storage_name="")
        done += 1
    return done


def evidence_retention_apply(
    *, cutoff: datetime.datetime, held_ids: set[str], action: str
) -> list[str]:
    """Erase the files of evidence received before ``cutoff``, except items
    under a legal hold, or attached to a report under one."""
    held_reports = held_object_ids(RecordKind.REPORT)
    due = (
        EvidenceItem.objects.filter(created_at__lt=cutoff)
        .exclude(pk__in=parse_uuids(held_ids))
        # A report hold names the report by id or by reference.
        .exclude(report_id__in=[int(i) for i in held_reports if i.isdigit()])
        .exclude(report__reference__in={i.strip().upper() for i in held_reports})
    )
    erased = evidence_erase(items=due, reason="retention")
    # Files an earlier run could not delete (storage unavailable) go now.
    transaction.on_commit(evidence_erase_files)
    return erased


def evidence_of_reports(report_ids: Iterable[int]) -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(report_id__in=list(report_ids))


def evidence_subject_data(*, report_ids: Iterable[int]) -> list[dict[str, Any]]:
    """What we hold about the files attached to these reports, with their
    chain of custody (the files themselves are supplied separately, after a
    check for other people in them: UK GDPR Art. 15(4))."""
    records = []
    for item in evidence_of_reports(report_ids).prefetch_related("derivatives", "custody"):
        records.append(
            {
                "id": str(item.pk),
                "report_id": item.report_id,
                "filename": item.filename,
                "kind": item.get_kind_display(),
                "content_type": item.content_type,
                "size_bytes": item.size,
                "sha256": item.sha256,
                "status": item.get_status_display(),
                "received_at": item.created_at.isoformat(),
                "erased_at": item.erased_at.isoformat() if item.erased_at else None,
                "statement": item.is_statement,
                "metadata": item.metadata,
                "copies": [
                    {"version": d.get_version_display(), "sha256": d.sha256}
                    for d in item.derivatives.all()
                ],
                "custody": [
                    {
                        "at": event.at.isoformat(),
                        "action": event.get_action_display(),
                        "version": event.version,
                        "sha256": event.sha256,
                    }
                    for event in item.custody.all()
                ],
            }
        )
    return records
