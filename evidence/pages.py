"""Helpers for pages that take files with a plain form (no JavaScript):
the journey's evidence page and the follow-up page use the same ones."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from evidence import kinds, services

PageErrors = list[dict[str, str]]


class StopOversizedFile(FileUploadHandler):
    """Stops reading a form upload once a file passes the largest limit, so
    an oversized file is never written to disk in full."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > services.max_bytes():
            self.request.evidence_too_large = True  # type: ignore[union-attr]
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def takes_files(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """A view that reads file uploads with StopOversizedFile in place.

    The handler must be installed before anything reads the body, and the
    CSRF middleware reads it; so the middleware's check is skipped and the
    same check runs inside, after the handler is in place.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers.insert(0, StopOversizedFile(request))
        return protected(request, *args, **kwargs)

    return wrapper


def handle_files_action(request: HttpRequest, owner: str) -> tuple[bool, PageErrors]:
    """Do a page's "upload" or "remove" action. Returns (handled, errors)."""
    errors: PageErrors = []
    action = request.POST.get("action", "")  # reads the body: the handler runs here
    if getattr(request, "evidence_too_large", False):
        errors.append({"field": "files", "message": services.too_large_error(None).message})
        return True, errors
    if action == "remove":
        try:
            item_id = uuid.UUID(request.POST.get("item", ""))
        except ValueError:
            return True, errors
        services.evidence_remove(owner=owner, item_id=item_id)
        return True, errors
    if action != "upload":
        return False, errors
    for field in ("statement", "files"):
        for uploaded in request.FILES.getlist(field):
            try:
                upload = services.upload_create(
                    owner=owner,
                    filename=uploaded.name or "",
                    declared_size=uploaded.size,
                    is_statement=field == "statement",
                )
                upload = services.upload_append_file(upload=upload, stream=uploaded)
                services.upload_finish(upload=upload)
            except services.EvidenceError as exc:
                name = kinds.safe_filename(uploaded.name or "")
                errors.append({"field": field, "message": f"{name}: {exc.message}"})
    return True, errors
