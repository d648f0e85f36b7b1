"""Real services for the evidence tests: clamd with a one-line EICAR
signature, ffmpeg-made media, and an S3-compatible server (moto)."""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import subprocess
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import reference_data, valid_report  # noqa: F401 (shared fixtures)

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(check: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


CLAMD_CONF = Path(__file__).resolve().parents[1] / "clamd.conf"
LIMIT_OPTIONS = ("StreamMaxLength", "MaxFileSize", "MaxScanSize", "AlertExceedsMax")


def deployed_limits() -> dict[str, str]:
    """The limit options of evidence/clamd.conf (the deployed clamd's)."""
    limits = {}
    for line in CLAMD_CONF.read_text().splitlines():
        name, _, value = line.partition(" ")
        if name in LIMIT_OPTIONS:
            limits[name] = value.strip()
    return limits


@contextlib.contextmanager
def clamd_running(base: Path, limits: dict[str, str]) -> Iterator[str]:
    """A real clamd on a unix socket under ``base``, with a one-signature
    database (EICAR) and the given limit options."""
    (base / "db").mkdir()
    (base / "eicar.txt").write_bytes(EICAR)
    line = subprocess.run(
        ["sigtool", "--md5", "eicar.txt"], cwd=base, capture_output=True, check=True, text=True
    ).stdout.replace("eicar.txt", "Test.EICAR")
    (base / "db" / "test.hdb").write_text(line)
    sock = base / "clamd.sock"
    options = "".join(f"{name} {value}\n" for name, value in limits.items())
    (base / "clamd.conf").write_text(
        f"DatabaseDirectory {base / 'db'}\nLocalSocket {sock}\nForeground yes\n"
        f"TemporaryDirectory {base}\nLogFile {base / 'clamd.log'}\n{options}"
    )
    process = subprocess.Popen(
        ["clamd", "-c", str(base / "clamd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def ping() -> bool:
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(sock))
            client.sendall(b"zPING\0")
            return client.recv(16).startswith(b"PONG")

    try:
        _wait_for(ping, "clamd")
        yield str(sock)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def clamd_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with clamd_running(tmp_path_factory.mktemp("clamd"), deployed_limits()) as sock:
        yield sock


@pytest.fixture(autouse=True)
def _evidence_settings(settings: Any, tmp_path: Path) -> None:
    # The deployed local storage (its options: no public URL, private
    # permissions), in this test's own folder.
    deployed = settings.STORAGES["default"]
    assert deployed["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **deployed,
            "OPTIONS": {**deployed["OPTIONS"], "location": str(tmp_path / "private")},
        },
    }


@pytest.fixture
def clamd(settings: Any, clamd_socket: str) -> str:
    settings.CLAMD_ADDRESS = clamd_socket
    return clamd_socket


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny real media made by ffmpeg for this run (no binaries committed)."""
    base = tmp_path_factory.mktemp("media")
    ffmpeg = ["ffmpeg", "-v", "error", "-y"]
    subprocess.run(
        [
            *ffmpeg,
            "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10",
            "-f", "lavfi", "-i", "sine=frequency=440",
            "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest", "-metadata", "creation_time=2026-11-01T18:30:00Z",
            str(base / "clip.mp4"),
        ],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [*ffmpeg, "-f", "lavfi", "-i", "sine=frequency=300", "-t", "1", str(base / "voice.mp3")],
        check=True,
    )
    return base


def jpeg_with_location(size: tuple[int, int] = (120, 80)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Acme"
    exif[0x0110] = "Phone 7"
    exif[0x0132] = "2026:11:01 18:30:00"
    exif[0x8825] = {1: "N", 2: (51.0, 28.0, 40.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 200)).save(out, format="PNG")
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims 10 gigapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + width // 8) * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def jpeg_zip_polyglot() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    return jpeg_with_location() + archive.getvalue()


def jpeg_html_polyglot() -> bytes:
    return (
        jpeg_with_location() + b"<html><body><script>alert(document.cookie)</script></body></html>"
    )


def pdf_with_eicar() -> bytes:
    stream = zlib.compress(EICAR)
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Length "
        + str(len(stream)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + stream
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def pdf_plain() -> bytes:
    return b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible HTTP server on a free loopback port."""
    import sys

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def up() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    try:
        _wait_for(up, "moto server")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
