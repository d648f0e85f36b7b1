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
    """clamd could not be reached or did not give a verdict: try again later."""


class ScanLimitExceeded(ScannerError):
    """clamd refused to scan the whole file: it is larger than clamd's
    ``StreamMaxLength`` (INSTREAM), or past its ``MaxFileSize`` or
    ``MaxScanSize`` (reported as ``Heuristics.Limits.Exceeded.*`` when
    ``AlertExceedsMax`` is on, as evidence/clamd.conf sets it). Retrying
    will not help: the file is *not scanned*, never clean."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""


# Without AlertExceedsMax, clamd answers "OK" for a file past MaxFileSize
# that it never read: evidence/clamd.conf turns the alert on, so a limit
# comes back as this "signature" and is told apart from a virus here.
LIMITS_SIGNATURE = "Heuristics.Limits.Exceeded"


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


def _read_reply(sock: socket.socket) -> bytes:
    reply = b""
    while not reply.endswith(b"\0"):
        data = sock.recv(4096)
        if not data:
            break
        reply += data
    return reply


def scan_stream(chunks: Iterable[bytes], *, address: str | None = None) -> Verdict:
    address = address or settings.CLAMD_ADDRESS
    sock = _connect(address, settings.CLAMD_TIMEOUT_SECONDS)
    try:
        sock.sendall(b"zINSTREAM\0")
        try:
            for chunk in chunks:
                if chunk:
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
        except OSError as exc:
            # Past StreamMaxLength clamd answers at once and closes the
            # stream, so the rest of the file cannot be sent: read what it
            # said before deciding anything.
            try:
                reply = _read_reply(sock)
            except OSError:
                reply = b""
            if not reply:
                raise ScannerError(f"clamd scan failed: {exc}") from exc
        else:
            reply = _read_reply(sock)
    except OSError as exc:
        raise ScannerError(f"clamd scan failed: {exc}") from exc
    finally:
        sock.close()
    return _verdict(reply.rstrip(b"\0").decode("utf-8", "replace").strip())


def _verdict(text: str) -> Verdict:
    if text.endswith(" OK"):
        return Verdict(clean=True)
    if text.endswith(" FOUND"):
        signature = text.removeprefix("stream:").removesuffix("FOUND").strip()
        if signature.startswith(LIMITS_SIGNATURE):
            raise ScanLimitExceeded(f"clamd did not scan all of it: {signature}")
        return Verdict(clean=False, signature=signature)
    if "size limit exceeded" in text:
        # "INSTREAM size limit exceeded. ERROR": longer than StreamMaxLength.
        raise ScanLimitExceeded(f"clamd did not scan it: {text[:200]}")
    # Anything else ("... ERROR", a dropped connection): no verdict yet.
    raise ScannerError(f"clamd gave no verdict: {text[:200]}")
