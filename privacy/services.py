"""Retention, legal holds and subject rights requests.

Each app knows how to anonymise its own records and what it holds about a
person; settings name those functions (RETENTION_HANDLERS,
SUBJECT_DATA_COLLECTORS, SUBJECT_ERASERS) so this module, at the bottom of
the dependency chain, imports none of them.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.models import AccessLogEntry
from audit.services import audit_record
from privacy.crypto import blind_index
from privacy.models import LegalHold, RecordKind, RetentionPolicy, RetentionRun, SubjectRequest
from privacy.selectors import held_object_ids

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subject:
    """Who a request is about, as the keys records can be matched on."""

    email_index: str = ""
    phone_index: str = ""
    references: tuple[str, ...] = field(default_factory=tuple)


# --- retention ----------------------------------------------------------------


def retention_policy_save(*, policy: RetentionPolicy, acting_user: User) -> RetentionPolicy:
    """A system administrator sets how long a kind of record is kept, and why."""
    from privacy.defaults import ALLOWED_ACTIONS

    if policy.action not in ALLOWED_ACTIONS.get(policy.record_kind, set()):
        raise ValueError(f"{policy.record_kind} cannot be {policy.action}d")
    if not policy.legal_basis.strip():
        raise ValueError("A retention policy needs its legal basis.")
    with transaction.atomic():
        policy.save()
        audit_record(
            actor=acting_user,
            action=AccessLogEntry.Action.CHANGE,
            obj=policy,
            detail={
                "record_kind": policy.record_kind,
                "keep_for_days": policy.keep_for_days,
                "action": policy.action,
            },
        )
    return policy


def legal_hold_set(
    *, record_kind: str, object_id: str, reason: str, acting_user: User
) -> LegalHold:
    """Keep one record past its retention date (UK GDPR Art. 17(3)(e), Art.
    18: legal claims, an investigation). A named person, with a reason."""
    if not reason.strip():
        raise ValueError("A legal hold needs a reason.")
    if not object_id.strip():
        raise ValueError("Say which record the hold is on.")
    with transaction.atomic():
        hold = LegalHold.objects.create(
            record_kind=record_kind,
            object_id=object_id.strip(),
            reason=reason,
            set_by=acting_user,
            set_at=timezone.now(),
        )
        audit_record(
            actor=acting_user,
            action=AccessLogEntry.Action.CHANGE,
            obj=hold,
            detail={"legal_hold": "set", "record_kind": record_kind, "object_id": hold.object_id},
        )
    return hold


def legal_hold_lift(*, hold: LegalHold, acting_user: User) -> LegalHold:
    with transaction.atomic():
        lifted = LegalHold.objects.filter(pk=hold.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=acting_user
        )
        if lifted:
            audit_record(
                actor=acting_user,
                action=AccessLogEntry.Action.CHANGE,
                obj=hold,
                detail={
                    "legal_hold": "lifted",
                    "record_kind": hold.record_kind,
                    "object_id": hold.object_id,
                },
            )
    hold.refresh_from_db()
    return hold


def retention_apply(*, now: datetime.datetime | None = None) -> RetentionRun:
    """Erase or anonymise every record past its policy's date, except held ones.

    Runs daily (Celery beat). Each kind is handled in its own transaction so
    one failure does not undo the others (the failure is recorded in the
    run, and the next day's run tries again); the run itself is the record
    of what was erased, and an entry in the access log says it happened.
    Handlers are named in settings.RETENTION_HANDLERS by the app that owns
    the records, so this module imports none of them.
    """
    now = now or timezone.now()
    results: dict[str, Any] = {}
    for policy in RetentionPolicy.objects.all():
        handler_path = settings.RETENTION_HANDLERS.get(policy.record_kind)
        if handler_path is None:
            results[policy.record_kind] = {"skipped": "no handler"}
            continue
        held = held_object_ids(policy.record_kind)
        cutoff = now - datetime.timedelta(days=policy.keep_for_days)
        try:
            with transaction.atomic():
                # A handler answers with the ids it erased or anonymised, or
                # only a count where ids mean nothing (access log entries).
                erased: Sequence[Any] | int = import_string(handler_path)(
                    cutoff=cutoff, held_ids=held, action=policy.action
                )
        except Exception as exc:
            # Recorded and retried tomorrow; the other kinds still run.
            logger.exception("retention of %s failed", policy.record_kind)
            results[policy.record_kind] = {"action": policy.action, "failed": type(exc).__name__}
            continue
        ids = [] if isinstance(erased, int) else [str(i) for i in erased]
        results[policy.record_kind] = {
            "action": policy.action,
            "cutoff": cutoff.isoformat(),
            "count": erased if isinstance(erased, int) else len(ids),
            "held": len(held),
            "ids": ids,
        }
    with transaction.atomic():
        run = RetentionRun.objects.create(ran_at=now, results=results)
        audit_record(
            actor=None,
            action=AccessLogEntry.Action.DELETE,
            obj=run,
            detail={
                kind: {key: value for key, value in result.items() if key != "ids"}
                for kind, result in results.items()
            },
        )
    return run


# --- subject rights -------------------------------------------------------------


def subject_request_create(
    *,
    kind: str,
    requester_name: str,
    email: str = "",
    phone: str = "",
    references: str = "",
    received_at: datetime.datetime | None = None,
) -> SubjectRequest:
    received_at = received_at or timezone.now()
    return SubjectRequest.objects.create(
        kind=kind,
        received_at=received_at,
        # UK GDPR Art. 12(3): without undue delay and within one month of receipt.
        due_by=timezone.localdate(received_at) + relativedelta(months=1),
        requester_name=requester_name,
        email=email,
        phone=phone,
        references=references,
        email_index=blind_index("email", email) if email else "",
        phone_index=blind_index("phone", phone) if phone else "",
    )


def subject_request_confirm_identity(
    *, request: SubjectRequest, how: str, acting_user: User
) -> SubjectRequest:
    """Nothing is shared until a named person has confirmed who is asking."""
    if not how.strip():
        raise ValueError("Record how the requester's identity was confirmed.")
    request.identity_check = how
    request.identity_checked_by = acting_user
    request.identity_checked_at = timezone.now()
    request.status = SubjectRequest.Status.CONFIRMED
    request.save(
        update_fields=["identity_check", "identity_checked_by", "identity_checked_at", "status"]
    )
    return request


def subject_of(request: SubjectRequest) -> Subject:
    references = tuple(r.strip().upper() for r in request.references.split(",") if r.strip())
    return Subject(
        email_index=request.email_index, phone_index=request.phone_index, references=references
    )


def subject_data_collect(subject: Subject) -> dict[str, list[dict[str, Any]]]:
    """Everything held about the subject, by section, from every app."""
    data: dict[str, list[dict[str, Any]]] = {}
    for path in settings.SUBJECT_DATA_COLLECTORS:
        for section, records in import_string(path)(subject=subject).items():
            data.setdefault(section, []).extend(records)
    return data


def _summary(request: SubjectRequest, data: dict[str, list[dict[str, Any]]]) -> str:
    lines = [
        "Your personal information",
        "",
        f"This is everything we hold about you, as of {timezone.localtime():%d %B %Y}.",
        "The file data.json has the same information in a form computers can read.",
        "",
    ]
    for section, records in data.items():
        lines.append(f"{section} ({len(records)})")
        lines.append("-" * len(lines[-1]))
        for record in records:
            for key, value in record.items():
                if value not in ("", None, [], {}):
                    lines.append(f"  {key.replace('_', ' ')}: {value}")
            lines.append("")
    if not data or not any(data.values()):
        lines.append("We hold no information about you.")
    return "\n".join(lines) + "\n"


def subject_request_export(*, request_id: int) -> SubjectRequest | None:
    """Build the access request's zip (a readable summary and JSON); idempotent."""
    claimed = SubjectRequest.objects.filter(
        pk=request_id, kind=SubjectRequest.Kind.ACCESS, status=SubjectRequest.Status.CONFIRMED
    ).update(status=SubjectRequest.Status.EXPORTING)
    if not claimed:
        return None
    request = SubjectRequest.objects.get(pk=request_id)
    data = subject_data_collect(subject_of(request))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.txt", _summary(request, data))
        archive.writestr("data.json", json.dumps(data, indent=2, default=str, ensure_ascii=False))
    content = buffer.getvalue()
    name = default_storage.save(f"subject-requests/{request.pk}/export.zip", ContentFile(content))
    request.export_file = name
    request.export_sha256 = hashlib.sha256(content).hexdigest()
    request.export_ready_at = timezone.now()
    request.status = SubjectRequest.Status.READY
    request.save(update_fields=["export_file", "export_sha256", "export_ready_at", "status"])
    return request


class ExportUnavailable(Exception):
    """The export is not there to send (never prepared, already deleted) or
    no longer matches the SHA-256 recorded when it was made."""


def subject_export_read(*, request: SubjectRequest, acting_user: User) -> bytes:
    """The export's bytes for the administrator who sends it, checked against
    the SHA-256 recorded when it was made; the download is in the access log."""
    if request.status != SubjectRequest.Status.READY or not request.export_file:
        raise ExportUnavailable("There is no export to download: prepare it first.")
    with default_storage.open(request.export_file) as stored:
        content: bytes = stored.read()
    if hashlib.sha256(content).hexdigest() != request.export_sha256:
        logger.error("subject access export %s does not match its SHA-256", request.pk)
        raise ExportUnavailable(
            "The stored export does not match the copy that was made; prepare it again."
        )
    audit_record(
        actor=acting_user,
        action=AccessLogEntry.Action.DOWNLOAD,
        obj=request,
        detail={"sha256": request.export_sha256},
    )
    return content


def _export_delete(request: SubjectRequest) -> None:
    """Forget the export; its file goes once the change is committed (a
    rolled-back change leaves the file where the record says it is)."""
    if name := request.export_file:
        transaction.on_commit(lambda: default_storage.delete(name))
    request.export_file = ""
    request.export_ready_at = None


def subject_request_export_sent(*, request: SubjectRequest, acting_user: User) -> SubjectRequest:
    """The export went to the requester: our copy is deleted (its SHA-256
    stays as the record of what was sent) and the request is closed."""
    if request.status != SubjectRequest.Status.READY:
        raise ExportUnavailable("Only a prepared export can be recorded as sent.")
    with transaction.atomic():
        _export_delete(request)
        request.status = SubjectRequest.Status.CLOSED
        request.handled_by = acting_user
        request.closed_at = timezone.now()
        request.save(
            update_fields=["export_file", "export_ready_at", "status", "handled_by", "closed_at"]
        )
        audit_record(
            actor=acting_user,
            action=AccessLogEntry.Action.DELETE,
            obj=request,
            detail={"sent": True, "sha256": request.export_sha256},
        )
    return request


def subject_export_retention_apply(
    *, cutoff: datetime.datetime, held_ids: set[str], action: str
) -> list[int]:
    """The daily run's handler for exports nobody recorded as sent: deleted
    once older than the policy allows. The request goes back to "identity
    confirmed", so the export can be prepared again if it is still needed."""
    due = SubjectRequest.objects.filter(
        status=SubjectRequest.Status.READY, export_ready_at__lt=cutoff
    ).exclude(pk__in=[int(pk) for pk in held_ids if pk.isdigit()])
    erased = []
    for request in due.select_for_update(skip_locked=True):
        _export_delete(request)
        request.status = SubjectRequest.Status.CONFIRMED
        request.save(update_fields=["export_file", "export_ready_at", "status"])
        erased.append(request.pk)
    return erased


def subject_request_erase(
    *, request: SubjectRequest, acting_user: User, keep_ids: dict[str, list[str]], exceptions: str
) -> dict[str, int]:
    """Erase what is held about the subject, except what a case worker keeps
    (with the reason recorded: Art. 17(3), e.g. an open investigation)."""
    if request.status != SubjectRequest.Status.CONFIRMED:
        raise ValueError("Confirm the requester's identity first.")
    if any(keep_ids.values()) and not exceptions.strip():
        raise ValueError("Record why the kept records are kept.")
    counts: dict[str, int] = {}
    with transaction.atomic():
        for path in settings.SUBJECT_ERASERS:
            for kind, count in import_string(path)(
                subject=subject_of(request), keep_ids=keep_ids
            ).items():
                counts[kind] = counts.get(kind, 0) + count
        request.exceptions = exceptions
        request.handled_by = acting_user
        request.status = SubjectRequest.Status.CLOSED
        request.closed_at = timezone.now()
        request.save(update_fields=["exceptions", "handled_by", "status", "closed_at"])
    return counts


__all__ = ["ExportUnavailable", "RecordKind", "Subject"]
