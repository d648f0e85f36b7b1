"""Reactions to the reports app's signals (wired in ReferralsConfig.ready)."""

from __future__ import annotations

from typing import Any

from referrals.services import report_referrals_create, report_referrals_withdraw
from reports.models import Report


def on_report_submitted(sender: type[Report], *, report: Report, **kwargs: Any) -> None:
    report_referrals_create(
        report=report,
        strands=kwargs.get("strands"),
        incident_types=kwargs.get("incident_types"),
    )


def on_report_consent_withdrawn(sender: type[Report], *, report: Report, **kwargs: Any) -> None:
    report_referrals_withdraw(report=report)
