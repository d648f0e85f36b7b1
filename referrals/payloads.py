"""What each recipient may see of a report, under the victim's consent.

Data minimisation (UK GDPR article 5(1)(c)) and special-category data
(article 9): police get the account, the location and the evidence, and
the victim's contact details only when the report is not anonymous; support
services get contact details and needs, never the account. Each payload is
built from an explicit list of fields, so a new field on the report is not
shared with anyone until it is added here on purpose.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from evidence.models import EvidenceItem
from evidence.selectors import ORIGINAL
from evidence.services import evidence_link_sign
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
    "evidence_pending",
)
# Shown on staff pages by the evidence panel (evidence.admin), not as data.
EVIDENCE_FIELDS = ("evidence", "evidence_pending")
CONTACT_FIELDS = (
    "contact_name",
    "contact_email",
    "contact_phone",
    "contact_methods",
    "safe_contact_times",
    "safe_to_leave_message",
)
NEEDS_FIELDS = ("preferred_language", "needs_interpreter", "needs_bsl", "accessibility_needs")


# The report's own columns a delivery reads: what decides which fields a
# recipient may see, the fields themselves, and its status (marked referred
# once delivered). The send loads only these (referrals.services).
REPORT_COLUMNS_READ = (
    "reference",
    "submitted_at",
    "reporter_role",
    "area",
    "status",
    "anonymous",
    "consent_share_with_police",
    "consent_share_with_support",
    *(
        name
        for name in POLICE_FIELDS + CONTACT_FIELDS + NEEDS_FIELDS
        if name not in EVIDENCE_FIELDS
    ),
)


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


def _evidence(
    report: Report, referral: Referral, *, with_links: bool, only: Any = None
) -> list[dict[str, Any]]:
    """The report's files that passed the checks, each with the SHA-256 of
    the version the recipient gets: police the original (to prove it is
    unaltered), support services the location-stripped copy of a photo
    only. ``with_links``: a signed, short-lived download link per file
    (EVIDENCE_LINK_TTL_SECONDS), checked again when used (consent).
    ``only``: the one file to list (a follow-up message), by id."""
    version = ORIGINAL if referral.kind == Referral.Kind.POLICE else "shareable"
    expires = timezone.now() + datetime.timedelta(seconds=settings.EVIDENCE_LINK_TTL_SECONDS)
    items = (
        EvidenceItem.objects.servable()
        .filter(report=report)
        .prefetch_related("derivatives")
        .order_by("-is_statement", "created_at", "pk")
    )
    if only is not None:
        items = items.filter(pk=only)
    files: list[dict[str, Any]] = []
    for item in items:
        if version == ORIGINAL:
            content_type, size, sha256 = item.content_type, item.size, item.sha256
        else:
            copy = next((d for d in item.derivatives.all() if d.version == version), None)
            if copy is None:
                continue
            content_type, size, sha256 = copy.content_type, copy.size, copy.sha256
        entry: dict[str, Any] = {
            "id": str(item.pk),
            "kind": item.kind,
            "statement": item.is_statement,
            "version": version,
            "content_type": content_type,
            "size": size,
            "sha256": sha256,
        }
        if with_links:
            token = evidence_link_sign(
                item_id=item.pk, version=version, grant=f"referral:{referral.pk}"
            )
            entry["url"] = settings.SITE_URL.rstrip("/") + reverse(
                "referrals:evidence_link", args=[token]
            )
            entry["url_expires_at"] = expires.isoformat()
        files.append(entry)
    return files


def _value(report: Report, referral: Referral, name: str, *, with_links: bool = False) -> Any:
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
            return _evidence(report, referral, with_links=with_links)
        case "evidence_pending":
            # Files still being checked: never sent until scanned clean; the
            # force sees them on the staff site once they are.
            return EvidenceItem.objects.filter(
                report=report,
                status__in=[EvidenceItem.Status.STAGED, EvidenceItem.Status.SCANNING],
            ).count()
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
    if delivery.kind == Delivery.Kind.EVIDENCE_ADDED:
        # A file checked clean after the police referral went: its link and
        # hash, and how many are still being checked; nothing else.
        return {
            "type": "referral.evidence_added",
            "data": {
                "referral_id": referral.pk,
                "evidence": _evidence(
                    report, referral, with_links=True, only=delivery.evidence_item_id
                ),
                "evidence_pending": _value(report, referral, "evidence_pending"),
            },
        }
    return {
        "type": "referral.created",
        "data": referral_data(referral=referral, with_links=True),
    }


def referral_data(*, referral: Referral, with_links: bool = False) -> dict[str, Any]:
    """The report as this referral's recipient may see it, under consent now.

    ``with_links``: evidence entries carry signed download links (the
    webhook payload); staff pages show evidence through the authorised
    view instead.
    """
    report = referral.report
    return {
        name: _value(report, referral, name, with_links=with_links)
        for name in allowed_fields(referral=referral, report=report)
    }
