"""evidence.multipart: a form body parsed as Django would, limits included,
and nothing kept of a file whose part did not arrive whole."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

from evidence import multipart
from evidence.blockwriter import BLOCK

BOUNDARY = b"----formBoundary7MA4YWxkTrZu0gW"


def part(name: str, value: bytes, filename: str | None = None, content_type: str = "") -> bytes:
    disposition = f'form-data; name="{name}"' + (
        f'; filename="{filename}"' if filename is not None else ""
    )
    headers = f"Content-Disposition: {disposition}\r\n"
    if content_type:
        headers += f"Content-Type: {content_type}\r\n"
    return b"--" + BOUNDARY + b"\r\n" + headers.encode() + b"\r\n" + value + b"\r\n"


def body(*parts: bytes, closed: bool = True) -> bytes:
    return b"".join(parts) + (b"--" + BOUNDARY + b"--\r\n" if closed else b"")


def parse(data: bytes) -> tuple[HttpRequest, Any, Any]:
    request = HttpRequest()
    post, files = multipart.parse(request, io.BytesIO(data), BOUNDARY, "utf-8")
    return request, post, files


@pytest.fixture(autouse=True)
def temp_dir(settings: Any, tmp_path: Path) -> Path:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def test_fields_and_files_are_parsed_and_files_hashed_on_arrival() -> None:
    video = os.urandom(3 * BLOCK + 5)
    # Bytes that look like the start of the delimiter, across a block's end.
    video = video[: BLOCK - 10] + b"\r\n--" + BOUNDARY[:-1] + video[BLOCK + 30 :]
    _request, post, files = parse(
        body(
            part("csrfmiddlewaretoken", b"token"),
            part("action", "téléverser".encode()),
            part("files", video, "statement.mp4", "video/mp4"),
            part("files", b"second", "note.pdf", "application/pdf"),
        )
    )
    assert post.getlist("action") == ["téléverser"] and post["csrfmiddlewaretoken"] == "token"
    first, second = files.getlist("files")
    assert (first.name, first.content_type, first.size) == (
        "statement.mp4",
        "video/mp4",
        len(video),
    )
    assert first.sha256 == hashlib.sha256(video).hexdigest()
    assert first.read() == video
    assert (second.read(), second.sha256) == (b"second", hashlib.sha256(b"second").hexdigest())


def test_a_file_input_left_empty_is_skipped_and_names_lose_their_paths() -> None:
    _request, _post, files = parse(
        body(
            part("files", b"", ""),
            part("files", b"data", "../../etc/\x07passwd"),
        )
    )
    (only,) = files.getlist("files")
    assert only.name == "passwd"


def test_a_body_without_its_last_boundary_keeps_no_file(temp_dir: Path) -> None:
    with pytest.raises(MultiPartParserError):
        parse(
            body(
                part("files", b"whole", "a.png"), part("files", b"cut short", "b.png"), closed=False
            )
        )
    assert not list(temp_dir.iterdir())


def test_a_file_over_the_largest_limit_is_not_read_further(settings: Any, temp_dir: Path) -> None:
    settings.EVIDENCE_MAX_BYTES = dict.fromkeys(settings.EVIDENCE_MAX_BYTES, 1000)
    request, post, files = parse(
        body(
            part("action", b"upload"),
            part("files", b"small", "a.png"),
            part("files", b"x" * 5000, "big.mp4"),
        )
    )
    assert request.evidence_too_large  # type: ignore[attr-defined]
    assert post["action"] == "upload" and not files
    assert not list(temp_dir.iterdir())  # the small file went too: nothing is kept


def test_djangos_limits_apply(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    with pytest.raises(TooManyFieldsSent):
        parse(body(*(part(f"f{n}", b"v") for n in range(5))))
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with pytest.raises(RequestDataTooBig):
        parse(body(part("note", b"x" * 2000)))
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    with pytest.raises(TooManyFilesSent):
        parse(body(*(part("files", b"v", f"{n}.png") for n in range(3))))


def test_a_malformed_body_is_a_parse_error() -> None:
    with pytest.raises(MultiPartParserError):
        parse(b"--" + BOUNDARY + b"\r\nnot a header line\r\n\r\n")
