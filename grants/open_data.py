"""Grants as open data in the 360Giving Data Standard (version 1.4), JSON and CSV.

Only grants whose decision is published (Part 1 not deferred, not
confidential) and that have what the standard requires (an amount awarded,
an award date) are exported; the others are listed as skipped with the
reason, so nothing is left out silently. Nothing about any victim is in a
grant record.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.utils.text import slugify

from grants.models import Grant, Payment

VERSION = "1.4"
CSV_COLUMNS = [
    ("Identifier", ("id",)),
    ("Title", ("title",)),
    ("Description", ("description",)),
    ("Currency", ("currency",)),
    ("Amount Awarded", ("amountAwarded",)),
    ("Amount Disbursed", ("amountDisbursed",)),
    ("Award Date", ("awardDate",)),
    ("Planned Dates:Start Date", ("plannedDates", 0, "startDate")),
    ("Planned Dates:End Date", ("plannedDates", 0, "endDate")),
    ("Recipient Org:Identifier", ("recipientOrganization", 0, "id")),
    ("Recipient Org:Name", ("recipientOrganization", 0, "name")),
    ("Funding Org:Identifier", ("fundingOrganization", 0, "id")),
    ("Funding Org:Name", ("fundingOrganization", 0, "name")),
    ("Grant Programme:Code", ("grantProgramme", 0, "code")),
    ("Grant Programme:Title", ("grantProgramme", 0, "title")),
    ("Last Modified", ("dateModified",)),
]


@dataclass(frozen=True)
class Skipped:
    grant: Grant
    reason: str


def _number(value: Decimal) -> int | float:
    """A JSON number: whole pounds as integers, pence as two-decimal floats."""
    return int(value) if value == value.to_integral_value() else float(value)


def _why_not_publishable(grant: Grant, today: dt.date) -> str:
    decision = grant.decision
    if grant.status in (Grant.Status.PROPOSED, Grant.Status.WITHDRAWN):
        return "not awarded"
    if decision is None:
        return "no decision recorded"
    if not decision.is_public_on(today):
        return f"decision {decision.reference} is not published"
    if grant.amount_awarded is None:
        return "amount not published"
    if decision.decided_on is None or decision.decided_on_precision != "day":
        return f"decision {decision.reference} has no exact date"
    return ""


def grant_360giving(grant: Grant) -> dict[str, Any]:
    prefix = settings.GRANTS_360GIVING_PREFIX
    decision = grant.decision
    if decision is None or decision.decided_on is None or grant.amount_awarded is None:
        raise ValueError(
            f"{grant.reference} cannot be published: {_why_not_publishable(grant, dt.date.max)}"
        )
    payments = list(grant.payments.all())
    record: dict[str, Any] = {
        "id": f"{prefix}-{grant.reference}",
        "title": grant.title,
        "description": grant.description or grant.title,
        "currency": "GBP",
        "amountAwarded": _number(grant.amount_awarded),
        "awardDate": decision.decided_on.isoformat(),
        "recipientOrganization": [
            {"id": f"{prefix}-org-{grant.provider.slug}", "name": grant.provider.name}
        ],
        "fundingOrganization": [
            {
                "id": decision.funder_identifier or f"{prefix}-org-{slugify(decision.body)}",
                "name": decision.body,
            }
        ],
        "grantProgramme": [{"code": decision.reference, "title": decision.title}],
        "dateModified": grant.updated_at.isoformat(),
    }
    if grant.start_date and grant.end_date:
        record["plannedDates"] = [
            {"startDate": grant.start_date.isoformat(), "endDate": grant.end_date.isoformat()}
        ]
    if grant.provider.website:
        record["recipientOrganization"][0]["url"] = grant.provider.website
    if payments:
        record["amountDisbursed"] = _number(sum((p.amount for p in payments), Decimal(0)))
        record["disbursementTransaction"] = [
            {
                "id": f"{prefix}-{grant.reference}-payment-{p.pk}",
                "transactionDate": p.paid_on.isoformat(),
                "currency": "GBP",
                "value": _number(p.amount),
            }
            for p in payments
        ]
    return record


def package_360giving(*, today: dt.date, now: dt.datetime) -> tuple[dict[str, Any], list[Skipped]]:
    grants = (
        Grant.objects.with_related()
        .prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("paid_on")))
        .order_by("reference")
    )
    records, skipped = [], []
    for grant in grants:
        reason = _why_not_publishable(grant, today)
        if reason:
            skipped.append(Skipped(grant, reason))
        else:
            records.append(grant_360giving(grant))
    package = {
        "version": VERSION,
        "title": f"Grants published by {settings.GRANTS_360GIVING_PUBLISHER}",
        "publisher": {"name": settings.GRANTS_360GIVING_PUBLISHER},
        "modified": now.isoformat(),
        "grants": records,
    }
    return package, skipped


def package_json(package: dict[str, Any]) -> str:
    return json.dumps(package, indent=2, ensure_ascii=False)


def _get(record: dict[str, Any], path: tuple[str | int, ...]) -> object:
    value: Any = record
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return ""
    return value


def package_csv_rows(package: dict[str, Any]) -> tuple[list[str], list[list[object]]]:
    """The flat CSV layout of 360Giving's spreadsheet template (one row a grant)."""
    columns = [title for title, _path in CSV_COLUMNS]
    rows = [[_get(record, path) for _title, path in CSV_COLUMNS] for record in package["grants"]]
    return columns, rows
