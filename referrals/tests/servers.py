"""Real servers on loopback for the delivery tests: an HTTP receiver, an
SMTP server (aiosmtpd), a private Redis and a Celery worker process."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver. ``behaviour`` returns the status to answer, or a
    number of seconds to hang (as a float) before answering 200."""

    behaviour: Callable[[int], int | float] = lambda n: 200
    received: list[Received] = field(default_factory=list)
    answered: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/referrals"

    def start(self, port: int | None = None) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                got = Received({k.lower(): v for k, v in self.headers.items()}, body)
                receiver.received.append(got)
                outcome = receiver.behaviour(len(receiver.received))
                if isinstance(outcome, float):
                    receiver.release.wait(outcome)
                    outcome = 200
                self.send_response(outcome)
                self.send_header("content-length", "0")
                self.end_headers()
                if outcome < 300:
                    receiver.answered.append(got)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, list[Message]]]:
    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler.messages
    finally:
        controller.stop()


class Redis:
    """A private redis-server: the fault tests stop and restart it, so it is
    never the shared one."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is required for the delivery tests")
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _ping(client), timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def dump(self) -> bytes:
        """Every value held in Redis, as raw bytes, with every Celery message
        body base64-decoded beside it (kombu stores bodies base64-encoded, so
        a canary search of the raw bytes alone would prove nothing)."""
        raw = self._dump_raw()
        return raw + b"".join(_decoded_bodies(raw))

    def _dump_raw(self) -> bytes:
        import redis

        client: Any = redis.Redis.from_url(self.url)
        out = b""
        for key in client.scan_iter():
            kind = client.type(key)
            if kind == b"list":
                out += b"".join(client.lrange(key, 0, -1))
            elif kind == b"hash":
                out += b"".join(k + v for k, v in client.hgetall(key).items())
            elif kind == b"zset":
                out += b"".join(client.zrange(key, 0, -1))
            elif kind == b"set":
                out += b"".join(client.smembers(key))
            elif kind == b"string":
                out += client.get(key) or b""
        return out


def _decoded_bodies(raw: bytes) -> list[bytes]:
    bodies: list[bytes] = []
    for match in re.finditer(rb'"body": ?"([A-Za-z0-9+/=]+)"', raw):
        with contextlib.suppress(ValueError):
            bodies.append(base64.b64decode(match.group(1), validate=True))
    return bodies


def _ping(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


class Worker:
    """``celery -A hatecrime worker`` (with an embedded beat) as a process,
    on the test database and a private Redis."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        log: Path,
        pool: Sequence[str] = ("--pool=prefork", "--concurrency=2"),
    ) -> None:
        self.env = env
        self.log = log
        self.pool = list(pool)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        schedule = self.log.with_suffix(".schedule")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "hatecrime",
                    "worker",
                    "--beat",
                    f"--schedule={schedule}",
                    # The queues CELERY_TASK_ROUTES sends this app's tasks
                    # to (deliveries, and the sweeper and digest on beat).
                    "--queues=delivery,periodic,celery",
                    *self.pool,
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the worker and its pool: nothing gets to clean up."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
