"""Issue 3: a large evidence file uploaded through the chunked protocol and
through a plain multipart form POST, beside writing the same bytes to disk.

The file is a real MP4: a two-second clip ffmpeg makes (H.264 and AAC,
``+faststart`` so the ``moov`` box comes first) followed by one top-level
``free`` box that pads it to the size wanted. A ``free`` box is part of the
format (players and ffprobe skip it), so the whole file is still a valid
video: libmagic calls it ``video/mp4``, ffprobe reads it and ffmpeg decodes
it. Encoding a real gigabyte of video would take minutes of CPU on a small
machine and measure the encoder, not the upload; the padding is random bytes
(incompressible, as encoded video is), a 1 MiB block repeated.

Nothing holds the file in memory: the load generator (this process, pinned
to the load generator's core) makes the bytes block by block as it sends
them, for the disk baseline as for the uploads.

Figures, for the largest size (1 GiB in full mode, 100 MiB in quick):

- throughput of each path, from the first request to the answer that makes
  the file evidence (chunked: create, every PATCH, finish; multipart: the one
  POST to the follow-up page), against writing the same bytes to a file on
  the filesystem that holds the storage, fsync'd, in the same run; each side
  the best of three (one run can be slowed by other work on a shared
  machine, on either side), every run in the figure's detail;
- the peak resident memory of the gunicorn worker that served the upload
  (VmHWM after resetting it through /proc/PID/clear_refs, and VmRSS sampled
  every 20 ms) against that worker's RSS just before the upload, the worst
  of the three runs, and the difference between the peaks for the large and
  the small size.

MB here is 1,048,576 bytes, as in the evidence size settings. Everything the
group wrote (the evidence files under DATA_DIR/private, the baseline file) is
deleted when it ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from bench.figures import report_body
from bench.harness import Bench, Figure, figure, log

MB = 1024 * 1024
SIZES = {"full": (1024 * MB, 100 * MB), "quick": (100 * MB, 20 * MB)}
WARMUP_BYTES = 2 * MB
WARMUPS = 3  # per path, so each worker has run both paths before it is measured
SEND_BLOCK = MB
DISK_RUNS = 3  # the disk baseline is the best of this many writes
UPLOAD_RUNS = 3  # and each upload figure the best of this many uploads
SAMPLE_SECONDS = 0.02

THROUGHPUT_GOAL = 0.5  # at least this share of the fsync'd disk write
RSS_OVER_IDLE_GOAL_MB = 100
RSS_SIZES_GOAL_MB = 20


# --- The file -----------------------------------------------------------------


def make_clip(directory: Path) -> bytes:
    """A two-second MP4 (H.264 + AAC), moov first."""
    path = directory / "clip.mp4"
    subprocess.run(  # noqa: S603 (fixed arguments)
        [  # noqa: S607 (ffmpeg from PATH, as the evidence app runs it)
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            "2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


@dataclass(frozen=True)
class Payload:
    """``size`` bytes: the clip, then a ``free`` box of repeated random bytes."""

    clip: bytes
    size: int
    pattern: bytes

    @property
    def prefix(self) -> bytes:
        box = self.size - len(self.clip)
        if not 8 <= box < 2**32:
            raise ValueError(f"cannot pad the clip to {self.size} bytes with one free box")
        return self.clip + struct.pack(">I4s", box, b"free")

    def blocks(self, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        """Bytes ``start`` to ``stop`` in blocks of at most SEND_BLOCK."""
        stop = self.size if stop is None else stop
        prefix = self.prefix
        position = start
        if position < len(prefix):
            head = prefix[position : min(stop, len(prefix))]
            position += len(head)
            yield head
        doubled = self.pattern + self.pattern
        while position < stop:
            at = (position - len(prefix)) % len(self.pattern)
            block = doubled[at : at + min(len(self.pattern), stop - position, SEND_BLOCK)]
            position += len(block)
            yield block

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for block in self.blocks():
            digest.update(block)
        return digest.hexdigest()


def disk_write_seconds(path: Path, payload: Payload) -> float:
    """Write the payload to ``path`` and fsync it: the baseline."""
    os.sync()
    started = time.perf_counter()
    with path.open("wb", buffering=0) as handle:
        for block in payload.blocks():
            handle.write(block)
        os.fsync(handle.fileno())
    elapsed = time.perf_counter() - started
    path.unlink()
    return elapsed


# --- HTTP on one keep-alive connection, with cookies -----------------------------


class Client:
    def __init__(self, url: str) -> None:
        parsed = urllib.parse.urlparse(url)
        self.connection = http.client.HTTPConnection(
            parsed.hostname or "127.0.0.1", parsed.port or 80, timeout=600
        )
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | Iterator[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(value)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, response.headers, data

    def csrf_token(self, path: str) -> str:
        status, _headers, data = self.request("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
        if status != 200 or match is None:
            raise SystemExit(f"GET {path} answered {status} without a CSRF token")
        return match.group(1).decode()

    def close(self) -> None:
        """Close the connection; the next request opens a new one."""
        self.connection.close()


def _fail(what: str, status: int, data: bytes) -> SystemExit:
    return SystemExit(f"{what} answered {status}:\n{data[:2000].decode(errors='replace')}")


def upload_chunked(client: Client, payload: Payload) -> dict[str, Any]:
    """The API's protocol: create, PATCH each chunk at its offset, finish."""
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    status, _h, data = client.request(
        "POST",
        "/api/v1/uploads/",
        body=json.dumps({"filename": "statement.mp4", "size": payload.size}).encode(),
        headers=json_headers,
    )
    if status != 201:
        raise _fail("POST /api/v1/uploads/", status, data)
    created = json.loads(data)
    token, chunk, url = (
        created["upload_token"],
        created["chunk_max_bytes"],
        f"/api/v1/uploads/{created['id']}/",
    )
    offset, requests = 0, 1
    while offset < payload.size:
        length = min(chunk, payload.size - offset)
        status, headers, data = client.request(
            "PATCH",
            url,
            body=payload.blocks(offset, offset + length),
            headers={
                "X-Upload-Token": token,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(length),
                "Accept": "application/json",
            },
        )
        requests += 1
        if status != 200:
            raise _fail(f"PATCH {url} at {offset}", status, data)
        offset = int(headers["Upload-Offset"])
    status, _h, data = client.request(
        "POST", f"{url}finish/", headers={"X-Upload-Token": token, "Accept": "application/json"}
    )
    if status != 201:
        raise _fail(f"POST {url}finish/", status, data)
    item = json.loads(data)
    return {"requests": requests + 1, "chunk_bytes": chunk, **item}


FOLLOW_UP_FILES = "/follow-up/your-report/files/"


def follow_up_sign_in(client: Client) -> str:
    """Make a report through the API and sign in to its follow-up pages."""
    status, _h, data = client.request(
        "POST",
        "/api/v1/reports/",
        body=json.dumps(report_body()).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if status != 201:
        raise _fail("POST /api/v1/reports/", status, data)
    made = json.loads(data)
    token = client.csrf_token("/follow-up/")
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "reference": made["reference"],
            "secret": made["follow_up_secret"],
        }
    ).encode()
    status, _h, data = client.request(
        "POST",
        "/follow-up/",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 302:
        raise _fail("POST /follow-up/", status, data)
    reference: str = made["reference"]
    return reference


def upload_multipart(client: Client, payload: Payload) -> dict[str, Any]:
    """The no-JavaScript path: one multipart POST of the follow-up files page."""
    token = client.csrf_token(FOLLOW_UP_FILES)
    boundary = f"bench-{secrets.token_hex(12)}"
    fields = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("csrfmiddlewaretoken", token), ("action", "upload"))
    )
    before = (
        f"{fields}--{boundary}\r\n"
        'Content-Disposition: form-data; name="files"; filename="statement.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    after = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield before
        yield from payload.blocks()
        yield after

    status, _h, data = client.request(
        "POST",
        FOLLOW_UP_FILES,
        body=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(before) + payload.size + len(after)),
        },
    )
    if status != 302:
        raise _fail(f"POST {FOLLOW_UP_FILES}", status, data)
    return {"requests": 1}


# --- The serving workers' memory ------------------------------------------------


def gunicorn_workers(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def run_queue_seconds(pid: int) -> float:
    """Time the process's threads spent runnable but waiting for a CPU
    (/proc/PID/schedstat, main thread): other work on the same core."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Served:
    label: str
    size: int
    seconds: float
    worker: int
    idle_kb: int
    peak_kb: int
    peak_source: str
    cpu_seconds: float
    waited_seconds: float
    client_waited_seconds: float
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def mb_per_s(self) -> float:
        return self.size / MB / self.seconds

    @property
    def growth_mb(self) -> float:
        return (self.peak_kb - self.idle_kb) / 1024

    def detail(self) -> dict[str, Any]:
        return {
            "bytes": self.size,
            "seconds": round(self.seconds, 3),
            "mb_per_s": round(self.mb_per_s, 1),
            "worker_idle_rss_mb": round(self.idle_kb / 1024, 1),
            "worker_peak_rss_mb": round(self.peak_kb / 1024, 1),
            "worker_growth_mb": round(self.growth_mb, 1),
            "peak_from": self.peak_source,
            "worker_cpu_seconds": round(self.cpu_seconds, 2),
            "worker_cpu_ms_per_mb": round(self.cpu_seconds * 1000 / (self.size / MB), 2),
            # Runnable but not running: the share of the figure lost to other
            # work on the same cores (the machine may be shared).
            "worker_run_queue_seconds": round(self.waited_seconds, 3),
            "client_run_queue_seconds": round(self.client_waited_seconds, 3),
            **self.response,
        }


def measured(
    bench: Bench, label: str, payload: Payload, upload: Callable[[Payload], dict[str, Any]]
) -> Served:
    """Run one upload while watching every worker's memory; the worker that
    spent the most CPU time during it is the one that served it."""
    workers = gunicorn_workers(bench.server.process.pid)
    os.sync()  # earlier runs' dirty pages are not this run's cost
    idle = {pid: status_kb(pid, "VmRSS") for pid in workers}
    hwm_reset = {pid: reset_peak(pid) for pid in workers}
    ticks = {pid: cpu_ticks(pid) for pid in workers}
    waits = {pid: run_queue_seconds(pid) for pid in workers}
    client_wait = run_queue_seconds(os.getpid())
    sampled = dict(idle)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_SECONDS):
            for pid in workers:
                with contextlib.suppress(OSError, KeyError):
                    sampled[pid] = max(sampled[pid], status_kb(pid, "VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        response = upload(payload)
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    worker = max(workers, key=lambda pid: cpu_ticks(pid) - ticks[pid])
    cpu_seconds = (cpu_ticks(worker) - ticks[worker]) / os.sysconf("SC_CLK_TCK")
    waited = run_queue_seconds(worker) - waits[worker]
    client_waited = run_queue_seconds(os.getpid()) - client_wait
    peak, source = sampled[worker], "VmRSS sampled every 20 ms"
    if hwm_reset[worker]:
        peak = max(peak, status_kb(worker, "VmHWM"))
        source = "VmHWM reset before the upload"
    served = Served(
        label,
        payload.size,
        seconds,
        worker,
        idle[worker],
        peak,
        source,
        cpu_seconds,
        waited,
        client_waited,
        response,
    )
    log(
        f"  {label} {payload.size // MB} MB: {served.mb_per_s:.0f} MB/s, worker {worker} "
        f"RSS {served.idle_kb / 1024:.0f} -> {served.peak_kb / 1024:.0f} MB, "
        f"worker CPU {cpu_seconds:.2f} s ({cpu_seconds * 1000 / (payload.size / MB):.1f} ms/MB), "
        f"waiting for a CPU: worker {waited:.2f} s, client {client_waited:.2f} s"
    )
    return served


# --- The group -------------------------------------------------------------------


@figure("uploads")
def uploads(bench: Bench) -> list[Figure]:
    """Issue 3: 1 GiB through the chunked protocol and a plain multipart POST."""
    large, small = SIZES[bench.mode.name]
    storage_dir = bench.stack.data_dir / "private"
    storage_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="uploads-", dir=bench.stack.data_dir))
    affinity = os.sched_getaffinity(0)
    client = Client(bench.server.url)
    try:
        if bench.cpus.load:
            # The load generator's side of the machine, as wrk is elsewhere.
            os.sched_setaffinity(0, bench.cpus.load)
        clip = make_clip(work)
        pattern = os.urandom(MB)
        payloads = {size: Payload(clip, size, pattern) for size in (large, small)}
        hashes = {size: payload.sha256() for size, payload in payloads.items()}
        follow_up_sign_in(client)

        # Each upload starts on a new connection (cookies are kept): the last
        # one may have sat idle past the server's keep-alive meanwhile.
        def chunked(payload: Payload) -> dict[str, Any]:
            client.close()
            answer = upload_chunked(client, payload)
            if answer["sha256"] != hashes.get(payload.size, answer["sha256"]) or (
                answer["size"] != payload.size
            ):
                raise SystemExit(f"chunked upload stored something else: {answer}")
            return {"requests": answer["requests"], "chunk_bytes": answer["chunk_bytes"]}

        def multipart(payload: Payload) -> dict[str, Any]:
            client.close()
            return upload_multipart(client, payload)

        log(f"  warm-up: {WARMUPS} uploads of {WARMUP_BYTES // MB} MB each way")
        warm = Payload(clip, WARMUP_BYTES, pattern)
        for _ in range(WARMUPS):
            chunked(warm)
            multipart(warm)
        # One at a time, each from a quiet start; the disk baseline first.
        # The best of DISK_RUNS writes: on a shared machine one write can be
        # slowed by other work, and a slow baseline would flatter the ratio.
        disk, disk_runs = {}, {}
        for size in (large, small):
            disk_runs[size] = [
                size / MB / disk_write_seconds(storage_dir / "bench-disk-baseline", payloads[size])
                for _ in range(DISK_RUNS)
            ]
            disk[size] = max(disk_runs[size])
            runs = ", ".join(f"{rate:.0f}" for rate in disk_runs[size])
            log(f"  disk write {size // MB} MB, fsync'd: {disk[size]:.0f} MB/s (best of {runs})")
        # Each upload figure is the fastest of UPLOAD_RUNS, as the baseline is
        # the fastest of DISK_RUNS, and its memory the worst of them.
        uploads_run = {
            (label, size): [
                measured(bench, label, payloads[size], upload) for _ in range(UPLOAD_RUNS)
            ]
            for size in (large, small)
            for label, upload in (("chunked", chunked), ("multipart", multipart))
        }
        results = {k: max(served, key=lambda s: s.mb_per_s) for k, served in uploads_run.items()}
        worst = {k: max(served, key=lambda s: s.growth_mb) for k, served in uploads_run.items()}
        stored = sum(1 for path in (storage_dir / "evidence").rglob("*") if path.is_file())
    finally:
        client.close()
        os.sched_setaffinity(0, affinity)
        shutil.rmtree(storage_dir / "evidence", ignore_errors=True)
        (storage_dir / "bench-disk-baseline").unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    left = sum(path.stat().st_size for path in storage_dir.rglob("*") if path.is_file())

    common = {
        "file": (
            "a 2 s H.264/AAC MP4 from ffmpeg padded with one top-level free box "
            "(random bytes) to the size: a valid video, detected as video/mp4"
        ),
        "mb": "1,048,576 bytes",
        "sizes_mb": [large // MB, small // MB],
        "quick_mode_sizes": bench.mode.name == "quick",
        "baseline": (
            f"the same bytes written to the storage's filesystem and fsync'd, "
            f"the best of {DISK_RUNS} writes"
        ),
        "disk_mb_per_s": {str(size // MB): round(rate, 1) for size, rate in disk.items()},
        "disk_runs_mb_per_s": {
            str(size // MB): [round(rate, 1) for rate in rates] for size, rates in disk_runs.items()
        },
        "stored_files_after_uploads": stored,
        "bytes_left_after_cleanup": left,
        "server": bench.server.describe(),
        "pinning": bench.cpus.describe(),
    }
    figures = []
    for label in ("chunked", "multipart"):
        big, little = results[(label, large)], results[(label, small)]
        detail = {
            **common,
            "large": big.detail(),
            "small": little.detail(),
            "runs_mb_per_s": {
                str(size // MB): [round(s.mb_per_s, 1) for s in uploads_run[(label, size)]]
                for size in (large, small)
            },
        }
        ratio = big.mb_per_s / disk[large]
        figures.append(
            Figure(
                name=f"upload_{label}_throughput",
                value=big.mb_per_s,
                unit="MB/s",
                baseline=disk[large],
                goal=f">= {THROUGHPUT_GOAL} x fsync'd disk write",
                met=ratio >= THROUGHPUT_GOAL,
                detail=detail,
            )
        )
        big, little = worst[(label, large)], worst[(label, small)]
        between = abs(big.peak_kb - little.peak_kb) / 1024
        figures.append(
            Figure(
                name=f"upload_{label}_peak_rss",
                value=big.peak_kb / 1024,
                unit="MB",
                baseline=big.idle_kb / 1024,
                goal=(
                    f"<= idle + {RSS_OVER_IDLE_GOAL_MB} MB; "
                    f"{large // MB} vs {small // MB} MB peaks < {RSS_SIZES_GOAL_MB} MB apart"
                ),
                met=big.growth_mb <= RSS_OVER_IDLE_GOAL_MB
                and little.growth_mb <= RSS_OVER_IDLE_GOAL_MB
                and between < RSS_SIZES_GOAL_MB,
                detail={
                    **detail,
                    "large": big.detail(),
                    "small": little.detail(),
                    "peaks_apart_mb": round(between, 1),
                },
            )
        )
    return figures
