"""Run the bench: ``bin/bench full`` (make bench) or ``bin/bench quick``.

Creates a dedicated PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/hatecrime_bench, dropped and recreated each
run), migrates and seeds it, generates realistic data (bench/data.py: the
mode's smaller number of reports; groups grow it to the full number as they
need), starts gunicorn on a free loopback port with ROOT_URLCONF=bench.urls,
runs every registered figure group (bench/figures.py, bench/casework.py)
with wrk as the load generator, prints one table and writes
bench/results/latest.json. The server and the load generator are pinned to
different cores where the machine has them.

Environment: BENCH_DATABASE_URL; BENCH_REDIS_URL (default
redis://127.0.0.1:6379/9, emptied at the start and end of a run);
BENCH_CONNECTIONS (8); BENCH_WORKERS (2 per server core); BENCH_THREADS (4);
BENCH_DELIVERY_PREFETCH (the delivery worker's prefetch multiplier, 4 as in
docker-compose.yml).
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
import time
from typing import Any

from bench import (  # noqa: F401 (each module registers its figure groups)
    casework,
    figures,
    referrals,
    uploads,
)
from bench.data import Dataset
from bench.harness import (
    MODES,
    REGISTRY,
    RESULTS_DIR,
    Bench,
    Cpus,
    Figure,
    Load,
    Processes,
    Stack,
    interrupt_on_termination,
    log,
    machine,
)


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(rows: list[Figure]) -> str:
    header = ("figure", "value", "unit", "baseline", "ratio", "goal", "met")
    lines = [
        (
            row.name,
            _number(row.value),
            row.unit,
            _number(row.baseline),
            _number(row.ratio),
            row.goal,
            "yes" if row.met else "NO",
        )
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    numeric = {1, 3, 4}

    def render(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if index in numeric else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *(render(line) for line in lines)])


def describe_machine(info: dict[str, Any]) -> str:
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, {info['os']}, "
        f"PostgreSQL {info.get('postgresql', '?')}, load average at start "
        f"{' '.join(str(x) for x in info['load_average_at_start'])}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=sorted(MODES), nargs="?", default="full")
    parser.add_argument(
        "--only", action="append", choices=sorted(REGISTRY), help="run only these figure groups"
    )
    options = parser.parse_args(argv)
    mode = MODES[options.mode]
    groups = options.only or list(REGISTRY)

    interrupt_on_termination()
    started = time.monotonic()
    info = machine()
    processes = Processes()
    cpus = Cpus.detect()
    stack = Stack(processes, cpus)
    rows: list[Figure] = []
    try:
        log(f"bench ({mode.name}): database {stack.database_name}")
        stack.database_create()
        stack.redis_reset()
        # Pages render {% static %} through the manifest storage (DEBUG is
        # off); collected while the database is migrated (it needs none).
        static = stack.manage_start("collectstatic", "--no-input", "-v", "0")
        stack.manage("migrate", "--no-input", "-v", "0")
        stack.manage("seed_demo")
        static.wait_checked()
        info["postgresql"] = stack.sql("SHOW server_version")[0][0]
        # Realistic data from the start (the smaller size); the groups that
        # measure at the mode's full size grow it (Dataset.ensure).
        data = Dataset(stack)
        data.ensure(mode.reports_baseline)
        load = Load(processes, cpus, stack.data_dir)
        bench = Bench(mode=mode, stack=stack, load=load, cpus=cpus, data=data)
        log(f"bench: {bench.server.describe()} at {bench.server.url}; {cpus.describe()}")
        info["server"] = bench.server.describe()
        info["pinning"] = cpus.describe()
        info["load_generator"] = load.version()
        for name in groups:
            log(f"figure group {name}")
            rows.extend(REGISTRY[name](bench))
        info["data"] = {"reports": data.reports(), "generated": data.generated}
    except KeyboardInterrupt:
        log("bench: interrupted; stopping what it started")
        return 130
    finally:
        stack.close()
        processes.close()

    elapsed = time.monotonic() - started
    result = {
        "machine": info,
        "date": datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds"),
        "mode": mode.name,
        "seconds": round(elapsed),
        "figures": {row.name: row.as_json() for row in rows},
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "latest.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS_DIR / f"{mode.name}.json").write_text(path.read_text())

    width = min(shutil.get_terminal_size((100, 20)).columns, 120)
    print()
    print("=" * width)
    print(f"Bench ({mode.name}) {result['date']}, {elapsed:.0f} s")
    print(f"Machine: {describe_machine(info)}")
    print(f"Server: {info['server']}; {info['pinning']}; load: {info['load_generator']}")
    print(f"Data: {info['data']['reports']:,} reports (bench/data.py)")
    print()
    print(table(rows))
    print()
    print(f"Written to {path.relative_to(RESULTS_DIR.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
