"""What each recipient may see of a report, under the victim's consent.

Data minimisation (UK GDPR article 5(1)(c)) and special-category data
(article 9): police get the account, the location and the evidence, and
the victim's contact details only when the report is not anonymous; support
services get contact details and needs, never the account. Each payload is
built from an explicit list of fields, so a new field on the report is not
shared with anyone until it is added here on purpose.
"""

from __future__ import annotations

from typing import Any

from referrals.models import Delivery, Referral
from reports.models import Report

COMMON_FIELDS = (
    "referral_id",
    "reference",
    "recipient_kind",
    "submitted_at",
    "deliver_by",
    "risk_level",
    "reporter_role",
    "strands",
    "incident_types",
    "area",
    "police_force",
)
POLICE_FIELDS = (
    "account",
    "other_incident_type",
    "when_kind",
    "occurred_on",
    "time_of_day",
    "period_start",
    "period_end",
    "still_happening",
    "location_kind",
    "location_description",
    "postcode",
    "online_platform",
    "online_link",
    "online_username",
    "other_motivation",
    "motivation_evidence",
    "perpetrator_description",
    "perpetrator_known",
    "happened_before",
    "evidence",
)
CONTACT_FIELDS = (
    "contact_name",
    "contact_email",
    "contact_phone",
    "contact_methods",
    "safe_contact_times",
    "safe_to_leave_message",
)
NEEDS_FIELDS = ("preferred_language", "needs_interpreter", "needs_bsl", "accessibility_needs")


def allowed_fields(*, referral: Referral, report: Report) -> tuple[str, ...]:
    """The data fields this recipient may receive, given the consent now."""
    fields: tuple[str, ...] = COMMON_FIELDS
    if referral.kind == Referral.Kind.POLICE:
        if not report.consent_share_with_police:
            return ()
        fields += POLICE_FIELDS
        if not report.anonymous:
            fields += CONTACT_FIELDS + NEEDS_FIELDS
    else:
        if not report.consent_share_with_support:
            return ()
        fields += NEEDS_FIELDS
        if not report.anonymous:
            fields += CONTACT_FIELDS
    return fields


def _value(report: Report, referral: Referral, name: str) -> Any:
    match name:
        case "referral_id":
            return referral.pk
        case "reference":
            return report.reference
        case "recipient_kind":
            return referral.kind
        case "submitted_at":
            return report.submitted_at.isoformat()
        case "deliver_by":
            return referral.deliver_by.isoformat()
        case "risk_level":
            return referral.risk_level
        case "strands":
            return sorted(strand.code for strand in report.strands.all())
        case "incident_types":
            return sorted(kind.code for kind in report.incident_types.all())
        case "area":
            return {"code": report.area.code, "name": report.area.name}
        case "police_force":
            force = report.area.police_force
            return {"code": force.code, "name": force.name}
        case "evidence":
            # Evidence links with their hashes arrive with the evidence app;
            # until then there is nothing to link.
            return []
    value = getattr(report, name)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def referral_payload(*, delivery: Delivery) -> dict[str, Any]:
    """The body of a delivery: the referral's data, or a withdrawal notice."""
    referral = delivery.referral
    report = referral.report
    if delivery.kind == Delivery.Kind.WITHDRAWN:
        return {
            "type": "referral.withdrawn",
            "data": {
                "referral_id": referral.pk,
                "reference": report.reference,
                "instruction": "The victim has withdrawn consent: stop using and delete the "
                "details you were sent for this referral.",
            },
        }
    return {"type": "referral.created", "data": referral_data(referral=referral)}


def referral_data(*, referral: Referral) -> dict[str, Any]:
    """The report as this referral's recipient may see it, under consent now."""
    report = referral.report
    return {
        name: _value(report, referral, name)
        for name in allowed_fields(referral=referral, report=report)
    }
