"""Issue 5's caseload list and issue 6's commissioning pages, over generated data.

Every request is a real staff request: the bench's own advocate, provider
manager and commissioning officer sign in through the staff login form with
a password and a TOTP code (bench/data.py), and wrk sends their session
cookie. Each page's query count is taken once through Django's test client
with the same session (every query of the request, middleware included).

- caseload: the case list in the staff site (referrals/case_admin.py
  CaseAdmin) at the mode's smaller data size, then again after the data has
  grown to the mode's full size: the larger no more than 2x the smaller, and
  under 300 ms. Measured for an advocate (their own cases) and a provider
  manager (the whole provider's).
- commissioning: the portfolio overview and the aggregate picture of reports
  (grants/views.py) over the full data, under 500 ms at p95. The aggregate
  picture is counted ahead of visitors by a periodic task
  (grants.tasks.insights_refresh_task) and read from the cache; the detail
  gives the task's time and one request's with nothing cached.
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
from typing import Any

from bench.data import COMMISSIONER, MEASURED_ADVOCATE, MEASURED_MANAGER, Dataset
from bench.harness import Bench, Figure, Measurement, Mode, figure, log

CASE_LIST = "/staff/referrals/case/"
OVERVIEW = "/commissioning/"
INSIGHTS = "/commissioning/insights/"
CASELOAD_P95_MS = 300.0
CASELOAD_GROWTH = 2.0
DASHBOARD_P95_MS = 500.0
# A few people using the staff site at once, not a flood: these figures are
# a page's latency, not the server's capacity.
PAGE_CONNECTIONS = 2


def _data(bench: Bench) -> Dataset:
    """The generated data, and the static files the staff pages link to (with
    DEBUG off the pages need collectstatic's manifest; made once per run)."""
    if bench.data is None:
        raise SystemExit("the caseload and commissioning figures need the generated data")
    if not (bench.stack.data_dir / "static" / "staticfiles.json").exists():
        bench.stack.manage("collectstatic", "--no-input", "-v", "0")
    return bench.data


def fetch(bench: Bench, path: str, cookie: str) -> tuple[int, float, int]:
    """One GET, not following redirects (a redirect to the login page is a
    failure, not a fast page): status, milliseconds, bytes."""
    url = urllib.parse.urlparse(bench.server.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=120)
    started = time.monotonic()
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return response.status, (time.monotonic() - started) * 1000, len(body)


def page_round_seconds(mode: Mode) -> int:
    """Pages are measured in rounds half as long as the POST targets' (each
    viewer and size is a target of its own; 3 s at least)."""
    return max(3, mode.round_seconds // 2)


def measure_page(bench: Bench, label: str, path: str, cookie: str) -> Measurement:
    """Warm up, then ``rounds`` rounds of GETs; stops the bench if the page
    does not answer 200 to this session before or after."""
    status, _ms, _size = fetch(bench, path, cookie)
    if status != 200:
        raise SystemExit(f"{label}: GET {path} answered {status}, expected 200")
    mode = bench.mode
    seconds = page_round_seconds(mode)
    headers = {"Cookie": cookie}
    url = bench.server.url + path
    log(f"  warm-up {label} ({min(3, mode.warmup_seconds)} s)")
    bench.load.get(url, min(3, mode.warmup_seconds), headers=headers, connections=PAGE_CONNECTIONS)
    measured = Measurement()
    for index in range(mode.rounds):
        result = bench.load.get(url, seconds, headers=headers, connections=PAGE_CONNECTIONS)
        measured.rounds.append(result)
        log(
            f"  round {index + 1}/{mode.rounds} {label}: {result.rps:.1f} req/s, "
            f"p95 {result.p95_ms:.1f} ms" + (f", {result.errors} errors" if result.errors else "")
        )
    status, _ms, _size = fetch(bench, path, cookie)
    if status != 200:
        raise SystemExit(f"{label}: GET {path} answered {status} after the load, expected 200")
    return measured


def _common(bench: Bench) -> dict[str, Any]:
    return {
        "connections": PAGE_CONNECTIONS,
        "round_seconds": page_round_seconds(bench.mode),
        "rounds": bench.mode.rounds,
        "server": bench.server.describe(),
        "pinning": bench.cpus.describe(),
    }


@figure("caseload")
def caseload(bench: Bench) -> list[Figure]:
    """Issue 5: the caseload list at the smaller data size and at the full size."""
    data = _data(bench)
    small, large = bench.mode.reports_baseline, bench.mode.reports
    data.ensure(small)
    cookies = data.sign_in()
    viewers = {
        "advocate": (MEASURED_ADVOCATE, "caseload_list_p95"),
        "provider manager": (MEASURED_MANAGER, "caseload_manager_list_p95"),
    }
    found: dict[str, dict[int, tuple[Measurement, dict[str, Any], int]]] = {
        who: {} for who in viewers
    }
    for size in (small, large):
        data.ensure(size)
        reports = data.reports()
        for who, (username, _name) in viewers.items():
            cookie = cookies[username]
            queries = data.queries(cookie, CASE_LIST)
            (cases,) = bench.stack.sql(
                "SELECT count(*) FROM referrals_case c "
                "JOIN referrals_staffmembership m ON m.provider_id = c.provider_id "
                "JOIN auth_user u ON u.id = m.user_id "
                "WHERE u.username = %s AND (%s OR c.advocate_id = u.id)",
                [username, who == "provider manager"],
            )[0]
            measured = measure_page(
                bench, f"{who} caseload, {reports:,} reports", CASE_LIST, cookie
            )
            found[who][size] = (measured, queries, int(cases))

    figures = []
    for who, (_username, name) in viewers.items():
        base, base_queries, base_cases = found[who][small]
        real, real_queries, real_cases = found[who][large]
        ratio = real.p95_ms / base.p95_ms if base.p95_ms else float("inf")
        sound = base.errors == 0 and real.errors == 0
        same_queries = base_queries["queries"] == real_queries["queries"]
        figures.append(
            Figure(
                name=name,
                value=real.p95_ms,
                unit="ms",
                baseline=base.p95_ms,
                goal=f"<= {CASELOAD_GROWTH:g}x at {small:,} reports, < {CASELOAD_P95_MS:g} ms",
                met=sound and ratio <= CASELOAD_GROWTH and real.p95_ms < CASELOAD_P95_MS,
                detail={
                    **_common(bench),
                    "page": CASE_LIST,
                    "viewer": f"{who} ({_username})",
                    "baseline_reports": small,
                    "reports": large,
                    "baseline_cases_visible": base_cases,
                    "cases_visible": real_cases,
                    "baseline_queries": base_queries["queries"],
                    "queries": real_queries["queries"],
                    "queries_constant": same_queries,
                    "measured": real.detail(),
                    "baseline": base.detail(),
                },
            )
        )
    return figures


@figure("commissioning")
def commissioning(bench: Bench) -> list[Figure]:
    """Issue 6: the portfolio overview and the aggregate picture over the full data."""
    import redis

    data = _data(bench)
    data.ensure(bench.mode.reports)
    reports = data.reports()
    cookie = data.sign_in()[COMMISSIONER]
    figures = []
    pages = [
        ("commissioning_overview_p95", "portfolio overview", OVERVIEW),
        ("commissioning_insights_p95", "aggregate picture", INSIGHTS),
    ]
    for name, label, path in pages:
        # The queries with nothing cached, and the time that first request
        # takes (in process): what the first visitor after the cache expires
        # waits for. Counting it at 1,000,000 reports takes seconds, so it is
        # done once per page.
        client = redis.Redis.from_url(bench.stack.redis_url)
        for key in client.scan_iter(match="*grants:*"):
            client.delete(key)
        queries = data.queries(cookie, path)
        if queries["status"] != 200:
            raise SystemExit(f"{label}: GET {path} answered {queries['status']}, expected 200")
        # In service the beat schedule counts the picture ahead of visitors.
        refresh = data.insights_refresh()
        measured = measure_page(bench, f"{label}, {reports:,} reports", path, cookie)
        figures.append(
            Figure(
                name=name,
                value=measured.p95_ms,
                unit="ms",
                baseline=None,
                goal=f"< {DASHBOARD_P95_MS:g} ms at {reports:,} reports",
                met=measured.errors == 0 and measured.p95_ms < DASHBOARD_P95_MS,
                detail={
                    **_common(bench),
                    "page": path,
                    "reports": reports,
                    "bytes": queries["bytes"],
                    "cold_ms_in_process": queries["first_ms"],
                    "refresh_task_seconds": refresh["seconds"],
                    "queries": queries["queries"],
                    "queries_cold": queries["queries_first"],
                    "measured": measured.detail(),
                },
            )
        )
    return figures
