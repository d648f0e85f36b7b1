"""A request body read straight from gunicorn's socket.

gunicorn hands the application a ``wsgi.input`` that copies every body byte
four or five times on its way out (its reader and unreader buffer each read
in a ``BytesIO``, then slice and re-buffer what is left). For a form that is
nothing; for a 2 GB video it was a fifth of the serving process's CPU time
(``make bench``, uploads: py-spy showed ``Body.read`` beside SHA-256 and the
disk). ``SocketBody`` reads the same bytes from the same socket with one copy,
and into a caller's buffer with ``readinto`` (evidence uploads hash and write
from a fixed buffer, so no byte is copied in Python at all).

It relies on three things inside gunicorn (pinned in uv.lock), checked for
every request before they are used; any request they do not describe, or a
gunicorn without them, keeps gunicorn's own ``wsgi.input``:

- the body is a ``gunicorn.http.body.Body`` whose reader is a
  ``LengthReader`` (a Content-Length body; chunked transfer encoding keeps
  gunicorn's reader) over a ``SocketUnreader``;
- ``LengthReader.length`` is what is left of the body: it is lowered as bytes
  are read here, so when the application stops early gunicorn discards
  exactly the rest before the next request on the connection;
- ``Unreader.take_buffered()`` gives the bytes gunicorn read past the headers;
  what is not read at once (the rest of the body, a pipelined request) is
  handed back with ``unread()``, so gunicorn finds it where it was if the
  application stops early.

tests/test_wsgi_input.py runs a real gunicorn and checks the body, partial
reads, and the next request on the same connection.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader


class SocketBody(io.RawIOBase):
    """What is left of a Content-Length body, read from the socket."""

    def __init__(self, body: Any) -> None:
        super().__init__()
        self._body = body
        self._reader = body.reader  # a LengthReader: .length is what is left
        self._unreader = self._reader.unreader
        self._socket = self._unreader.sock
        self._buffered = True  # until gunicorn's read-ahead has been used up

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with up to its length in body bytes; 0 at the end.
        Like a socket, returns what one read gave (possibly less)."""
        target = memoryview(buffer).cast("B")
        wanted = min(len(target), self._reader.length)
        if wanted <= 0:
            return 0
        count = self._from_read_ahead(target, wanted)
        if not count:
            count = self._received(self._socket.recv_into, target, wanted)
        self._reader.length -= count
        return count

    def _from_read_ahead(self, target: memoryview, wanted: int) -> int:
        """Bytes gunicorn read past the headers come first; what is not taken
        (beyond ``wanted``, or a pipelined request's) goes back, so gunicorn
        finds it where it left it."""
        if not self._buffered:
            return 0
        held = self._unreader.take_buffered()
        count = min(wanted, len(held))
        target[:count] = held[:count]
        if len(held) > count:
            self._unreader.unread(held[count:])
        else:
            self._buffered = False
        return count

    def _received(self, receive: Any, *args: Any) -> Any:
        """One read from the socket. If it fails, or the client went away
        mid-body, gunicorn is told (``Body.failed``), so it closes the
        connection rather than look for a next request on it; a short body
        never passes for a whole one."""
        try:
            data = receive(*args)
            if not data:
                raise ConnectionResetError("the connection closed before the whole body arrived")
        except OSError:
            self._body.failed = True
            raise
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Exactly ``size`` bytes (all that is left if None or negative),
        fewer only at the end of the body, as gunicorn's reader does."""
        left = self._reader.length
        wanted = left if size is None or size < 0 else min(size, left)
        if wanted <= 0:
            return b""
        if not self._buffered:
            first = self._received(self._socket.recv, wanted)
            self._reader.length -= len(first)
            if len(first) == wanted:
                return first  # the usual case: one copy, from the kernel
            data = bytearray(first)
        else:
            data = bytearray()
        block = bytearray(wanted - len(data))
        view = memoryview(block)
        filled = 0
        while filled < len(block):
            filled += self.readinto(view[filled:])
        data += block
        return bytes(data)

    def readline(self, size: int | None = -1) -> bytes:
        # Nothing in Django reads a body by lines; byte by byte is correct
        # and kept simple for whatever might.
        line = bytearray()
        while size is None or size < 0 or len(line) < size:
            byte = self.read(1)
            line += byte
            if not byte or byte == b"\n":
                break
        return bytes(line)


def socket_body(environ: dict[str, Any]) -> SocketBody | None:
    """A SocketBody for this request when gunicorn serves it with a
    Content-Length body and has the internals described above; None
    otherwise (a gunicorn that changed them keeps its own reader)."""
    body = environ.get("wsgi.input")
    if not isinstance(body, Body) or not hasattr(body, "failed"):
        return None
    reader, buffered = getattr(body, "reader", None), getattr(body, "buf", None)
    if not isinstance(reader, LengthReader) or buffered is None or buffered.tell():
        return None
    unreader = getattr(reader, "unreader", None)
    if not (
        isinstance(unreader, SocketUnreader)
        and isinstance(getattr(reader, "length", None), int)
        and all(hasattr(unreader, name) for name in ("sock", "take_buffered", "unread"))
    ):
        return None
    return SocketBody(body)


class SocketBodyMiddleware:
    """WSGI middleware: the body of each request gunicorn serves with a
    Content-Length is read with ``SocketBody``."""

    def __init__(self, application: Callable[..., Iterable[bytes]]) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = socket_body(environ)
        if body is not None:
            environ["wsgi.input"] = body
        return self.application(environ, start_response)


def readinto_stream(request: Any) -> SocketBody | None:
    """The request's SocketBody when nothing has read the body yet: a view
    that wants ``readinto`` reads from it directly (it enforces the same
    Content-Length that Django's stream would)."""
    body = request.META.get("wsgi.input")
    if isinstance(body, SocketBody) and not getattr(request, "_read_started", False):
        return body
    return None
