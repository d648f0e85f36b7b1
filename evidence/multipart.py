"""Reading a form upload (multipart/form-data) for the evidence pages.

Django's own multipart parser copies each block of a file two or three times
on its way to the upload handler (joining and re-slicing around the boundary
search); for a 2 GB video that, with the write through the page cache, was a
quarter of the serving process's time (``make bench``, uploads). So the pages
that take files (``evidence.pages.takes_files``) parse the body here, through
Django's documented hook for this (an upload handler's ``handle_raw_input``),
with python-multipart's streaming parser: it finds the boundary with one
``find`` per block and hands over the file's bytes where they lie. Each file
is hashed (SHA-256) as it arrives and written by evidence.blockwriter into a
temporary file, which ``services.upload_complete_file`` then moves into place.

Django's limits apply as they would in its own parser:
``DATA_UPLOAD_MAX_NUMBER_FIELDS``, ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (form
fields, not files) and ``DATA_UPLOAD_MAX_NUMBER_FILES``; a part with an empty
file name (a file input left empty) is skipped. A file larger than the largest
evidence limit is not read further: the request is marked
(``evidence_too_large``) and the rest of the body discarded. A file counts
only once its closing boundary has arrived; a body cut short keeps nothing.
"""

from __future__ import annotations

import hashlib
from typing import IO, TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_str
from django.utils.http import parse_header_parameters
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState

from evidence import blockwriter, kinds, services
from hatecrime.wsgi_input import readinto_stream

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks


class HashedTemporaryUploadedFile(TemporaryUploadedFile):
    """A form upload in a temporary file, with the SHA-256 of its bytes."""

    sha256 = ""


class _TooLarge(Exception):
    pass


class _FileSink:
    """One file part: hashed, copied into aligned buffers and written."""

    def __init__(self, name: str, content_type: str, charset: str | None) -> None:
        self.file = HashedTemporaryUploadedFile(name, content_type, 0, charset)
        self.writer = blockwriter.BlockWriter(self.file.fileno(), self.file.temporary_file_path())
        self.digest = hashlib.sha256()
        self.size = 0  # bytes received
        self.written = 0  # bytes handed to the writer
        self.buffer = self.writer.buffer()
        self.filled = 0

    def write(self, data: memoryview) -> None:
        self.size += len(data)
        if self.size > services.max_bytes():
            raise _TooLarge
        self.digest.update(data)
        while data:
            take = min(len(data), blockwriter.BLOCK - self.filled)
            self.buffer.view[self.filled : self.filled + take] = data[:take]
            self.filled += take
            data = data[take:]
            if self.filled == blockwriter.BLOCK:
                self.writer.write(self.buffer, self.filled, self.written)
                self.written += self.filled
                self.buffer, self.filled = self.writer.buffer(), 0

    def complete(self) -> HashedTemporaryUploadedFile:
        try:
            if self.filled:
                self.writer.write(self.buffer, self.filled, self.written)
            self.writer.close()  # every write has ended (a failed one is raised)
        except BaseException:
            self.abort()
            raise
        self.file.size = self.size
        self.file.sha256 = self.digest.hexdigest()
        self.file.seek(0)
        return self.file

    def abort(self) -> None:
        self.writer.close(check=False)
        self.file.close()  # a temporary file: closing deletes it


class _Form:
    """The parser's callbacks: fields into a QueryDict, files into sinks."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.post = QueryDict(mutable=True)
        self.files: MultiValueDict[str, HashedTemporaryUploadedFile] = MultiValueDict()
        self.fields = self.file_count = self.field_bytes = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.header = [b"", b""]
        self.name: str | None = None
        self.value: bytearray | None = None
        self.sink: _FileSink | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.headers, self.header = [], [b"", b""]
        self.name, self.value, self.sink = None, None, None

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.header[0] += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.header[1] += data[start:end]

    def header_end(self) -> None:
        self.headers.append((self.header[0].strip().lower(), self.header[1].strip()))
        self.header = [b"", b""]

    def headers_finished(self) -> None:
        headers = {
            name: force_str(value, self.encoding, errors="replace") for name, value in self.headers
        }
        _disposition, params = parse_header_parameters(headers.get(b"content-disposition", ""))
        name = params.get("name", "").strip()
        if not name:
            return  # a part without a name is not part of the form
        self.name = name
        if "filename" not in params:
            self.fields += 1
            # 2 for the empty parts before and after the last boundary, as Django counts.
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            if limit is not None and self.fields > limit + 2:
                raise TooManyFieldsSent(
                    "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
                )
            self.value = bytearray()
            self.field_bytes += len(name) + 2
            return
        self.file_count += 1
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        if limit is not None and self.file_count > limit:
            raise TooManyFilesSent(
                "The number of files exceeded settings.DATA_UPLOAD_MAX_NUMBER_FILES."
            )
        if not params["filename"]:
            return  # a file input left empty
        content_type, extra = parse_header_parameters(headers.get(b"content-type", ""))
        self.sink = _FileSink(
            kinds.safe_filename(params["filename"]), content_type, extra.get("charset")
        )

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.sink is not None:
            self.sink.write(memoryview(data)[start:end])
        elif self.value is not None:
            self.field_bytes += end - start
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and self.field_bytes > limit:
                raise RequestDataTooBig(
                    "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."
                )
            self.value += data[start:end]

    def part_end(self) -> None:
        if self.name is None:
            return
        if self.sink is not None:
            sink, self.sink = self.sink, None
            self.files.appendlist(self.name, sink.complete())
        elif self.value is not None:
            self.post.appendlist(
                self.name, force_str(bytes(self.value), self.encoding, errors="replace")
            )
            self.value = None

    def abort(self) -> None:
        """Delete every file: the one being received and those before it."""
        if self.sink is not None:
            self.sink.abort()
            self.sink = None
        for _name, files in self.files.lists():
            for file in files:
                file.close()
        self.files = MultiValueDict()


def parse(
    request: HttpRequest, stream: IO[bytes], boundary: bytes, encoding: str
) -> tuple[QueryDict, MultiValueDict]:
    form = _Form(encoding)
    parser = MultipartParser(boundary, form.callbacks())
    body = readinto_stream(request) if stream is request else None
    source: Any = body or stream
    buffer = bytearray(blockwriter.BLOCK)
    view = memoryview(buffer)
    try:
        while count := blockwriter.fill(source, view, len(buffer)):
            # The parser only searches and indexes what it is given, which a
            # bytearray does as bytes do: the buffer is not copied.
            parser.write(cast(bytes, buffer) if count == len(buffer) else bytes(view[:count]))
        if parser.state != MultipartState.END:
            raise MultiPartParserError("The form data ended before its last boundary.")
    except _TooLarge:
        form.abort()
        request.evidence_too_large = True  # type: ignore[attr-defined]
        while blockwriter.fill(source, view, len(buffer)):
            pass  # the rest of the body is read and dropped
    except MultipartParseError as exc:
        form.abort()
        raise MultiPartParserError(str(exc)) from exc
    except BaseException:
        form.abort()
        raise
    finally:
        view.release()
    return form.post, form.files


class FormUploadHandler(FileUploadHandler):
    """Parses the whole multipart body with ``parse`` (Django then skips its
    own parser and every other handler)."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,  # bytes (Django's stubs say str)
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict]:
        assert self.request is not None
        return parse(self.request, input_data, boundary, encoding or settings.DEFAULT_CHARSET)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        return raw_data  # never called: handle_raw_input reads everything

    def file_complete(self, file_size: int) -> None:
        return None
