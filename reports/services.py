"""Writes to reports. ``report_submit`` is the one way a report is saved."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from evidence.services import evidence_claim
from privacy.crypto import blind_index
from reports import secrets
from reports.journey import Answers
from reports.models import AdditionalInformation, Area, Channel, Report, ReportEvent, Strand
from reports.signals import report_consent_withdrawn, report_submitted

logger = logging.getLogger(__name__)

_REPORT_FIELDS = {
    "who": ("reporter_role", "anonymous", "organisation_name"),
    "what": (
        "other_incident_type",
        "account",
        "when_kind",
        "occurred_on",
        "time_of_day",
        "period_start",
        "period_end",
        "still_happening",
    ),
    "where": (
        "location_kind",
        "area",
        "location_description",
        "postcode",
        "online_platform",
        "online_link",
        "online_username",
    ),
    "why": ("other_motivation", "motivation_evidence"),
    "people": ("perpetrator_description", "perpetrator_known", "happened_before"),
    "support": (
        "wants_support",
        "wants_police_told",
        "consent_share_with_police",
        "consent_share_with_support",
        "contact_name",
        "contact_methods",
        "contact_email",
        "contact_phone",
        "safe_contact_times",
        "safe_to_leave_message",
        "preferred_language",
        "needs_interpreter",
        "needs_bsl",
        "accessibility_needs",
    ),
}


@dataclass(frozen=True)
class Submission:
    report: Report
    # Shown to the reporter once and never stored: only its hash is kept.
    follow_up_secret: str


def report_submit(
    *,
    answers: Answers,
    channel: str = Channel.WEB,
    language: str = "en",
    acting_user: User | None = None,
    evidence_owner: str | None = None,
    evidence_ids: Sequence[uuid.UUID] | None = None,
    statement_id: uuid.UUID | None = None,
) -> Submission:
    """Save a validated report and everything it implies, in one transaction.

    ``answers`` are the cleaned answers of every page (reports.journey.validate).
    ``evidence_owner`` is the owner key of the staged uploads (the browser
    session's or the API client's); with ``evidence_ids`` None every file
    that owner staged is claimed, otherwise just those listed. Claiming is
    part of the transaction: a file that cannot be claimed (someone else's,
    or too many) raises evidence.services.EvidenceError and nothing is saved.
    """
    secret = secrets.new_follow_up_secret()
    fields: dict[str, Any] = {
        name: answers[step][name] for step, names in _REPORT_FIELDS.items() for name in names
    }
    fields["contact_email_index"] = blind_index("email", fields["contact_email"])
    fields["contact_phone_index"] = blind_index("phone", fields["contact_phone"])
    now = timezone.now()
    for _attempt in range(5):
        reference = secrets.new_reference()
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    reference=reference,
                    follow_up_secret_hash=secrets.hash_follow_up_secret(secret),
                    channel=channel,
                    language=language,
                    submitted_at=now,
                    created_by=acting_user if channel == Channel.ASSISTED else None,
                    **fields,
                )
                # A new report has no links yet: add, without reading them first.
                incident_types = list(answers["what"]["incident_types"])
                strands = list(answers["why"]["strands"])
                report.incident_types.add(*incident_types)
                report.strands.add(*strands)
                if evidence_owner:
                    evidence_claim(
                        report=report,
                        owner=evidence_owner,
                        evidence_ids=evidence_ids,
                        statement_id=statement_id,
                    )
                ReportEvent.objects.create(
                    report=report,
                    kind=ReportEvent.Kind.SUBMITTED,
                    at=now,
                    acting_user=acting_user,
                    data={"channel": channel},
                )
                report_submitted.send(
                    sender=Report, report=report, strands=strands, incident_types=incident_types
                )
        except IntegrityError:
            # A reference collision (40 random bits) rolls back everything;
            # try again with another reference. Anything else is a real error.
            if Report.objects.filter(reference=reference).exists():
                continue
            raise
        logger.info("report %s submitted", reference)
        return Submission(report=report, follow_up_secret=secret)
    raise RuntimeError("could not allocate a unique reference")


def report_add_information(*, report: Report, text: str) -> AdditionalInformation:
    """The reporter adds something after submitting (via follow-up)."""
    now = timezone.now()
    with transaction.atomic():
        addition = AdditionalInformation.objects.create(report=report, text=text, added_at=now)
        ReportEvent.objects.create(
            report=report,
            kind=ReportEvent.Kind.INFORMATION_ADDED,
            at=now,
            data={"addition_id": addition.pk},
        )
    return addition


def report_consent_withdraw(*, report: Report, police: bool, support: bool) -> Report:
    """The reporter withdraws consent to share with the police and/or support
    services. Other apps react (via the signal) in the same transaction."""
    now = timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        changed = []
        if police and report.consent_share_with_police:
            report.consent_share_with_police = False
            changed.append("consent_share_with_police")
        if support and report.consent_share_with_support:
            report.consent_share_with_support = False
            changed.append("consent_share_with_support")
        if not changed:
            return report
        report.save(update_fields=changed)
        ReportEvent.objects.create(
            report=report,
            kind=ReportEvent.Kind.CONSENT_WITHDRAWN,
            at=now,
            data={"withdrawn": changed},
        )
        report_consent_withdrawn.send(sender=Report, report=report)
    logger.info("report %s consent withdrawn", report.reference)
    return report


def report_mark_referred(*, report: Report) -> None:
    """The report has reached someone it was sent to: "passed on" for the
    reporter. Only a report nobody has moved on yet changes."""
    now = timezone.now()
    # No savepoint: nothing here is caught and retried, so inside a caller's
    # transaction (a delivery recorded) it simply joins it.
    with transaction.atomic(savepoint=False):
        if Report.objects.filter(pk=report.pk, status=Report.Status.RECEIVED).update(
            status=Report.Status.REFERRED
        ):
            ReportEvent.objects.create(
                report=report,
                kind=ReportEvent.Kind.STATUS_CHANGED,
                at=now,
                data={"from": Report.Status.RECEIVED, "to": Report.Status.REFERRED},
            )


def report_add_evidence(
    *, report: Report, evidence_owner: str, evidence_ids: Sequence[uuid.UUID]
) -> int:
    """The reporter adds files after submitting (follow-up or the API)."""
    now = timezone.now()
    with transaction.atomic():
        items = evidence_claim(report=report, owner=evidence_owner, evidence_ids=evidence_ids)
        ReportEvent.objects.create(
            report=report,
            kind=ReportEvent.Kind.INFORMATION_ADDED,
            at=now,
            data={"evidence_ids": [str(item.pk) for item in items]},
        )
    return len(items)


class FollowUpLocked(Exception):
    """Too many wrong secrets for this reference or from this client."""


def _failures_key(kind: str, value: str) -> str:
    # Hashed: the value is whatever a client typed, and cache keys must stay
    # short and plain whatever it was.
    return f"follow-up-failures:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def report_follow_up_authenticate(*, reference: str, secret: str, client: str) -> Report | None:
    """The report for a reference and follow-up secret, or None.

    The answer is the same whether the reference does not exist or the secret
    is wrong, and takes the same time. Failures are counted per reference and
    per client; past the limits every attempt is refused (FollowUpLocked) for
    the lockout period, even with the right secret, so guessing is hopeless.
    """
    reference = secrets.normalise_reference(reference) or reference.strip().upper()[:40]
    keys = {
        _failures_key("reference", reference): settings.FOLLOW_UP_MAX_FAILURES_PER_REFERENCE,
        _failures_key("client", client): settings.FOLLOW_UP_MAX_FAILURES_PER_CLIENT,
    }
    counts = cache.get_many(list(keys))
    if any(counts.get(key, 0) >= limit for key, limit in keys.items()):
        raise FollowUpLocked
    report = Report.objects.filter(reference=reference).first()
    if (
        secrets.check_follow_up_secret(secret, report.follow_up_secret_hash if report else None)
        and report
    ):
        return report
    for key in keys:
        # add() then incr() so the lockout window starts at the first failure.
        cache.add(key, 0, timeout=settings.FOLLOW_UP_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.FOLLOW_UP_LOCKOUT_SECONDS)
    return None


def report_triage(
    *,
    report: Report,
    acting_user: User,
    status: str,
    strands: list[Strand],
    area: Area,
    reason: str,
) -> Report:
    """A triage officer confirms or corrects a report's strands, area and status.

    What changed (codes only) and why is kept as an event on the report.
    """
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        before = {
            "status": report.status,
            "strands": sorted(report.strands.values_list("code", flat=True)),
            "area": report.area.code,
        }
        after = {"status": status, "strands": sorted(s.code for s in strands), "area": area.code}
        changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
        if not changes:
            return report
        report.status = status
        report.area = area
        report.save(update_fields=["status", "area"])
        report.strands.set(strands)
        ReportEvent.objects.create(
            report=report,
            kind=ReportEvent.Kind.TRIAGED,
            at=timezone.now(),
            acting_user=acting_user,
            data={"changes": changes, "reason": reason},
        )
    return report
