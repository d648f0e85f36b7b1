"""A WSGI application for tests/test_wsgi_input.py, served by a real gunicorn
with hatecrime.wsgi_input's middleware in front, as the site is.

``/read``, ``/readinto`` and ``/django`` answer with the body's length and
SHA-256 read three ways (whole, in blocks into a buffer, through Django's
request); ``/partial/N`` reads N bytes and stops; the answer also names the
class of ``wsgi.input`` the application was given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from hatecrime.wsgi_input import SocketBodyMiddleware


def _answer(
    environ: dict[str, Any], data: bytes, start_response: Callable[..., Any]
) -> Iterable[bytes]:
    body = json.dumps(
        {
            "length": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "input": type(environ["wsgi.input"]).__name__,
        }
    ).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    stream = environ["wsgi.input"]
    path = environ["PATH_INFO"]
    if path == "/read":
        data = stream.read()
    elif path == "/readinto":
        block = bytearray(65536 + 3)  # an odd size: reads end mid-way through socket reads
        pieces = []
        while count := stream.readinto(block):
            pieces.append(bytes(block[:count]))
        data = b"".join(pieces)
    elif path.startswith("/partial/"):
        data = stream.read(int(path.rsplit("/", 1)[1]))
    else:  # Django's request over the same stream, as the views see it
        from django.core.handlers.wsgi import WSGIRequest

        data = WSGIRequest(environ).read()
    return _answer(environ, data, start_response)


application = SocketBodyMiddleware(_app)
