"""The upload API: create an upload, send chunks, finish.

Protocol (documented in evidence/services.py and the OpenAPI schema):
``POST /uploads/`` then ``PATCH /uploads/{id}/`` with ``Upload-Offset`` and
the raw bytes (``Content-Type: application/offset+octet-stream``) until all
bytes are sent, ``HEAD /uploads/{id}/`` to learn the offset after a dropped
connection, then ``POST /uploads/{id}/finish/``. The items are attached when
the report is created (``evidence`` in its body) or later, to an existing
report, with its reference and follow-up secret.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evidence import selectors, services
from evidence.api.serializers import (
    EvidenceItemSerializer,
    UploadCreateSerializer,
    UploadSerializer,
)
from evidence.models import EvidenceItem, Upload
from evidence.views import STATUS_TEXT, request_body, request_content_length
from privacy.throttling import ScopedThrottle

UPLOAD_TOKEN_HEADER = "X-Upload-Token"  # noqa: S105 (a header name)

TOKEN_PARAMETER = OpenApiParameter(
    UPLOAD_TOKEN_HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The token issued with your first upload.",
)
OFFSET_PARAMETER = OpenApiParameter(
    "Upload-Offset",
    location=OpenApiParameter.HEADER,
    required=True,
    type=int,
    description="Where these bytes start: must equal the bytes received so far.",
)


def request_owner(request: Request) -> str | None:
    token = request.headers.get(UPLOAD_TOKEN_HEADER, "")
    return services.owner_digest(token) if len(token) >= 20 else None


def upload_data(upload: Upload, token: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": upload.pk,
        "offset": upload.offset,
        "status": upload.status,
        "chunk_max_bytes": settings.EVIDENCE_CHUNK_MAX_BYTES,
    }
    if token:
        data["upload_token"] = token
    return data


def item_data(item: EvidenceItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "filename": item.filename,
        "kind": item.kind,
        "size": item.size,
        "sha256": item.sha256,
        "status": item.status,
        "status_text": STATUS_TEXT[EvidenceItem.Status(item.status)],
        "is_statement": item.is_statement,
    }


# Every upload operation may answer with these (EvidenceError statuses, the
# lookups and the throttle); documented once so the schema tells the truth.
UPLOAD_ERRORS = {
    400: OpenApiResponse(description="Malformed request, errors with field paths"),
    404: OpenApiResponse(description="No such upload for this token"),
    409: OpenApiResponse(
        description="Wrong offset (resume from Upload-Offset), incomplete or finished"
    ),
    413: OpenApiResponse(description="Chunk or file too large"),
    415: OpenApiResponse(description="Not an accepted kind of file"),
    429: OpenApiResponse(description="Too many requests; try again later"),
}


def error_response(exc: services.EvidenceError) -> Response:
    headers = (
        {"Upload-Offset": str(exc.current)} if isinstance(exc, services.OffsetMismatch) else {}
    )
    return Response(
        {"errors": [{"field": None, "code": exc.code, "message": exc.message}]},
        status=exc.status,
        headers=headers,
    )


class _UploadBase(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "evidence_upload"

    def _upload(self, request: Request, upload_id: uuid.UUID) -> Upload:
        owner = request_owner(request)
        upload = selectors.upload_for_owner(owner, upload_id) if owner else None
        if upload is None:
            raise exceptions.NotFound("No upload with that id for this token.")
        return upload


class UploadCreateView(_UploadBase):
    @extend_schema(
        operation_id="upload_create",
        parameters=[TOKEN_PARAMETER],
        request=UploadCreateSerializer,
        responses={201: UploadSerializer, **UPLOAD_ERRORS},
        summary="Start uploading a file (photo, video, audio or PDF)",
    )
    def post(self, request: Request) -> Response:
        serializer = UploadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        owner = request_owner(request)
        token = None
        if owner is None:
            token = services.owner_token_new()
            owner = services.owner_digest(token)
        try:
            upload = services.upload_create(
                owner=owner,
                filename=serializer.validated_data.get("filename", ""),
                declared_size=serializer.validated_data.get("size"),
                is_statement=serializer.validated_data["statement"],
            )
        except services.EvidenceError as exc:
            return error_response(exc)
        return Response(upload_data(upload, token), status=status.HTTP_201_CREATED)


class UploadView(_UploadBase):
    @extend_schema(
        operation_id="upload_status",
        parameters=[TOKEN_PARAMETER],
        responses={200: UploadSerializer, **UPLOAD_ERRORS},
        summary="How many bytes of an upload have arrived (to resume after a dropped connection)",
    )
    def get(self, request: Request, upload_id: uuid.UUID) -> Response:
        upload = self._upload(request, upload_id)
        return Response(upload_data(upload), headers={"Upload-Offset": str(upload.offset)})

    @extend_schema(
        operation_id="upload_chunk",
        parameters=[TOKEN_PARAMETER, OFFSET_PARAMETER],
        request={"application/offset+octet-stream": OpenApiTypes.BINARY},
        responses={200: UploadSerializer, **UPLOAD_ERRORS},
        summary="Send the next chunk of an upload",
    )
    def patch(self, request: Request, upload_id: uuid.UUID) -> Response:
        upload = self._upload(request, upload_id)
        try:
            offset = int(request.headers.get("Upload-Offset", ""))
        except ValueError as exc:
            raise exceptions.ValidationError(
                {"Upload-Offset": ["Send the offset of these bytes in the Upload-Offset header."]}
            ) from exc
        try:
            # The raw request is read in blocks: DRF never parses the body.
            upload = services.upload_append_chunk(
                upload=upload,
                offset=offset,
                stream=request_body(request._request),
                expected_length=request_content_length(request._request),
            )
        except services.EvidenceError as exc:
            return error_response(exc)
        return Response(upload_data(upload), headers={"Upload-Offset": str(upload.offset)})


class UploadFinishView(_UploadBase):
    @extend_schema(
        operation_id="upload_finish",
        parameters=[TOKEN_PARAMETER],
        request=None,
        responses={201: EvidenceItemSerializer, **UPLOAD_ERRORS},
        summary="Finish an upload: the file becomes evidence, checked in the background",
    )
    def post(self, request: Request, upload_id: uuid.UUID) -> Response:
        upload = self._upload(request, upload_id)
        try:
            item = services.upload_finish(upload=upload)
        except services.EvidenceError as exc:
            return error_response(exc)
        return Response(item_data(item), status=status.HTTP_201_CREATED)


class EvidenceItemView(_UploadBase):
    @extend_schema(
        operation_id="evidence_status",
        parameters=[TOKEN_PARAMETER],
        responses={200: EvidenceItemSerializer, **UPLOAD_ERRORS},
        summary="Whether an uploaded file has been checked",
    )
    def get(self, request: Request, item_id: uuid.UUID) -> Response:
        owner = request_owner(request)
        item = selectors.evidence_for_owner(owner).filter(pk=item_id).first() if owner else None
        if item is None:
            raise exceptions.NotFound("No file with that id for this token.")
        return Response(item_data(item))

    @extend_schema(
        operation_id="evidence_remove",
        parameters=[TOKEN_PARAMETER],
        responses={204: None, **UPLOAD_ERRORS},
        summary="Remove an uploaded file before it is attached to a report",
    )
    def delete(self, request: Request, item_id: uuid.UUID) -> Response:
        owner = request_owner(request)
        if not owner or not services.evidence_remove(owner=owner, item_id=item_id):
            raise exceptions.NotFound("No file with that id for this token.")
        return Response(status=status.HTTP_204_NO_CONTENT)
