"""What a file is, decided by its content (libmagic), never by its name or
the content type a client claims."""

from __future__ import annotations

import re
import unicodedata

import magic
from django.utils.translation import gettext_lazy as _

from evidence.models import Kind

# Content types libmagic reports for the kinds we accept.
ACCEPTED: dict[str, str] = {
    "image/jpeg": Kind.IMAGE,
    "image/png": Kind.IMAGE,
    "image/webp": Kind.IMAGE,
    "image/heic": Kind.IMAGE,
    "image/heif": Kind.IMAGE,
    "video/mp4": Kind.VIDEO,
    "video/quicktime": Kind.VIDEO,
    "video/webm": Kind.VIDEO,
    "video/3gpp": Kind.VIDEO,
    "video/3gpp2": Kind.VIDEO,
    "audio/x-m4a": Kind.AUDIO,
    "audio/mp4": Kind.AUDIO,
    "audio/aac": Kind.AUDIO,
    "audio/x-hx-aac-adts": Kind.AUDIO,
    "audio/mpeg": Kind.AUDIO,
    "audio/x-wav": Kind.AUDIO,
    "audio/wav": Kind.AUDIO,
    "audio/ogg": Kind.AUDIO,
    "application/ogg": Kind.AUDIO,
    "application/pdf": Kind.DOCUMENT,
}

ACCEPTED_DESCRIPTION = _(
    "photos and screenshots (JPEG, PNG, HEIC, WebP), videos (MP4, MOV, WebM, 3GP), "
    "audio recordings (M4A, AAC, MP3, WAV, OGG) and PDF documents"
)

# Enough of the start of a file for libmagic to recognise every accepted kind.
SNIFF_BYTES = 8192


def sniff(head: bytes) -> tuple[str, str | None]:
    """The detected content type of a file's first bytes, and its kind if accepted."""
    content_type = magic.from_buffer(head[:SNIFF_BYTES], mime=True)
    return content_type, ACCEPTED.get(content_type)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def safe_filename(name: str) -> str:
    """A display name with no path, no control characters and a bounded length.

    The name is only ever shown to people; storage names are random.
    """
    name = unicodedata.normalize("NFC", name or "")
    # Keep the last path component, whichever separator was used.
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"})
    name = name.strip().lstrip(".")
    return name[:200] or "file"
