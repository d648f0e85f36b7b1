"""Erasing access log entries past their retention date (RETENTION_HANDLERS)."""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from audit.models import AccessLogEntry, AccessLogErasure


def access_log_retention_apply(
    *, cutoff: datetime.datetime, held_ids: set[str], action: str
) -> int:
    """Delete the oldest entries, those before ``cutoff``, as one prefix of the
    chain, recording the anchor that lets the rest still be verified.

    Runs inside the retention job's transaction. Only a prefix is removed
    (entries are in time order), stopping before the first held entry.
    """
    due = AccessLogEntry.objects.filter(at__lt=cutoff).order_by("id")
    held = sorted(int(i) for i in held_ids if i.isdigit())
    if held:
        due = due.filter(id__lt=held[0])
    last = due.values("id", "entry_hash").last()
    if last is None:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL audit.retention = 'on'")
    count, _ = AccessLogEntry.objects.filter(id__lte=last["id"]).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL audit.retention = 'off'")
    AccessLogErasure.objects.create(
        at=timezone.now(), erased_through_id=last["id"], anchor_hash=last["entry_hash"], count=count
    )
    return count
