"""Helpers for pages that take files with a plain form (no JavaScript):
the journey's evidence page and the follow-up page use the same ones."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from evidence import kinds, services
from evidence.multipart import FormUploadHandler, HashedTemporaryUploadedFile

PageErrors = list[dict[str, str]]


def takes_files(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """A view that reads file uploads with evidence.multipart.

    The handler must be installed before anything reads the body, and the
    CSRF middleware reads it; so the middleware's check is skipped and the
    same check runs inside, after the handler is in place.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers = [FormUploadHandler(request)]
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
                hashed = cast(HashedTemporaryUploadedFile, uploaded)  # takes_files' handler made it
                services.upload_complete_file(upload=upload, file=hashed, sha256=hashed.sha256)
            except services.EvidenceError as exc:
                name = kinds.safe_filename(uploaded.name or "")
                errors.append({"field": field, "message": f"{name}: {exc.message}"})
    return True, errors
