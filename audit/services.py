"""Writing to the access log (the only way entries are made)."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AccessLogEntry

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
# Any 64-bit number unique to this lock: serialises writers of the chain.
_CHAIN_LOCK_KEY = 7_314_002_211


def _entry_hash(previous_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous_hash}|{canonical}".encode()).hexdigest()


def hashed_fields(entry: AccessLogEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "action": entry.action,
        "outcome": entry.outcome,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "report_reference": entry.report_reference,
        "source": entry.source,
        "detail": entry.detail,
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    report_reference: str = "",
    outcome: str = AccessLogEntry.Outcome.ALLOWED,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AccessLogEntry:
    """Append one entry to the access log, chained to the previous one.

    ``detail`` holds parameters (field names, versions, hashes), never the
    personal data that was seen.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    entry = AccessLogEntry(
        at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_username=getattr(actor, "get_username", lambda: "")() if actor is not None else "",
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=object_id,
        report_reference=report_reference,
        source=(request.META.get("REMOTE_ADDR", "") if request is not None else ""),
        detail=detail or {},
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One writer at a time extends the chain (released at commit).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AccessLogEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        entry.previous_hash = last or GENESIS
        entry.entry_hash = _entry_hash(entry.previous_hash, hashed_fields(entry))
        entry.save(force_insert=True)
    if entry.actor_id is not None and action in (
        AccessLogEntry.Action.VIEW,
        AccessLogEntry.Action.DOWNLOAD,
    ):
        _check_for_burst(entry, entry.actor_id)
    return entry


def _check_for_burst(entry: AccessLogEntry, actor_id: int) -> None:
    """Raise an alert when one account views an unusual number of records.

    Mass browsing of victims' records is the signature of misuse (or of a
    stolen account); system administrators are told once per window.
    """
    window = timedelta(seconds=settings.AUDIT_BURST_WINDOW_SECONDS)
    recent = AccessLogEntry.objects.filter(
        actor_id=actor_id,
        action__in=[AccessLogEntry.Action.VIEW, AccessLogEntry.Action.DOWNLOAD],
        at__gte=entry.at - window,
    ).count()
    if recent < settings.AUDIT_BURST_THRESHOLD:
        return
    if not cache.add(
        f"audit-burst-alerted:{entry.actor_id}", 1, timeout=int(window.total_seconds())
    ):
        return
    audit_record(
        actor=None,
        action=AccessLogEntry.Action.ALERT,
        object_type="auth.user",
        object_id=str(actor_id),
        detail={"reason": "burst", "count": recent, "window_seconds": int(window.total_seconds())},
    )
    from audit.tasks import audit_alert_burst

    transaction.on_commit(lambda: audit_alert_burst.delay(actor_id, recent))


def audit_verify() -> list[int]:
    """Ids of entries whose hash or link does not check out (empty: intact)."""
    broken: list[int] = []
    previous = GENESIS
    for entry in AccessLogEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.previous_hash != previous or entry.entry_hash != _entry_hash(
            entry.previous_hash, hashed_fields(entry)
        ):
            broken.append(entry.pk)
        previous = entry.entry_hash
    return broken
