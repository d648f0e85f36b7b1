"""Helpers for pages that take files with a plain form (no JavaScript):
the journey's evidence page and the follow-up page use the same ones."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import (
    FileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from evidence import kinds, services

PageErrors = list[dict[str, str]]


class StopOversizedFile(FileUploadHandler):
    """Stops reading a form upload once a file passes the largest limit, so
    an oversized file is never written to disk in full."""

    chunk_size = services.BLOCK

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


class HashedTemporaryUploadedFile(TemporaryUploadedFile):
    """A form upload in a temporary file, with the SHA-256 of its bytes."""

    sha256 = ""


class HashingTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's handler for large form uploads (to a temporary file), hashing
    the bytes as they are written: the file is then stored as evidence
    without being read again (services.upload_complete_file)."""

    chunk_size = services.BLOCK

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.hashed = HashedTemporaryUploadedFile(
            self.file_name or "upload", self.content_type, 0, self.charset, self.content_type_extra
        )
        self.file = self.hashed
        self.digest = hashlib.sha256()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.digest.update(raw_data)
        self.hashed.write(raw_data)
        if len(raw_data) >= services.BLOCK:
            # The file is made durable before it is accepted: its blocks are
            # written back as they arrive, not all at that fsync.
            self.hashed.flush()
            services.write_back_soon(self.hashed.fileno(), start, len(raw_data))
        return None

    def file_complete(self, file_size: int) -> HashedTemporaryUploadedFile:
        self.hashed.flush()
        self.hashed.seek(0)
        self.hashed.size = file_size
        self.hashed.sha256 = self.digest.hexdigest()
        return self.hashed


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
        handlers = [
            HashingTemporaryFileUploadHandler(request)
            if isinstance(handler, TemporaryFileUploadHandler)
            else handler
            for handler in request.upload_handlers
        ]
        for handler in handlers:
            # Django reads the body in blocks of the smallest handler's
            # chunk_size; 64 KiB blocks made large uploads slow (make bench).
            handler.chunk_size = max(handler.chunk_size, services.BLOCK)
        request.upload_handlers = [StopOversizedFile(request), *handlers]
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
                services.upload_complete_file(
                    upload=upload,
                    file=uploaded,
                    sha256=uploaded.sha256
                    if isinstance(uploaded, HashedTemporaryUploadedFile)
                    else None,
                )
            except services.EvidenceError as exc:
                name = kinds.safe_filename(uploaded.name or "")
                errors.append({"field": field, "message": f"{name}: {exc.message}"})
    return True, errors
