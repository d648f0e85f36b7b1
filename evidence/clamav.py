"""A small client for clamd's INSTREAM command (clamd's socket protocol).

The ``clamd`` package on PyPI is unmaintained; the protocol is a few lines:
send ``zINSTREAM\\0``, then chunks each prefixed by a 4-byte big-endian
length, then a zero length; clamd answers ``stream: OK`` or
``stream: <signature> FOUND``.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings


class ScannerError(Exception):
    """clamd could not be reached or did not give a verdict."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""


def _connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target: str | tuple[str, int] = address
    else:
        host, _, port = address.rpartition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host, int(port))
    sock.settimeout(timeout)
    try:
        sock.connect(target)
    except OSError as exc:
        sock.close()
        raise ScannerError(f"cannot connect to clamd: {exc}") from exc
    return sock


def scan_stream(chunks: Iterable[bytes], *, address: str | None = None) -> Verdict:
    address = address or settings.CLAMD_ADDRESS
    sock = _connect(address, settings.CLAMD_TIMEOUT_SECONDS)
    try:
        sock.sendall(b"zINSTREAM\0")
        for chunk in chunks:
            if chunk:
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = b""
        while not reply.endswith(b"\0"):
            data = sock.recv(4096)
            if not data:
                break
            reply += data
    except OSError as exc:
        raise ScannerError(f"clamd scan failed: {exc}") from exc
    finally:
        sock.close()
    text = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith(" OK"):
        return Verdict(clean=True)
    if text.endswith(" FOUND"):
        signature = text.removeprefix("stream:").removesuffix("FOUND").strip()
        return Verdict(clean=False, signature=signature)
    # "INSTREAM size limit exceeded. ERROR" and the like: no verdict.
    raise ScannerError(f"clamd gave no verdict: {text[:200]}")
