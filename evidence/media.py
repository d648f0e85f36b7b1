"""Checks and derivatives of images (Pillow) and video/audio (ffprobe, ffmpeg).

Everything here works on a local file path and returns plain data; storage
and the database are the services' business.
"""

from __future__ import annotations

import io
import json
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

# iPhones save photos as HEIC: let Pillow decode them.
register_heif_opener()

THUMBNAIL_SIZE = (320, 320)
SHAREABLE_SIZE = (2048, 2048)
# Markers of active content hidden in an image (a polyglot): an image that
# carries them is refused, whatever Pillow makes of its pixels.
_ACTIVE_MARKERS = (b"<script", b"<html", b"<svg", b"<!doctype", b"<iframe", b"javascript:")
# A ZIP's end-of-central-directory record, which must sit in the last 64 KiB.
_ZIP_EOCD = b"PK\x05\x06"


class MediaRejected(Exception):
    """The file is damaged, unsafe or not what it claims to be."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class ImageResult:
    metadata: dict[str, Any]
    thumbnail: bytes
    shareable: bytes


@dataclass
class AVResult:
    metadata: dict[str, Any]
    poster: bytes | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def check_no_hidden_content(path: Path) -> None:
    """Refuse image files that are also HTML, SVG or ZIP files (polyglots)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        overlap = b""
        while block := handle.read(1024 * 1024):
            window = (overlap + block).lower()
            if any(marker in window for marker in _ACTIVE_MARKERS):
                raise MediaRejected("hidden_content", "image contains markup or script")
            overlap = window[-16:]
        handle.seek(max(0, size - 65557))
        if _ZIP_EOCD in handle.read():
            raise MediaRejected("hidden_content", "image has an archive appended")


def _exif_summary(image: Image.Image) -> dict[str, Any]:
    exif = image.getexif()
    summary: dict[str, Any] = {}
    make, model = exif.get(0x010F), exif.get(0x0110)
    if make or model:
        summary["device"] = " ".join(str(v).strip() for v in (make, model) if v)
    sub = exif.get_ifd(0x8769)
    taken = sub.get(0x9003) or exif.get(0x0132)
    if taken:
        summary["captured_at"] = str(taken)
    if exif.get_ifd(0x8825):
        summary["had_location"] = True
    return summary


def _encode(image: Image.Image, size: tuple[int, int]) -> bytes:
    copy = image.copy()
    copy.thumbnail(size)
    if copy.mode not in ("RGB", "L"):
        copy = copy.convert("RGB")
    out = io.BytesIO()
    # A fresh JPEG from decoded pixels: no EXIF, no GPS, no trailing bytes.
    copy.save(out, format="JPEG", quality=85)
    return out.getvalue()


def process_image(path: Path) -> ImageResult:
    check_no_hidden_content(path)
    Image.MAX_IMAGE_PIXELS = settings.EVIDENCE_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow warns between MAX_IMAGE_PIXELS and twice that; refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()  # decode every pixel, not just the header
                metadata = {"width": image.width, "height": image.height, "format": image.format}
                metadata.update(_exif_summary(image))
                upright = ImageOps.exif_transpose(image)
                return ImageResult(
                    metadata=metadata,
                    thumbnail=_encode(upright, THUMBNAIL_SIZE),
                    shareable=_encode(upright, SHAREABLE_SIZE),
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaRejected("too_many_pixels", "image has too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaRejected("damaged", "image cannot be decoded") from exc


def _run(args: list[str], timeout: int = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, timeout=timeout, check=False)  # noqa: S603


def probe(path: Path) -> dict[str, Any]:
    result = _run(
        [
            settings.FFPROBE_BINARY,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ]
    )
    if result.returncode != 0:
        raise MediaRejected("damaged", "file cannot be read as video or audio")
    data: dict[str, Any] = json.loads(result.stdout or b"{}")
    return data


def process_av(path: Path, *, kind: str) -> AVResult:
    data = probe(path)
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    video = [s for s in streams if s.get("codec_type") == "video"]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    try:
        duration = float(fmt.get("duration") or 0)
    except ValueError:
        duration = 0.0
    if not (video or audio) or duration <= 0:
        raise MediaRejected("damaged", "file has no playable video or audio")
    metadata: dict[str, Any] = {
        "duration_seconds": round(duration, 3),
        "container": fmt.get("format_name", ""),
        "video_codec": video[0].get("codec_name", "") if video else "",
        "audio_codec": audio[0].get("codec_name", "") if audio else "",
    }
    if video:
        metadata["width"], metadata["height"] = video[0].get("width"), video[0].get("height")
    created = (fmt.get("tags") or {}).get("creation_time")
    if created:
        metadata["captured_at"] = created
    if kind != "video" or not video:
        return AVResult(metadata=metadata)
    # Decode the whole stream once: a truncated video fails here even when
    # its header (and so ffprobe) looks fine.
    check = _run(
        [settings.FFMPEG_BINARY, "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
        timeout=settings.EVIDENCE_PROCESS_TIMEOUT_SECONDS,
    )
    if check.returncode != 0:
        raise MediaRejected("damaged", "video is damaged or incomplete")
    poster = _run(
        [
            settings.FFMPEG_BINARY,
            "-v",
            "error",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-vf",
            "scale='min(640,iw)':-2",
            "-map_metadata",
            "-1",
            "-f",
            "image2",
            "-c:v",
            "mjpeg",
            "-",
        ]
    )
    if poster.returncode != 0 or not poster.stdout:
        raise MediaRejected("damaged", "no frame can be taken from the video")
    return AVResult(metadata=metadata, poster=poster.stdout)
