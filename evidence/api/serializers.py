from __future__ import annotations

from typing import Any

from rest_framework import serializers


class UploadCreateSerializer(serializers.Serializer[dict[str, Any]]):
    filename = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, help_text="Shown to staff only."
    )
    size = serializers.IntegerField(
        min_value=1, required=False, help_text="The file's size in bytes, if known."
    )
    statement = serializers.BooleanField(
        default=False,
        help_text="A video or audio statement given instead of a written account.",
    )


class UploadSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    offset = serializers.IntegerField(help_text="Bytes received so far: send the next chunk here.")
    status = serializers.CharField()
    chunk_max_bytes = serializers.IntegerField()
    upload_token = serializers.CharField(
        required=False,
        help_text=(
            "Issued on the first upload when no X-Upload-Token was sent. Send it as "
            "X-Upload-Token with every later request, and when creating the report."
        ),
    )


class EvidenceItemSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    filename = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    status = serializers.CharField(
        help_text=(
            "staged, scanning, clean, quarantined (virus scanner), rejected (damaged) or "
            "unscanned (over the virus scanner's size limits; never sent to anyone)."
        )
    )
    status_text = serializers.CharField()
    is_statement = serializers.BooleanField()
