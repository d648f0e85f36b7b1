"""Reactions to the reports and evidence apps' signals (wired in ReferralsConfig.ready)."""

from __future__ import annotations

from typing import Any

from evidence.models import EvidenceItem
from referrals.services import (
    referral_evidence_added,
    report_referrals_create,
    report_referrals_withdraw,
)
from reports.models import Report


def on_report_submitted(sender: type[Report], *, report: Report, **kwargs: Any) -> None:
    report_referrals_create(
        report=report,
        strands=kwargs.get("strands"),
        incident_types=kwargs.get("incident_types"),
    )


def on_report_consent_withdrawn(sender: type[Report], *, report: Report, **kwargs: Any) -> None:
    report_referrals_withdraw(report=report)


def on_evidence_cleared(sender: type[EvidenceItem], *, item: EvidenceItem, **kwargs: Any) -> None:
    referral_evidence_added(item=item)
