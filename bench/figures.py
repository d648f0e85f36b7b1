"""The figures the issues ask for: one registered function per group.

Each group measures against a baseline taken in the same run, on the same
server, so the ratio means something even on a busy or small machine. Later
issues add their groups here (or in a module bench/run.py imports) with
``@figure("name")``.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from bench.harness import Bench, Figure, Target, figure
from bench.views import CREATE_TABLE

# Issue 2's goals for POST /api/v1/reports/ beside the bare one-INSERT view.
SUBMIT_THROUGHPUT_GOAL = 0.3  # at least this share of the bare view's req/s
SUBMIT_P95_GOAL = 3.0  # p95 at most this multiple of the bare view's


def report_body() -> dict[str, Any]:
    """A complete, valid report as a phone app would send it (tests' VALID_REPORT)."""
    last_week = datetime.datetime.now(tz=datetime.UTC).date() - datetime.timedelta(days=7)
    return {
        "who": {"reporter_role": "victim", "anonymous": False},
        "what": {
            "incident_types": ["verbal-abuse", "threats"],
            "account": "Two men shouted abuse at me at the bus stop and said they would hurt me.",
            "when_kind": "date",
            "occurred_on": last_week.isoformat(),
            "time_of_day": "evening",
            "still_happening": "no",
        },
        "where": {
            "location_kind": "street",
            "area": "E09000022",
            "location_description": "Bus stop on Brixton Road",
            "postcode": "SW9 8EQ",
        },
        "why": {"strands": ["race", "religion"], "motivation_evidence": "They used racist words."},
        "people": {
            "perpetrator_description": "Two men in their twenties",
            "perpetrator_known": "no",
            "happened_before": "yes",
        },
        "support": {
            "wants_support": True,
            "wants_police_told": True,
            "consent_share_with_police": True,
            "consent_share_with_support": True,
            "contact_name": "Amara Okafor",
            "contact_methods": ["email", "phone"],
            "contact_email": "amara.okafor@example.org",
            "contact_phone": "07700 900123",
            "safe_contact_times": "Weekdays after 6pm",
            "safe_to_leave_message": False,
            "preferred_language": "English",
        },
    }


@figure("report_submit")
def report_submit(bench: Bench) -> list[Figure]:
    """Issue 2: POST /api/v1/reports/ beside a bare Django view doing one INSERT."""
    bench.stack.sql(CREATE_TABLE)
    body = json.dumps(report_body()).encode()
    bare = Target("bare insert", "/bench/bare-insert/", body)
    submit = Target("report submit", "/api/v1/reports/", body)
    measured = bench.compare(bare, submit)
    base, real = measured[bare.label], measured[submit.label]

    # Every answered request must have been stored: a figure with errors or
    # missing rows is not a figure.
    (stored_reports,) = bench.stack.sql("SELECT count(*) FROM reports_report")[0]
    (stored_bare,) = bench.stack.sql("SELECT count(*) FROM bench_bare_insert")[0]
    sound = (
        base.errors == 0
        and real.errors == 0
        and stored_reports >= real.requests
        and stored_bare >= base.requests
    )
    common = {
        "connections": bench.load.connections,
        "round_seconds": bench.mode.round_seconds,
        "rounds": bench.mode.rounds,
        "server": bench.server.describe(),
        "pinning": bench.cpus.describe(),
        "reports_stored": stored_reports,
        "baseline_rows_stored": stored_bare,
    }
    throughput_ratio = real.rps / base.rps if base.rps else 0.0
    p95_ratio = real.p95_ms / base.p95_ms if base.p95_ms else float("inf")
    return [
        Figure(
            name="report_submit_throughput",
            value=real.rps,
            unit="req/s",
            baseline=base.rps,
            goal=f">= {SUBMIT_THROUGHPUT_GOAL} x bare INSERT view",
            met=sound and throughput_ratio >= SUBMIT_THROUGHPUT_GOAL,
            detail={**common, "submit": real.detail(), "baseline": base.detail()},
        ),
        Figure(
            name="report_submit_p95",
            value=real.p95_ms,
            unit="ms",
            baseline=base.p95_ms,
            goal=f"<= {SUBMIT_P95_GOAL:g} x bare INSERT view",
            met=sound and p95_ratio <= SUBMIT_P95_GOAL,
            detail={**common, "submit": real.detail(), "baseline": base.detail()},
        ),
    ]
