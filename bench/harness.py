"""The bench's machinery: the stack it starts, the load it drives, the figures.

A figure group is a function registered with ``@figure("name")`` (see
bench/figures.py) that takes the ``Bench`` and returns ``Figure`` objects;
bench/run.py runs every registered group in order and prints one table.

Everything the bench starts (gunicorn, wrk) runs in its own process group and
is stopped when the bench ends, whether it finishes, fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.data import Dataset

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
WRK_SCRIPTS = ROOT / "bench" / "wrk"
VENV_BIN = Path(sys.executable).parent

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hatecrime_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"


_STARTED = time.monotonic()


def log(message: str) -> None:
    """A progress line, stamped with the seconds since the bench started."""
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", flush=True)


# --- Modes -------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    name: str
    # Each load target is warmed up, then measured in ``rounds`` rounds of
    # ``round_seconds``, alternating the order of targets so drift in the
    # machine's load falls on both sides of a comparison.
    warmup_seconds: int
    round_seconds: int
    rounds: int
    # How many reports the generated data set grows to (bench/data.py), and
    # the smaller size the "does it stay fast as data grows" figures compare
    # against, measured first in the same run.
    reports: int = 10_000
    reports_baseline: int = 1_000


MODES = {
    "quick": Mode(
        "quick",
        warmup_seconds=2,
        round_seconds=5,
        rounds=2,
        reports=10_000,
        reports_baseline=1_000,
    ),
    "full": Mode(
        "full",
        warmup_seconds=10,
        round_seconds=20,
        rounds=3,
        reports=1_000_000,
        reports_baseline=10_000,
    ),
}


# --- Figures and their registry -------------------------------------------------


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None
    goal: str
    met: bool
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline

    def as_json(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 3),
            "unit": self.unit,
            "baseline": None if self.baseline is None else round(self.baseline, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "goal": self.goal,
            "met": self.met,
            "detail": self.detail,
        }


FigureGroup = Callable[["Bench"], list[Figure]]
REGISTRY: dict[str, FigureGroup] = {}


def figure(name: str) -> Callable[[FigureGroup], FigureGroup]:
    """Register a function measuring a group of figures, run in registration order."""

    def register(function: FigureGroup) -> FigureGroup:
        if name in REGISTRY:
            raise ValueError(f"figure group {name!r} is registered twice")
        REGISTRY[name] = function
        return function

    return register


# --- Processes ------------------------------------------------------------------


class Processes:
    """Children started in their own process groups, all stopped by ``close``.

    A child in its own group does not see the terminal's Ctrl-C; the bench
    catches it (and SIGTERM) and stops every child itself, so nothing is left
    running whichever way the bench ends.
    """

    def __init__(self) -> None:
        self._children: list[subprocess.Popen[bytes]] = []
        self._stop_signals: dict[int, signal.Signals] = {}

    def start(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        stdout: IO[Any] | int | None = None,
        stderr: IO[Any] | int | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> subprocess.Popen[bytes]:
        """Start ``args``; ``stop_signal`` is what asks it to stop (then SIGKILL)."""
        child = subprocess.Popen(  # noqa: S603 (our own argument lists)
            list(args),
            cwd=ROOT,
            env=dict(env) if env is not None else None,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        self._children.append(child)
        self._stop_signals[child.pid] = stop_signal
        return child

    def stop(self, child: subprocess.Popen[bytes], timeout: float = 10) -> None:
        if child.poll() is None:
            self._signal(child, self._stop_signals.get(child.pid, signal.SIGTERM))
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(child, signal.SIGKILL)
                child.wait(timeout=timeout)
        else:
            # The leader has gone; make sure nothing it started outlives it.
            self._signal(child, signal.SIGKILL)
        if child in self._children:
            self._children.remove(child)
        self._stop_signals.pop(child.pid, None)

    def close(self) -> None:
        for child in reversed(list(self._children)):
            self.stop(child)

    @staticmethod
    def _signal(child: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, sig)


def interrupt_on_termination() -> None:
    """Ctrl-C, SIGTERM and SIGHUP unwind as KeyboardInterrupt, so cleanup runs
    (SIGINT too: a shell may have started the bench with it ignored)."""

    def handler(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


# --- CPUs: the server on one side, the load generator on the other ---------------


@dataclass(frozen=True)
class Cpus:
    server: tuple[int, ...]
    load: tuple[int, ...]

    @classmethod
    def detect(cls) -> Cpus:
        """The load generator on the last usable core, the server on the rest.

        On one core (or without taskset) nothing is pinned.
        """
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2 or shutil.which("taskset") is None:
            return cls(server=(), load=())
        return cls(server=tuple(cores[:-1]), load=(cores[-1],))

    @staticmethod
    def pinned(cpus: Sequence[int], args: Sequence[str]) -> list[str]:
        if not cpus:
            return list(args)
        return ["taskset", "-c", ",".join(str(cpu) for cpu in cpus), *args]

    def describe(self) -> str:
        if not self.server:
            return "not pinned"
        return (
            f"server on CPU {','.join(map(str, self.server))}, "
            f"load generator on CPU {','.join(map(str, self.load))}"
        )


# --- The stack: PostgreSQL database, Redis, gunicorn ----------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    workers: int
    threads: int
    log_path: Path

    def describe(self) -> str:
        return f"gunicorn gthread, {self.workers} workers x {self.threads} threads"


@dataclass
class ManageCommand:
    process: subprocess.Popen[bytes]
    args: tuple[str, ...]

    def wait_checked(self) -> None:
        if self.process.wait() != 0:
            raise subprocess.CalledProcessError(self.process.returncode, ["manage.py", *self.args])


class Stack:
    """A dedicated PostgreSQL database, a dedicated Redis database (cache and
    Celery broker) and a gunicorn serving bench.urls. Both databases are
    emptied at the start of a run; the Redis one again at the end, so no task
    the bench queued is left for anyone's worker."""

    def __init__(self, processes: Processes, cpus: Cpus) -> None:
        from cryptography.fernet import Fernet

        self.processes = processes
        self.cpus = cpus
        self.database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
        self.redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
        self.data_dir = Path(tempfile.mkdtemp(prefix="hatecrime-bench-"))
        (self.data_dir / "tmp").mkdir()
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.redis_url,
            "CACHE_KEY_PREFIX": "hatecrime-bench",
            "DATA_DIR": str(self.data_dir),
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "S3_BUCKET": "",
            "ROOT_URLCONF": "bench.urls",
            # Throttling stays in the path (it costs a cache round trip per
            # request) but at a rate one client on loopback never reaches.
            "THROTTLE_REPORT_CREATE": "1000000/s",
            "THROTTLE_EVIDENCE_UPLOAD": "1000000/s",
            # The server's temporary files (form uploads, spooled chunks) stay
            # in the data directory, removed with it however the bench ends.
            "TMPDIR": str(self.data_dir / "tmp"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
            "PYTHONUNBUFFERED": "1",
        }
        self.server: Server | None = None

    # Database --------------------------------------------------------------

    def _connect(self, database: str | None = None) -> Any:
        import psycopg2

        url = urllib.parse.urlparse(self.database_url)
        return psycopg2.connect(
            host=url.hostname or "127.0.0.1",
            port=url.port or 5432,
            user=urllib.parse.unquote(url.username or "postgres"),
            password=urllib.parse.unquote(url.password) if url.password else None,
            dbname=database or url.path.lstrip("/"),
        )

    @property
    def database_name(self) -> str:
        return urllib.parse.urlparse(self.database_url).path.lstrip("/")

    def database_create(self) -> None:
        """Drop and create the bench's own database: every run starts clean."""
        name = self.database_name
        if not name or not name.replace("_", "").isalnum():
            raise SystemExit(f"BENCH_DATABASE_URL must name a plain database, not {name!r}")
        connection = self._connect("postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def redis_reset(self) -> None:
        """Empty the bench's Redis database (never database 0, the default one)."""
        import redis

        url = urllib.parse.urlparse(self.redis_url)
        if url.path.strip("/") in ("", "0"):
            raise SystemExit(
                "BENCH_REDIS_URL must name its own Redis database (not 0): it is emptied"
            )
        redis.Redis.from_url(self.redis_url).flushdb()

    def sql(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        connection = self._connect()
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                return list(cursor.fetchall()) if cursor.description else []
        finally:
            connection.close()

    def manage(self, *args: str) -> None:
        self.manage_start(*args).wait_checked()

    def manage_start(self, *args: str) -> ManageCommand:
        """A management command started in the background (``wait_checked`` it)."""
        return ManageCommand(
            subprocess.Popen(  # noqa: S603 (our own argument list)
                [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env
            ),
            args,
        )

    # Web server -----------------------------------------------------------------

    def server_start(self) -> Server:
        """gunicorn on a free loopback port, pinned to the server's cores."""
        cores = max(1, len(self.cpus.server) or (os.cpu_count() or 1))
        workers = int(os.environ.get("BENCH_WORKERS", 2 * cores))
        threads = int(os.environ.get("BENCH_THREADS", 4))
        port = free_port()
        log_path = RESULTS_DIR / "server.log"
        args = [
            str(VENV_BIN / "gunicorn"),
            "hatecrime.wsgi",
            f"--bind=127.0.0.1:{port}",
            "--worker-class=gthread",
            f"--workers={workers}",
            f"--threads={threads}",
            "--keep-alive=5",
            "--log-level=warning",
        ]
        with log_path.open("wb") as log_file:
            process = self.processes.start(
                Cpus.pinned(self.cpus.server, args),
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # gunicorn's quick shutdown: the bench has nothing to drain.
                stop_signal=signal.SIGINT,
            )
        server = Server(f"http://127.0.0.1:{port}", process, workers, threads, log_path)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(
                    f"gunicorn exited; see {log_path}:\n{log_path.read_text()[-2000:]}"
                )
            try:
                status, _ = http_request(f"{server.url}/health/live", timeout=2)
                if status == 200:
                    self.server = server
                    return server
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within 60 s; see {log_path}")

    def close(self) -> None:
        if self.server is not None:
            # Quick shutdown has nothing to wait for; a worker still holding a
            # keep-alive connection is killed after 3 s rather than 10.
            self.processes.stop(self.server.process, timeout=3)
            self.server = None
        shutil.rmtree(self.data_dir, ignore_errors=True)
        with contextlib.suppress(Exception):
            self.redis_reset()


def http_request(url: str, *, body: bytes | None = None, timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 (loopback URL we built)
        url,
        data=body,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- Load: wrk on loopback ---------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Measurement:
    """A target's measured rounds; its figures are the medians of the rounds."""

    rounds: list[LoadResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return median(r.rps for r in self.rounds)

    @property
    def p95_ms(self) -> float:
        return median(r.p95_ms for r in self.rounds)

    @property
    def p50_ms(self) -> float:
        return median(r.p50_ms for r in self.rounds)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.rounds)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rounds)

    def detail(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "p50_ms": round(self.p50_ms, 2),
            "rounds_rps": [round(r.rps, 1) for r in self.rounds],
            "rounds_p95_ms": [round(r.p95_ms, 2) for r in self.rounds],
        }


@dataclass(frozen=True)
class Target:
    """An endpoint under load: a path and the JSON body POSTed to it."""

    label: str
    path: str
    body: bytes
    expect_status: int = 201


class Load:
    def __init__(self, processes: Processes, cpus: Cpus, work_dir: Path) -> None:
        self.processes = processes
        self.cpus = cpus
        self.work_dir = work_dir
        self.connections = int(os.environ.get("BENCH_CONNECTIONS", 8))
        wrk = shutil.which("wrk")
        if wrk is None:
            raise SystemExit("wrk is not installed (bin/system-packages installs it)")
        self.wrk = wrk

    def version(self) -> str:
        result = subprocess.run(  # noqa: S603 (wrk's own version line)
            [self.wrk, "--version"], capture_output=True, text=True, check=False
        )
        lines = (result.stdout or "wrk").splitlines() or ["wrk"]
        return lines[0].split(" Copyright")[0].strip()

    def post_json(self, url: str, body: bytes, seconds: int) -> LoadResult:
        body_path = self.work_dir / f"body-{secrets.token_hex(4)}.json"
        body_path.write_bytes(body)
        try:
            return self._wrk("post_json.lua", seconds, [url, "--", str(body_path)])
        finally:
            body_path.unlink(missing_ok=True)

    def get(
        self,
        url: str,
        seconds: int,
        *,
        headers: Mapping[str, str] | None = None,
        connections: int | None = None,
    ) -> LoadResult:
        """GET ``url`` for ``seconds`` with these headers (a session cookie, say)."""
        options = [f"--header={name}: {value}" for name, value in (headers or {}).items()]
        return self._wrk("get.lua", seconds, [*options, url], connections=connections)

    def _wrk(
        self, script: str, seconds: int, tail: list[str], *, connections: int | None = None
    ) -> LoadResult:
        """Run wrk with one of bench/wrk's scripts, which prints a BENCH_RESULT line."""
        args = [
            self.wrk,
            "--threads=1",
            f"--connections={connections or self.connections}",
            f"--duration={seconds}s",
            "--timeout=10s",
            f"--script={WRK_SCRIPTS / script}",
            *tail,
        ]
        child = self.processes.start(
            Cpus.pinned(self.cpus.load, args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            output, _ = child.communicate(timeout=seconds + 60)
        finally:
            self.processes.stop(child)
        text = output.decode(errors="replace")
        line = next((ln for ln in text.splitlines() if ln.startswith("BENCH_RESULT ")), None)
        if child.returncode != 0 or line is None:
            raise SystemExit(f"wrk failed ({child.returncode}):\n{text}")
        data = json.loads(line.removeprefix("BENCH_RESULT "))
        latency = data["latency_us"]
        return LoadResult(
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            errors=sum(data["errors"].values()),
            mean_ms=latency["mean"] / 1000,
            p50_ms=latency["p50"] / 1000,
            p95_ms=latency["p95"] / 1000,
            p99_ms=latency["p99"] / 1000,
            max_ms=latency["max"] / 1000,
        )


# --- The context a figure group works with -------------------------------------------


@dataclass
class Bench:
    mode: Mode
    stack: Stack
    load: Load
    cpus: Cpus
    # The generated reports (bench/data.py); groups grow it as they need.
    data: Dataset | None = None

    @property
    def server(self) -> Server:
        if self.stack.server is None:
            self.stack.server_start()
        assert self.stack.server is not None
        return self.stack.server

    def preflight(self, target: Target) -> None:
        """One request first: a target that does not answer as expected stops the bench."""
        status, body = http_request(self.server.url + target.path, body=target.body)
        if status != target.expect_status:
            raise SystemExit(
                f"{target.label}: POST {target.path} answered {status}, "
                f"expected {target.expect_status}:\n{body[:2000].decode(errors='replace')}"
            )

    def compare(self, *targets: Target) -> dict[str, Measurement]:
        """Warm up each target, then measure them in alternating rounds.

        Same concurrency, same duration, same server, same run: only the
        ratios between targets are meant to be compared across machines.
        """
        for target in targets:
            self.preflight(target)
        for target in targets:
            log(f"  warm-up {target.label} ({self.mode.warmup_seconds} s)")
            self.load.post_json(
                self.server.url + target.path, target.body, self.mode.warmup_seconds
            )
        measured = {target.label: Measurement() for target in targets}
        for index in range(self.mode.rounds):
            order = targets if index % 2 == 0 else tuple(reversed(targets))
            for target in order:
                result = self.load.post_json(
                    self.server.url + target.path, target.body, self.mode.round_seconds
                )
                measured[target.label].rounds.append(result)
                log(
                    f"  round {index + 1}/{self.mode.rounds} {target.label}: "
                    f"{result.rps:.1f} req/s, p95 {result.p95_ms:.1f} ms"
                    + (f", {result.errors} errors" if result.errors else "")
                )
        return measured


# --- The machine ------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    memory_gib: float | None = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
