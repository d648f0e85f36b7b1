"""hatecrime.wsgi_input against a real gunicorn: the body arrives whole and
unaltered however it is read, and the connection stays usable after it
(the next request, pipelined or not, after a body read whole or in part)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "tests.gunicorn_echo",
            f"--bind=127.0.0.1:{port}",
            "--worker-class=gthread",
            "--workers=1",
            "--threads=2",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "hatecrime.settings"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(10)


def request(path: str, body: bytes, *, chunked: bool = False) -> bytes:
    if chunked:
        framed = b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 70000]), body[i : i + 70000])
            for i in range(0, len(body), 70000)
        )
        return (
            f"POST {path} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + framed
            + b"0\r\n\r\n"
        )
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    )


def answers(connection: socket.socket, count: int) -> list[dict[str, object]]:
    """Read ``count`` responses from the connection, in order."""
    reader = connection.makefile("rb")
    found = []
    for _ in range(count):
        status = reader.readline()
        assert status.startswith(b"HTTP/1.1 200"), status
        length = 0
        while (line := reader.readline()) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        found.append(json.loads(reader.read(length)))
    return found


def expected(body: bytes) -> dict[str, object]:
    return {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}


BODY = os.urandom(5 * 1024 * 1024 + 123)


@pytest.mark.parametrize("path", ["/read", "/readinto", "/django"])
def test_a_large_body_arrives_whole_through_the_socket(server: tuple[str, int], path: str) -> None:
    with socket.create_connection(server) as connection:
        connection.sendall(request(path, BODY))
        (answer,) = answers(connection, 1)
    assert answer == {**expected(BODY), "input": "SocketBody"}


def test_pipelined_requests_keep_their_own_bodies(server: tuple[str, int]) -> None:
    """Small requests sent in one write: gunicorn reads past the first body
    with the headers; those bytes belong to the next request."""
    bodies = [b"first body", b"", os.urandom(3000), b"last"]
    with socket.create_connection(server) as connection:
        connection.sendall(b"".join(request("/readinto", body) for body in bodies))
        found = answers(connection, len(bodies))
    assert found == [{**expected(body), "input": "SocketBody"} for body in bodies]


def test_a_body_read_in_part_is_discarded_before_the_next_request(server: tuple[str, int]) -> None:
    """gunicorn discards the rest (it closes the connection instead past
    64 KiB unread): it must know how much of the body was read here."""
    body = BODY[:50000]
    with socket.create_connection(server) as connection:
        connection.sendall(request("/partial/1000", body) + request("/read", b"after"))
        first, second = answers(connection, 2)
    assert first == {**expected(body[:1000]), "input": "SocketBody"}
    assert second == {**expected(b"after"), "input": "SocketBody"}


def test_a_chunked_body_keeps_gunicorns_own_reader(server: tuple[str, int]) -> None:
    with socket.create_connection(server) as connection:
        connection.sendall(request("/read", BODY, chunked=True) + request("/read", b"next"))
        first, second = answers(connection, 2)
    assert first["input"] == "Body"
    assert {k: first[k] for k in ("length", "sha256")} == expected(BODY)
    assert second == {**expected(b"next"), "input": "SocketBody"}


def test_a_body_cut_short_is_never_taken_for_a_whole_one(server: tuple[str, int]) -> None:
    with socket.create_connection(server) as connection:
        connection.sendall(request("/readinto", BODY)[:100000])
        connection.shutdown(socket.SHUT_WR)
        connection.settimeout(10)
        reply = connection.makefile("rb").read()
    assert not reply.startswith(b"HTTP/1.1 200")
    with socket.create_connection(server) as connection:
        connection.sendall(request("/readinto", b"still serving"))
        (answer,) = answers(connection, 1)
    assert answer == {**expected(b"still serving"), "input": "SocketBody"}
