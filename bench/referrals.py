"""Issue 4's referral delivery figures and issue 8's surge, end to end.

The group starts what production runs for delivery (docker-compose.yml): a
Celery worker on the ``delivery`` queue with a thread pool of 16 (prefetch 4
per thread; BENCH_DELIVERY_PREFETCH sets it to compare), and one on
``processing``, ``periodic`` and ``celery`` with prefork, both against the
bench's own PostgreSQL database and Redis broker and pinned to the server's
cores; and a partner's webhook receiver on loopback (bench/receiver.py, on
the load generator's core) that verifies each delivery's Standard Webhooks
signature with the ``standardwebhooks`` package, notes when it arrived and
takes 100 ms to answer. Every demo provider and police force is pointed at
it. Reports are submitted through the public API (POST /api/v1/reports/) by
an open-loop driver: requests leave on schedule whether or not earlier ones
have been answered, as from many clients. Each report makes two referrals
(its police force and a support service).

- Latency: referrals at a steady 20 per second, after a warm-up at that
  rate (the mode's warm-up time); from each referral's
  ``created_at`` (written inside the submission's transaction, so a little
  before its commit: the figure errs long) to its arrival at the receiver.
- Burst drain: the delivery worker is stopped (warm shutdown, as a deploy
  does), 1,000 referrals are submitted and queue up in Redis, a fresh
  worker is started; referrals per second from when it takes the first
  message until the queue is empty, beside 1,000 no-op tasks
  (bench/tasks.py) queued and drained the same way through the same broker
  and pool in the same run. Every referral must arrive exactly once
  (receipts counted per referral). No consumer is cancelled and re-added by
  remote control (production never does that); workers the bench did not
  start on its broker, or its Redis database emptied under it (another
  bench run sharing BENCH_REDIS_URL), make the figure unsound.
- Surge: a steady report rate, then ten times that for a minute (less in
  quick mode); error responses, referrals never delivered, and the time the
  queue takes to drain after the surge ends.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.figures import report_body
from bench.harness import (
    RESULTS_DIR,
    ROOT,
    VENV_BIN,
    Bench,
    Cpus,
    Figure,
    Stack,
    figure,
    free_port,
    http_request,
    log,
)

DELIVERY_CONCURRENCY = 16  # docker-compose.yml's DELIVERY_CONCURRENCY default
DELIVERY_PREFETCH_MULTIPLIER = int(os.environ.get("BENCH_DELIVERY_PREFETCH", 4))
RECEIVER_DELAY_MS = 100  # the partner's own time per call (issue 4)
REFERRALS_PER_REPORT = 2  # bench.figures.report_body: its police force and a support service

LATENCY_REFERRALS_PER_SECOND = 20
LATENCY_P95_GOAL_MS = 500.0
BURST_DRAIN_GOAL = 50.0  # referrals/s
# Issue 8's surge: ten times the steady rate for a minute. The steady rate is
# a busy region's worst hour many times over (England and Wales record about
# 150,000 hate crimes a year, some 0.005 a second), so the surge is not
# sized to the server's ceiling but to what a region could plausibly see.
SURGE_STEADY_REPORTS_PER_SECOND = 2.0
SURGE_FACTOR = 10
QUEUES = ("delivery", "processing", "periodic", "celery")
OWNER_KEY = "bench:referrals:owner"  # a token set at the group's start


@dataclass(frozen=True)
class Sizes:
    latency_seconds: float
    burst_referrals: int
    steady_seconds: float
    surge_seconds: float
    drain_timeout_seconds: float


SIZES = {
    "quick": Sizes(
        latency_seconds=10,
        burst_referrals=400,
        steady_seconds=5,
        surge_seconds=10,
        drain_timeout_seconds=60,
    ),
    "full": Sizes(
        latency_seconds=30,
        burst_referrals=1000,
        steady_seconds=20,
        surge_seconds=60,
        drain_timeout_seconds=180,
    ),
}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- The partner's webhook receiver --------------------------------------------------


@dataclass
class Receipts:
    bad_signatures: int
    # (webhook id, referral id, arrival time in Unix seconds), in arrival order
    rows: list[tuple[str, int | None, float]]

    def per_referral(self) -> Counter[int]:
        return Counter(referral for _, referral, _ in self.rows if referral is not None)

    def first_arrival(self) -> dict[int, float]:
        first: dict[int, float] = {}
        for _, referral, at in self.rows:
            if referral is not None and referral not in first:
                first[referral] = at
        return first


class Receiver:
    def __init__(self, bench: Bench, secret: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = RESULTS_DIR / "receiver.log"
        with self.log_path.open("wb") as log_file:
            self.process = bench.stack.processes.start(
                Cpus.pinned(
                    bench.cpus.load,
                    [str(VENV_BIN / "python"), "-m", "bench.receiver", str(self.port)],
                ),
                env={**bench.stack.env, "BENCH_WEBHOOK_SECRET": secret},
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the webhook receiver exited; see {self.log_path}")
            with contextlib.suppress(OSError):
                if http_request(f"{self.url}/health", timeout=1)[0] == 200:
                    return
            time.sleep(0.1)
        raise SystemExit(f"the webhook receiver did not answer; see {self.log_path}")

    def _post(self, path: str) -> None:
        status, body = http_request(f"{self.url}{path}", body=b"", timeout=10)
        if status != 204:
            raise SystemExit(f"receiver {path}: {status} {body[:200]!r}")

    def reset(self, *, delay_ms: float) -> None:
        self._post("/_bench/reset")
        self._post(f"/_bench/delay?ms={delay_ms}")

    def receipts(self) -> Receipts:
        status, body = http_request(f"{self.url}/_bench/receipts", timeout=30)
        if status != 200:
            raise SystemExit(f"receiver receipts: {status}")
        summary, *lines = body.decode().splitlines()
        rows = []
        for line in lines:
            row = json.loads(line)
            rows.append((row["id"], row["referral"], row["at"]))
        return Receipts(bad_signatures=json.loads(summary)["bad_signatures"], rows=rows)


# --- Celery: the workers, and control of them from the bench -------------------------------


class Workers:
    """The delivery and processing workers, and a Celery client (no Django)
    that publishes the no-op tasks, purges queues and reads queue depths.

    A burst is measured against a delivery worker that was not running while
    it was queued (``delivery_stop`` then ``delivery_start``), as after a
    deploy or an outage: no consumer is cancelled and added again by remote
    control, which production never does."""

    def __init__(self, bench: Bench) -> None:
        from celery import Celery

        self.stack = bench.stack
        self.cpus = bench.cpus.server
        self.app = Celery("bench-control", broker=self.stack.redis_url)
        self.app.conf.broker_connection_retry_on_startup = True
        self.processing_name = f"bench-processing-{os.getpid()}@localhost"
        self.generation = 0
        for kind in ("delivery", "processing"):
            (RESULTS_DIR / f"{kind}-worker.log").write_bytes(b"")
        self.purged = self.purge()
        self.token = secrets.token_hex(8)
        self._redis().set(OWNER_KEY, self.token)
        self.processing = self._start(
            self.processing_name,
            "processing",
            ["--queues=processing,periodic,celery", "--pool=prefork", "--concurrency=1"],
            signal.SIGQUIT,  # Celery's cold shutdown (the bench has nothing to finish)
        )
        self.delivery: Any = None
        self.delivery_start()
        self._wait_ready({self.processing_name})

    @property
    def delivery_name(self) -> str:
        return f"bench-delivery-{os.getpid()}-{self.generation}@localhost"

    def delivery_start(self, *, wait: bool = True) -> None:
        """A fresh delivery worker, as docker-compose.yml runs it; with
        ``wait``, returns once it answers (it may already be taking messages)."""
        self.generation += 1
        self.delivery = self._start(
            self.delivery_name,
            "delivery",
            [
                "--queues=delivery",
                "--pool=threads",
                f"--concurrency={DELIVERY_CONCURRENCY}",
                f"--prefetch-multiplier={DELIVERY_PREFETCH_MULTIPLIER}",
            ],
            # Warm shutdown, as a deploy stops it: in-flight tasks finish,
            # what it prefetched goes back to the queue.
            signal.SIGTERM,
        )
        if wait:
            self._wait_ready({self.delivery_name})

    def delivery_stop(self) -> None:
        if self.delivery is not None:
            self.stack.processes.stop(self.delivery, timeout=30)
            self.delivery = None

    def _start(self, name: str, kind: str, options: list[str], stop_signal: signal.Signals) -> Any:
        log_path = RESULTS_DIR / f"{kind}-worker.log"
        args = [
            str(VENV_BIN / "celery"),
            "-A",
            "hatecrime",
            "worker",
            "--loglevel=INFO",
            f"--hostname={name}",
            "--include=bench.tasks",
            # No start-up exchange with the other workers (a second per
            # start; nothing the bench measures depends on it).
            "--without-mingle",
            *options,
        ]
        with log_path.open("ab") as log_file:
            return self.stack.processes.start(
                Cpus.pinned(self.cpus, args),
                env=self.stack.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stop_signal=stop_signal,
            )

    def _wait_ready(self, names: set[str]) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            for child in (self.processing, self.delivery):
                if child is not None and child.poll() is not None:
                    raise SystemExit(f"a Celery worker exited; see {RESULTS_DIR}/*-worker.log")
            replies = self.app.control.ping(destination=sorted(names), timeout=1.0) or []
            answered = {name for reply in replies for name in reply}
            if answered >= names:
                return
        raise SystemExit(f"the Celery workers did not answer within 90 s; see {RESULTS_DIR}")

    def strangers(self) -> list[str]:
        """Workers on this broker that the bench did not start (another
        bench run or a developer's worker on the same Redis database would
        take, or purge, this run's messages)."""
        replies = self.app.control.ping(timeout=1.0) or []
        ours = {self.processing_name, self.delivery_name}
        return sorted(name for reply in replies for name in reply if name not in ours)

    def owned(self) -> bool:
        """Nobody emptied the bench's Redis database since the group started."""
        value = self._redis().get(OWNER_KEY)
        return value is not None and value.decode() == self.token

    def purge(self) -> int:
        """Empty the queues: earlier groups' submissions queued deliveries
        nobody consumed (their rows stay pending; no sweeper runs here)."""
        purged = 0
        with self.app.connection_for_write() as connection:
            channel: Any = connection.default_channel
            for queue in QUEUES:
                purged += channel.queue_purge(queue) or 0
        return purged

    def _redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.stack.redis_url)

    def waiting(self) -> int:
        """Messages waiting in the delivery queue (not yet taken by a worker)."""
        return int(self._redis().llen("delivery"))

    def depth(self) -> int:
        """Messages waiting in the delivery queue plus those taken and not yet acknowledged."""
        client = self._redis()
        return int(client.llen("delivery")) + int(client.hlen("unacked"))

    def noop_publish(self, count: int) -> None:
        with self.app.producer_or_acquire() as producer:
            for index in range(count):
                self.app.send_task("bench.noop", args=[index], queue="delivery", producer=producer)

    def wait_first_taken(self, queued: int, timeout: float) -> float | None:
        """Poll until a worker has taken the first of ``queued`` waiting
        messages; the time it was seen (the drain's start: the worker's own
        start-up is not the drain)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.waiting() < queued:
                return time.time()
            time.sleep(0.002)
        return None

    def wait_drained(self, timeout: float) -> float | None:
        """Poll until the delivery queue is empty; the time it was seen empty."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.depth() == 0:
                return time.time()
            time.sleep(0.01)
        return None

    def delivery_cpu_seconds(self) -> float:
        """CPU time the delivery worker (one process, every thread) has used."""
        return process_cpu_seconds(self.delivery.pid)

    def delivery_waiting_seconds(self) -> float:
        """Time the delivery worker's threads waited for a CPU."""
        return process_run_queue_seconds(self.delivery.pid)

    def close(self) -> None:
        self.delivery_stop()
        self.stack.processes.stop(self.processing, timeout=20)


def process_run_queue_seconds(pid: int) -> float:
    """Time a process's threads were ready to run but waited for a CPU
    (Linux schedstat): a worker starved by other work on its cores."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(stat.read_text().split()[1])
    return total / 1e9


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and all its threads (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    # After the command: state is field 3, utime 14 and stime 15 (proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- Pointing the directory at the receiver ---------------------------------------------

CHANNELS_SET = """
import os
from referrals.models import DeliveryMethod, PoliceForceChannel, Provider
url, secret = os.environ["BENCH_WEBHOOK_URL"], os.environ["BENCH_WEBHOOK_SECRET"]
for provider in Provider.objects.all():
    provider.delivery_method = DeliveryMethod.WEBHOOK
    provider.webhook_url = url
    provider.webhook_secret = secret
    provider.save()
for channel in PoliceForceChannel.objects.all():
    channel.delivery_method = DeliveryMethod.WEBHOOK
    channel.webhook_url = url
    channel.webhook_secret = secret
    channel.save()
print(Provider.objects.count(), PoliceForceChannel.objects.count(), flush=True)
"""


def channels_point_at(stack: Stack, url: str, secret: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own argument list)
        [str(VENV_BIN / "python"), "manage.py", "shell", "-c", CHANNELS_SET],
        cwd=ROOT,
        env={**stack.env, "BENCH_WEBHOOK_URL": url, "BENCH_WEBHOOK_SECRET": secret},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"pointing channels at the receiver failed:\n{result.stderr}")
    providers, forces = result.stdout.strip().splitlines()[-1].split()
    return f"{providers} providers and {forces} police forces"


# --- The open-loop driver ---------------------------------------------------------------


@dataclass
class Submissions:
    sent: int = 0
    accepted: list[str] = field(default_factory=list)  # references
    errors: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    late_starts: int = 0  # requests that left more than 100 ms after their time


class Driver:
    """POSTs reports on a schedule from a pool of threads (many clients)."""

    def __init__(self, url: str, threads: int = 64) -> None:
        self.url = url + "/api/v1/reports/"
        self.body = json.dumps(report_body()).encode()
        self.client = httpx.Client(
            timeout=30,
            limits=httpx.Limits(max_connections=threads, max_keepalive_connections=threads),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="driver")
        self.lock = threading.Lock()

    def _post(self, due: float, into: Submissions) -> None:
        started = time.monotonic()
        late = started - due > 0.1
        try:
            response = self.client.post(self.url, content=self.body)
            outcome = "ok" if response.status_code == 201 else f"HTTP {response.status_code}"
            reference = response.json().get("reference") if outcome == "ok" else None
        except httpx.HTTPError as exc:
            outcome, reference = type(exc).__name__, None
        elapsed = (time.monotonic() - started) * 1000
        with self.lock:
            into.sent += 1
            into.late_starts += late
            if reference:
                into.accepted.append(reference)
                into.latencies_ms.append(elapsed)
            else:
                into.errors[outcome] += 1

    def run(self, phases: list[tuple[float, float]], into: Submissions) -> None:
        """Each phase is (reports per second, seconds), back to back; returns
        when every request has been answered."""
        futures = []
        start = time.monotonic()
        offset = 0.0
        for rate, seconds in phases:
            count = round(rate * seconds)
            for index in range(count):
                due = start + offset + index / rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(self.pool.submit(self._post, due, into))
            offset += seconds
        for future in futures:
            future.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.client.close()


# --- Measuring -----------------------------------------------------------------------


def referrals_since(stack: Stack, after_id: int) -> dict[int, float]:
    """Referral id -> created_at (Unix seconds) for referrals after ``after_id``."""
    rows = stack.sql(
        "SELECT id, extract(epoch FROM created_at) FROM referrals_referral WHERE id > %s",
        [after_id],
    )
    return {int(pk): float(at) for pk, at in rows}


def last_referral_id(stack: Stack) -> int:
    return int(stack.sql("SELECT coalesce(max(id), 0) FROM referrals_referral")[0][0])


def wait_delivered(
    receiver: Receiver, expected: set[int], *, timeout: float, stall: float = 30
) -> Receipts:
    """Poll the receiver until every expected referral has arrived, or
    nothing new has arrived for ``stall`` seconds, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    seen = -1
    progressed = time.monotonic()
    while True:
        receipts = receiver.receipts()
        arrived = set(receipts.per_referral()) & expected
        if arrived >= expected:
            return receipts
        now = time.monotonic()
        if len(arrived) != seen:
            seen, progressed = len(arrived), now
        if now > deadline or now - progressed > stall:
            return receipts
        time.sleep(0.25)


def exactly_once(receipts: Receipts, expected: set[int]) -> tuple[int, int]:
    """(lost, duplicated): expected referrals that never arrived, and extra
    arrivals of a referral (the same webhook id sent twice counts too)."""
    counts = receipts.per_referral()
    lost = len(expected - set(counts))
    duplicated = sum(count - 1 for referral, count in counts.items() if referral in expected)
    return lost, duplicated


def referrals_of(stack: Stack, references: list[str]) -> int:
    if not references:
        return 0
    return int(
        stack.sql(
            "SELECT count(*) FROM referrals_referral r JOIN reports_report p"
            " ON p.id = r.report_id WHERE p.reference = ANY(%s)",
            [references],
        )[0][0]
    )


@contextlib.contextmanager
def pinned_to(cpus: tuple[int, ...]) -> Iterator[None]:
    """The bench process (the driver's threads) on the load generator's core."""
    if not cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


# --- The figures -------------------------------------------------------------------------


def _latency(
    bench: Bench, sizes: Sizes, receiver: Receiver, driver: Driver, common: dict[str, Any]
) -> list[Figure]:
    receiver.reset(delay_ms=RECEIVER_DELAY_MS)
    rate = LATENCY_REFERRALS_PER_SECOND / REFERRALS_PER_REPORT
    # A warm-up at the same rate, delivered before measuring: a fresh
    # worker's first sends open its threads' database connections and load
    # what each process loads once (the bank holidays, the directory).
    warmup = bench.mode.warmup_seconds
    log(f"  latency: warm-up {warmup} s")
    mark = last_referral_id(bench.stack)
    driver.run([(rate, warmup)], Submissions())
    wait_delivered(
        receiver, set(referrals_since(bench.stack, mark)), timeout=sizes.drain_timeout_seconds
    )
    receiver.reset(delay_ms=RECEIVER_DELAY_MS)
    mark = last_referral_id(bench.stack)
    log(
        f"  latency: {rate:g} reports/s ({LATENCY_REFERRALS_PER_SECOND} referrals/s) "
        f"for {sizes.latency_seconds:g} s"
    )
    submitted = Submissions()
    driver.run([(rate, sizes.latency_seconds)], submitted)
    created = referrals_since(bench.stack, mark)
    receipts = wait_delivered(receiver, set(created), timeout=sizes.drain_timeout_seconds)
    arrivals = receipts.first_arrival()
    latencies = [(arrivals[pk] - at) * 1000 for pk, at in created.items() if pk in arrivals]
    lost, duplicated = exactly_once(receipts, set(created))
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    sound = (
        not submitted.errors
        and lost == 0
        and duplicated == 0
        and receipts.bad_signatures == 0
        and len(created) == REFERRALS_PER_REPORT * len(submitted.accepted)
    )
    detail = {
        **common,
        "reports_per_second": rate,
        "seconds": sizes.latency_seconds,
        "warmup_seconds": warmup,
        "reports_accepted": len(submitted.accepted),
        "submit_errors": dict(submitted.errors),
        "submit_p95_ms": round(percentile(submitted.latencies_ms, 0.95), 1),
        "referrals": len(created),
        "delivered": len(latencies),
        "lost": lost,
        "duplicated": duplicated,
        "bad_signatures": receipts.bad_signatures,
        "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "measured_from": "referral created_at (inside the submission's transaction) to arrival",
    }
    log(f"  latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {lost} lost, {duplicated} duplicated")
    return [
        Figure(
            name="referral_latency_p50",
            value=p50,
            unit="ms",
            baseline=None,
            goal=f"none (beside p95) at {LATENCY_REFERRALS_PER_SECOND} referrals/s",
            met=sound,
            detail=detail,
        ),
        Figure(
            name="referral_latency_p95",
            value=p95,
            unit="ms",
            baseline=None,
            goal=f"< {LATENCY_P95_GOAL_MS:g} ms at {LATENCY_REFERRALS_PER_SECOND} referrals/s",
            met=sound and p95 < LATENCY_P95_GOAL_MS,
            detail=detail,
        ),
    ]


@dataclass(frozen=True)
class Drain:
    started: float  # Unix seconds: the fresh worker took its first message
    drained: float | None  # the queue was seen empty (None: not within the timeout)
    cpu_seconds: float  # the worker's CPU time from ``started`` to ``drained``
    waiting_seconds: float  # its threads' time waiting for a CPU in the same span

    @property
    def seconds(self) -> float | None:
        return self.drained - self.started if self.drained is not None else None


def _drain_fresh(workers: Workers, queued: int, timeout: float) -> Drain:
    """Start a fresh delivery worker on ``queued`` waiting messages and time
    the drain from when it took the first of them until the queue (waiting
    and unacknowledged) is empty: the worker's start-up is not counted."""
    workers.delivery_start(wait=False)
    started = workers.wait_first_taken(queued, timeout=90)
    if started is None:
        raise SystemExit(f"the delivery worker took nothing in 90 s; see {RESULTS_DIR}")
    cpu, waiting = workers.delivery_cpu_seconds(), workers.delivery_waiting_seconds()
    drained = workers.wait_drained(timeout)
    return Drain(
        started=started,
        drained=drained,
        cpu_seconds=workers.delivery_cpu_seconds() - cpu,
        waiting_seconds=workers.delivery_waiting_seconds() - waiting,
    )


def _burst(
    bench: Bench,
    sizes: Sizes,
    receiver: Receiver,
    workers: Workers,
    driver: Driver,
    common: dict[str, Any],
) -> list[Figure]:
    count = sizes.burst_referrals
    timeout = sizes.drain_timeout_seconds
    # Each burst piles up while no delivery worker runs and is drained by a
    # fresh one, as after a deploy or an outage (no consumer is cancelled
    # and re-added by remote control: production never does that).
    if workers.wait_drained(30) is None:  # the latency phase's last acknowledgements
        raise SystemExit("the delivery queue is not empty before the burst")

    # The baseline: as many no-op tasks through the same broker and pool.
    workers.delivery_stop()
    workers.noop_publish(count)
    noop = _drain_fresh(workers, count, timeout)
    noop_cpu_ms = noop.cpu_seconds * 1000 / count
    noop_rate = count / noop.seconds if noop.seconds else 0.0
    log(f"  burst: {count} no-op tasks drained at {noop_rate:.0f}/s, {noop_cpu_ms:.1f} ms CPU each")

    # The referrals, queued while no delivery worker runs.
    receiver.reset(delay_ms=RECEIVER_DELAY_MS)
    workers.delivery_stop()
    mark = last_referral_id(bench.stack)
    submitted = Submissions()
    reports = count // REFERRALS_PER_REPORT
    driver.run([(1000.0, reports / 1000.0)], submitted)
    created = referrals_since(bench.stack, mark)
    queued = workers.waiting()
    log(f"  burst: {len(created)} referrals queued ({queued} messages); draining")
    drain = _drain_fresh(workers, queued, timeout)
    started, drained = drain.started, drain.drained
    receipts = wait_delivered(receiver, set(created), timeout=30)
    lost, duplicated = exactly_once(receipts, set(created))
    strangers = workers.strangers()
    owned = workers.owned()
    arrivals = receipts.first_arrival()
    last_arrival = max((arrivals[pk] for pk in created if pk in arrivals), default=started)
    rate = len(created) / drain.seconds if drain.seconds else 0.0
    sound = (
        not submitted.errors
        and len(created) == count
        and lost == 0
        and duplicated == 0
        and receipts.bad_signatures == 0
        and drained is not None
        and not strangers
        and owned
    )
    cpu_ms = drain.cpu_seconds * 1000 / max(1, len(created))
    busy = drain.cpu_seconds / drain.seconds if drain.seconds else float("nan")
    log(
        f"  burst: {len(created)} referrals drained at {rate:.0f}/s; {lost} lost; "
        f"{cpu_ms:.1f} ms of worker CPU each, worker busy {busy:.0%} of a core, "
        f"its threads waited {drain.waiting_seconds:.1f} s in all for a CPU"
    )
    if strangers:
        log(f"  burst: workers this bench did not start share its broker: {strangers}")
    if not owned:
        log("  burst: the bench's Redis database was emptied during the run (another bench?)")
    detail = {
        **common,
        "referrals": len(created),
        "messages_queued": queued,
        "submit_errors": dict(submitted.errors),
        "drain_seconds": round(drain.seconds, 2) if drain.seconds else None,
        "noop_drain_seconds": round(noop.seconds, 3) if noop.seconds else None,
        "last_arrival_seconds": round(last_arrival - started, 2),
        "lost": lost,
        "duplicated": duplicated,
        "bad_signatures": receipts.bad_signatures,
        "noop_tasks": count,
        "worker_cpu_ms_per_referral": round(cpu_ms, 2),
        "worker_cpu_ms_per_noop": round(noop_cpu_ms, 2),
        "worker_busy_share_of_a_core": round(busy, 2),
        "worker_threads_waiting_for_cpu_seconds": round(drain.waiting_seconds, 2),
        "foreign_workers_on_the_broker": strangers,
        "redis_database_kept": owned,
        "baseline": "no-op Celery task, same broker, same worker and pool, same run",
        "queued_as": "one message per report (its delivery ids), fanned out by the worker",
        "measured_as": (
            "queued with no delivery worker running, drained by a freshly started one; "
            "from its first message taken to the queue (waiting and unacknowledged) empty"
        ),
    }
    return [
        Figure(
            name="referral_burst_drain",
            value=rate,
            unit="referrals/s",
            baseline=noop_rate,
            goal=f">= {BURST_DRAIN_GOAL:g}/s, {RECEIVER_DELAY_MS} ms receiver, none lost",
            met=sound and rate >= BURST_DRAIN_GOAL,
            detail=detail,
        ),
        Figure(
            name="referral_burst_lost",
            value=lost + duplicated,
            unit="referrals",
            baseline=None,
            goal="0 lost or sent twice",
            met=sound,
            detail=detail,
        ),
    ]


def _surge(
    bench: Bench, sizes: Sizes, receiver: Receiver, driver: Driver, common: dict[str, Any]
) -> list[Figure]:
    receiver.reset(delay_ms=RECEIVER_DELAY_MS)
    mark = last_referral_id(bench.stack)
    steady = SURGE_STEADY_REPORTS_PER_SECOND
    surge = steady * SURGE_FACTOR
    log(
        f"  surge: {steady:g} reports/s for {sizes.steady_seconds:g} s, "
        f"then {surge:g} reports/s for {sizes.surge_seconds:g} s"
    )
    submitted = Submissions()
    driver.run([(steady, sizes.steady_seconds), (surge, sizes.surge_seconds)], submitted)
    ended = time.time()
    created = referrals_since(bench.stack, mark)
    expected_referrals = REFERRALS_PER_REPORT * len(submitted.accepted)
    stored = referrals_of(bench.stack, submitted.accepted)
    receipts = wait_delivered(receiver, set(created), timeout=sizes.drain_timeout_seconds)
    arrivals = receipts.first_arrival()
    lost, duplicated = exactly_once(receipts, set(created))
    # Referrals an accepted report should have made and that never existed are lost too.
    missing_rows = max(0, expected_referrals - stored)
    last_arrival = max((arrivals[pk] for pk in created if pk in arrivals), default=ended)
    drain_seconds = max(0.0, last_arrival - ended)
    errors = sum(submitted.errors.values())
    lost_total = lost + missing_rows
    log(
        f"  surge: {submitted.sent} requests, {errors} errors, {lost_total} referrals lost, "
        f"{duplicated} duplicated, drained {drain_seconds:.1f} s after the surge"
    )
    detail = {
        **common,
        "steady_reports_per_second": steady,
        "surge_reports_per_second": surge,
        "steady_seconds": sizes.steady_seconds,
        "surge_seconds": sizes.surge_seconds,
        "requests": submitted.sent,
        "accepted": len(submitted.accepted),
        "errors": dict(submitted.errors),
        "requests_sent_late": submitted.late_starts,
        "submit_p50_ms": round(percentile(submitted.latencies_ms, 0.5), 1),
        "submit_p95_ms": round(percentile(submitted.latencies_ms, 0.95), 1),
        "submit_max_ms": round(max(submitted.latencies_ms, default=float("nan")), 1),
        "referrals": len(created),
        "referrals_expected": expected_referrals,
        "lost": lost_total,
        "duplicated": duplicated,
        "bad_signatures": receipts.bad_signatures,
        "drain_seconds_after_surge": round(drain_seconds, 2),
        "rate_limits": (
            "raised on the bench server (THROTTLE_REPORT_CREATE=1000000/s, the API's "
            "only limit): the surge comes from many clients, not one address"
        ),
    }
    drained = lost == 0 and len(arrivals) >= len(created)
    return [
        Figure(
            name="surge_errors",
            value=errors,
            unit="responses",
            baseline=None,
            goal=f"0 at {SURGE_FACTOR}x the steady rate",
            met=errors == 0,
            detail=detail,
        ),
        Figure(
            name="surge_lost_referrals",
            value=lost_total + duplicated,
            unit="referrals",
            baseline=None,
            goal="0 lost or sent twice",
            met=lost_total == 0 and duplicated == 0,
            detail=detail,
        ),
        Figure(
            name="surge_drain",
            value=drain_seconds,
            unit="s",
            baseline=None,
            goal="the queue drains after the surge",
            met=drained,
            detail=detail,
        ),
    ]


@figure("referrals")
def referrals(bench: Bench) -> list[Figure]:
    """Issue 4's referral latency and burst drain, and issue 8's surge."""
    sizes = SIZES[bench.mode.name]
    server = bench.server
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    receiver = Receiver(bench, secret)
    workers: Workers | None = None
    driver: Driver | None = None
    try:
        where = channels_point_at(bench.stack, f"{receiver.url}/hook", secret)
        workers = Workers(bench)
        strangers = workers.strangers()
        if strangers:
            raise SystemExit(
                f"workers the bench did not start use its broker ({strangers}): another "
                "bench run on the same BENCH_REDIS_URL would take or purge this run's messages"
            )
        driver = Driver(server.url)
        common = {
            "server": server.describe(),
            "delivery_worker": (
                f"celery --pool=threads --concurrency={DELIVERY_CONCURRENCY} "
                f"--prefetch-multiplier={DELIVERY_PREFETCH_MULTIPLIER}"
            ),
            "receiver": f"bench/receiver.py, {RECEIVER_DELAY_MS} ms per call, signatures verified",
            "channels": f"{where} pointed at the receiver",
            "earlier_messages_purged": workers.purged,
            "pinning": bench.cpus.describe() + "; workers with the server, receiver with the load",
        }
        with pinned_to(bench.cpus.load):
            figures = _latency(bench, sizes, receiver, driver, common)
            figures += _burst(bench, sizes, receiver, workers, driver, common)
            figures += _surge(bench, sizes, receiver, driver, common)
        return figures
    finally:
        if driver is not None:
            driver.close()
        if workers is not None:
            workers.close()
        bench.stack.processes.stop(receiver.process)
