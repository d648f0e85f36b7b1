"""The referral funnel and time to first contact, by strand.

Casework is built through the real services at chosen times (reports
submitted and delivered, referrals accepted, contact recorded, cases
closed); each figure on the page is then counted here in Python from the
rows, independently of the SQL in grants.selectors.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.roles import Role
from grants import selectors
from referrals.case_models import Case
from referrals.case_services import case_close, case_contact_record, membership_add
from referrals.deadlines import LONDON
from referrals.models import Provider, Referral
from referrals.services import referral_accept
from referrals.tests.casework import delivered_report, report_data, support_referral
from reports.models import Report
from tests.staff import make_staff

pytestmark = pytest.mark.django_db

# Hours after the report at which each race victim is first reached.
RACE_HOURS = [1, 3, 20, 26, 30, 170, 200, 250, 300, 400]


def at(moment: dt.datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def _report(when: dt.datetime, strands: list[str], index: int, **support: Any) -> Report:
    data = report_data(
        strands=strands,
        contact_methods=["email"],
        contact_phone="",
        contact_email=f"victim{index}@example.org",
        **support,
    )
    data["what"]["occurred_on"] = when.date().isoformat()
    with at(when):
        return delivered_report(data)


def _staff(name: str, provider: str) -> User:
    user = make_staff(name, Role.ADVOCATE)
    membership_add(user=user, provider=Provider.objects.get(slug=provider), acting_user=None)
    return user


@pytest.fixture
def casework(reference_data: None) -> None:
    """In 2024/25: 14 race reports (CST), 3 disability (Galop), 5 without support."""
    ada, bea = _staff("ada", "cst"), _staff("bea", "galop")
    start = dt.datetime(2024, 5, 6, 9, tzinfo=LONDON)  # a Monday
    for index in range(14):
        submitted = start + dt.timedelta(days=index)
        referral = support_referral(_report(submitted, ["race"], index))
        if index >= 12:
            continue  # referred and delivered, never accepted
        with at(submitted + dt.timedelta(minutes=30)):
            referral_accept(referral=referral, advocate=ada, acting_user=ada)
        case = Case.objects.get(referral=referral)
        if index >= len(RACE_HOURS):
            continue  # accepted, never reached
        with at(submitted + dt.timedelta(hours=RACE_HOURS[index])):
            case_contact_record(case=case, acting_user=ada, method="phone", outcome="no_answer")
            case_contact_record(case=case, acting_user=ada, method="phone", outcome="contact_made")
        if index < 6:
            with at(submitted + dt.timedelta(days=30)):
                case_close(case=case, acting_user=ada, reason="support_completed")
    for index in range(3):
        submitted = start + dt.timedelta(days=index, hours=2)
        referral = support_referral(_report(submitted, ["disability"], 100 + index))
        with at(submitted + dt.timedelta(hours=1)):
            referral_accept(referral=referral, advocate=bea, acting_user=bea)
            case = Case.objects.get(referral=referral)
            case_contact_record(case=case, acting_user=bea, method="email", outcome="contact_made")
    for index in range(5):
        _report(start, ["race"], 200 + index, wants_support=False)
    # Another financial year: not in 2024/25's figures.
    _report(dt.datetime(2024, 3, 29, 12, tzinfo=LONDON), ["race"], 300)


def _row(table: selectors.Table, name: str) -> list[object]:
    return next(row for row in table.rows if row[0] == name)


def _cells(row: list[object]) -> list[str]:
    return [str(cell) for cell in row]


def _share(part: int, total: int) -> str:
    return f"{round(100 * part / total)}%"


def test_the_funnel_equals_the_counts_from_casework(casework: None) -> None:
    table = selectors.referral_funnel(financial_year=2024)
    reports = Report.objects.filter(
        submitted_at__gte=dt.datetime(2024, 4, 1, tzinfo=LONDON),
        submitted_at__lt=dt.datetime(2025, 4, 1, tzinfo=LONDON),
    )
    race = reports.filter(strands__code="race")
    support = Referral.objects.filter(kind="support", report__in=race)
    expected = [
        race.count(),
        support.count(),
        support.filter(delivery_status="delivered").count(),
        Case.objects.filter(referral__in=support).count(),
        support.filter(first_contact_at__isnull=False).count(),
        Case.objects.filter(referral__in=support, closed_at__isnull=False).count(),
    ]
    assert expected == [19, 14, 14, 12, 10, 6]
    n = expected[0]
    assert _cells(_row(table, "Race or ethnicity")) == [
        "Race or ethnicity",
        "19",
        *(cell for count in expected[1:] for cell in (str(count), _share(count, n))),
    ]
    # All strands: 22 reports, 17 referred (the rest, 5, is not small).
    overall = _row(table, selectors.ALL_STRANDS)
    assert reports.count() == 22
    assert _cells(overall)[:6] == [
        selectors.ALL_STRANDS,
        "22",
        "17",
        _share(17, 22),
        "17",
        _share(17, 22),
    ]
    # Disability: 3 reports, every stage 1 to 4: all hidden.
    assert _cells(_row(table, "Disability")) == ["Disability", "<5", *(["<5", ""] * 5)]
    # Strands with no reports show zero, which discloses nobody.
    assert _cells(_row(table, "Religion or belief"))[:4] == ["Religion or belief", "0", "0", ""]


def test_time_to_first_contact_equals_the_times_from_casework(casework: None) -> None:
    with CaptureQueriesContext(connection) as captured:
        table = selectors.time_to_first_contact(financial_year=2024, strand_names={})
    assert len(captured.captured_queries) == 1
    assert "PERCENTILE_CONT" in captured.captured_queries[0]["sql"]
    table = selectors.time_to_first_contact(financial_year=2024)
    race = Referral.objects.filter(
        kind="support", report__strands__code="race", case__isnull=False
    ).filter(report__submitted_at__gte=dt.datetime(2024, 4, 1, tzinfo=LONDON))
    # (created, first contact or None, deadline) of each accepted race referral.
    rows = [(r.created_at, r.first_contact_at, r.contact_by) for r in race]
    reached = [(made, first, by) for made, first, by in rows if first is not None]
    hours = [(first - made).total_seconds() / 3600 for made, first, _by in reached]
    assert sorted(round(h, 6) for h in hours) == RACE_HOURS
    now = timezone.now()
    due = [row for row in rows if row[1] is not None or (row[2] is not None and row[2] < now)]
    in_time = [row for row in reached if row[2] is not None and row[1] <= row[2]]
    assert (len(reached), len(due)) == (10, 12)
    assert 0 < len(in_time) < len(reached)
    # percentile_cont interpolates as the "inclusive" method does.
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[8]
    assert (len(in_time), len(due) - len(in_time)) == (5, 7)
    assert _cells(_row(table, "Race or ethnicity")) == [
        "Race or ethnicity",
        "10",
        f"{statistics.median(hours):,.1f}",
        f"{p90:,.1f}",
        "12",
        str(len(in_time)),
        _share(len(in_time), 12),
    ]
    # Three disability victims reached: fewer than 5, so no times.
    assert _cells(_row(table, "Disability")) == ["Disability", "<5", "", "", "<5", "<5", ""]
    overall = _row(table, selectors.ALL_STRANDS)
    every = sorted([*hours, 1.0, 1.0, 1.0])
    assert _cells(overall)[:4] == [
        selectors.ALL_STRANDS,
        "13",
        f"{statistics.median(every):,.1f}",
        _hours_p90(every),
    ]


def _hours_p90(values: list[float]) -> str:
    return f"{statistics.quantiles(values, n=10, method='inclusive')[8]:,.1f}"


def test_the_officer_sees_both_tables_charts_and_csv(
    casework: None, officer_client: Client
) -> None:
    html = officer_client.get("/commissioning/insights/?year=2024").content.decode()
    assert "Still to come" not in html
    for key in ("funnel", "first-contact"):
        assert f'<table class="table" id="{key}">' in html
        assert f'aria-labelledby="{key}-chart-title"' in html
        assert f"?year=2024&amp;csv={key}" in html
    body = officer_client.get("/commissioning/insights/?year=2024&csv=funnel").content.decode()
    assert body.splitlines()[0].startswith("Strand,Reports,Referred to support,Share of reports")
    assert "Disability,<5,<5,,<5," in body
    body = officer_client.get(
        "/commissioning/insights/?year=2024&csv=first-contact"
    ).content.decode()
    assert "Disability,<5,,,<5,<5," in body
