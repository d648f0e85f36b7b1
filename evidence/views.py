"""Thin views: the browser's chunked upload endpoints (session-owned, CSRF
protected) and the staff-only serving view."""

from __future__ import annotations

import uuid
from typing import IO, Any

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.sessions.backends.base import SessionBase
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from audit.models import AccessLogEntry
from audit.services import audit_record
from audit.views import second_factor_is_recent
from evidence import selectors, services
from evidence.models import CustodyEvent, EvidenceItem, Upload
from hatecrime.wsgi_input import readinto_stream

SESSION_OWNER_KEY = "evidence_owner_token"

# Reporter-facing words for each status.
STATUS_TEXT = {
    EvidenceItem.Status.STAGED: "Added. We are checking it.",
    EvidenceItem.Status.SCANNING: "Added. We are checking it.",
    EvidenceItem.Status.CLEAN: "Added.",
    EvidenceItem.Status.QUARANTINED: (
        "We could not add this file because our safety check found a problem with it. "
        "This is not your fault: files can be affected without anyone knowing. "
        "If you have another copy, you could try a different one, or tell us about it in words."
    ),
    EvidenceItem.Status.UNSCANNED: (
        "We could not add this file because it is too big for our safety check. "
        "You could send a shorter clip, or tell us about it in words."
    ),
    EvidenceItem.Status.REJECTED: (
        "We could not open this file. It may be damaged or only partly sent. "
        "You could try adding it again or try a different copy."
    ),
}


# Files for a new report and files added to an earlier one (follow-up) are
# kept apart, so a draft's files never end up on the wrong report.
PURPOSES = {"report": SESSION_OWNER_KEY, "follow-up": f"{SESSION_OWNER_KEY}:follow-up"}


def session_owner(
    session: SessionBase, *, create: bool = True, purpose: str = "report"
) -> str | None:
    """The owner key for uploads made in this browser session."""
    key = PURPOSES[purpose]
    token = session.get(key)
    if not token:
        if not create:
            return None
        token = services.owner_token_new()
        session[key] = token
    return services.owner_digest(token)


def session_owner_forget(session: SessionBase, *, purpose: str = "report") -> None:
    session.pop(PURPOSES[purpose], None)


def _purpose(request: HttpRequest) -> str:
    return "follow-up" if request.GET.get("for") == "follow-up" else "report"


def _with_purpose(url: str, purpose: str) -> str:
    return f"{url}?for={purpose}" if purpose != "report" else url


def item_view(item: EvidenceItem) -> dict[str, Any]:
    return {
        "id": str(item.pk),
        "filename": item.filename,
        "kind": item.kind,
        "size": item.size,
        "status": item.status,
        "status_text": STATUS_TEXT[EvidenceItem.Status(item.status)],
        "is_statement": item.is_statement,
    }


def request_body(request: HttpRequest) -> IO[bytes]:
    """The body to read a chunk from: straight from the socket where the
    server allows (hatecrime.wsgi_input), else Django's stream."""
    return readinto_stream(request) or request  # type: ignore[return-value]


def request_content_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _error(exc: services.EvidenceError) -> JsonResponse:
    body: dict[str, Any] = {"errors": [{"field": None, "code": exc.code, "message": exc.message}]}
    response = JsonResponse(body, status=exc.status)
    if isinstance(exc, services.OffsetMismatch):
        response["Upload-Offset"] = str(exc.current)
    return response


def _upload_body(upload: Upload, purpose: str) -> dict[str, Any]:
    return {
        "id": str(upload.pk),
        "offset": upload.offset,
        "status": upload.status,
        "chunk_url": _with_purpose(reverse("evidence:web_upload", args=[upload.pk]), purpose),
        "finish_url": _with_purpose(
            reverse("evidence:web_upload_finish", args=[upload.pk]), purpose
        ),
        "chunk_size": min(settings.EVIDENCE_CHUNK_MAX_BYTES, 4 * 1024 * 1024),
    }


@require_http_methods(["POST"])
def web_upload_create(request: HttpRequest) -> JsonResponse:
    owner = session_owner(request.session, purpose=_purpose(request))
    assert owner is not None
    try:
        size = int(request.POST.get("size", "")) if request.POST.get("size") else None
    except ValueError:
        size = None
    try:
        upload = services.upload_create(
            owner=owner,
            filename=request.POST.get("filename", "")[:1000],
            declared_size=size,
            is_statement=request.POST.get("statement") == "1",
        )
    except services.EvidenceError as exc:
        return _error(exc)
    return JsonResponse(_upload_body(upload, _purpose(request)), status=201)


@require_http_methods(["HEAD", "GET", "PATCH"])
def web_upload(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    owner = session_owner(request.session, create=False, purpose=_purpose(request))
    upload = selectors.upload_for_owner(owner, upload_id) if owner else None
    if upload is None:
        raise Http404
    if request.method == "PATCH":
        try:
            offset = int(request.headers.get("Upload-Offset", ""))
        except ValueError:
            return JsonResponse(
                {"errors": [{"field": None, "code": "bad_offset", "message": "Upload-Offset."}]},
                status=400,
            )
        try:
            upload = services.upload_append_chunk(
                upload=upload,
                offset=offset,
                stream=request_body(request),
                expected_length=request_content_length(request),
            )
        except services.EvidenceError as exc:
            return _error(exc)
    response = JsonResponse(_upload_body(upload, _purpose(request)))
    response["Upload-Offset"] = str(upload.offset)
    return response


@require_http_methods(["POST"])
def web_upload_finish(request: HttpRequest, upload_id: uuid.UUID) -> JsonResponse:
    owner = session_owner(request.session, create=False, purpose=_purpose(request))
    upload = selectors.upload_for_owner(owner, upload_id) if owner else None
    if upload is None:
        raise Http404
    try:
        item = services.upload_finish(upload=upload)
    except services.EvidenceError as exc:
        return _error(exc)
    return JsonResponse(item_view(item), status=201)


@require_http_methods(["GET"])
def web_evidence_list(request: HttpRequest) -> JsonResponse:
    owner = session_owner(request.session, create=False, purpose=_purpose(request))
    items = selectors.evidence_for_owner(owner) if owner else EvidenceItem.objects.none()
    return JsonResponse({"items": [item_view(item) for item in items]})


# --- Staff ------------------------------------------------------------------

# Derivatives are re-encoded by us from decoded pixels and may be shown
# inline; everything else (every original) is only ever an attachment.
_INLINE_VERSIONS = selectors.DERIVED_VERSIONS


def _content_disposition(filename: str, *, inline: bool) -> str:
    return content_disposition_header(not inline, filename) or "attachment"


def served_response(
    item: EvidenceItem, served: services.Served, *, inline: bool
) -> StreamingHttpResponse:
    """The bytes of one verified version, with the headers every evidence
    response carries (also used for the police's signed links)."""
    version = served.version
    filename = served.filename if version == "original" else f"{item.pk}-{version}.jpg"
    response = StreamingHttpResponse(
        services.iter_stored(served.name),
        content_type=served.content_type if inline else "application/octet-stream",
    )
    response["Content-Length"] = str(served.size)
    response["Content-Disposition"] = _content_disposition(filename, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "no-store"
    response["X-Evidence-SHA256"] = served.sha256
    return response


def integrity_failed_response() -> HttpResponse:
    return HttpResponse(
        "This file no longer matches the fingerprint recorded when it arrived. "
        "It has not been sent. The problem has been recorded.",
        status=409,
        content_type="text/plain; charset=utf-8",
    )


@staff_member_required
@require_http_methods(["GET"])
def staff_evidence_file(
    request: HttpRequest, item_id: uuid.UUID, version: str
) -> HttpResponse | StreamingHttpResponse:
    """One version of an item, for a member of staff whose role and
    organisation let them have it (``evidence_visible_to``). Anything else,
    another provider's file or a version the viewer may not have, answers
    404 whether it exists or not, and the attempt is in the access log."""
    user = request.user
    if not user.is_verified():  # type: ignore[union-attr]
        # The staff site needs the second factor; so do its files.
        return redirect(f"{settings.STAFF_LOGIN_URL}?next={request.get_full_path()}")
    inline = version in _INLINE_VERSIONS and request.GET.get("download") != "1"
    action = AccessLogEntry.Action.VIEW if inline else AccessLogEntry.Action.DOWNLOAD
    item = selectors.evidence_visible_to(user).select_related("report").filter(pk=item_id).first()
    if item is None or version not in selectors.evidence_versions(item):
        audit_record(
            actor=user,
            action=action,
            outcome=AccessLogEntry.Outcome.DENIED,
            object_type="evidence.evidenceitem",
            object_id=str(item_id),
            request=request,
            detail={"version": version[:20]},
        )
        raise Http404
    if not inline and not second_factor_is_recent(request):
        # A download is a sensitive action: the second factor again if old.
        return redirect(f"/staff/reverify/?next={request.get_full_path()}")
    try:
        served = services.evidence_serve(
            item=item,
            version=version,
            user=user,
            action=CustodyEvent.Action.VIEWED if inline else CustodyEvent.Action.DOWNLOADED,
        )
    except services.EvidenceError as exc:
        raise Http404 from exc
    except services.EvidenceIntegrityError:
        return integrity_failed_response()
    audit_record(
        actor=user,
        action=action,
        obj=item,
        report_reference=item.report.reference if item.report else "",
        request=request,
        detail={"version": version, "sha256": served.sha256},
    )
    return served_response(item, served, inline=inline)
