"""How referrals and cases are anonymised when their time is up or on an
erasure request, and what they hold about a person for an access request.
Named in settings (RETENTION_HANDLERS, SUBJECT_DATA_COLLECTORS,
SUBJECT_ERASERS); the privacy app imports none of this.

What goes is what could identify anyone or tell their story: a decline
reason, an advocate's name from a provider's system, a crime reference,
case notes, the needs notes, safety plans and action descriptions. What
stays is what the referral and outcome figures (and the grants' monitoring)
count: the recipient, dates, outcomes, risk levels, the needs ticked, the
contact attempts' method and outcome, and the outcome measures.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from privacy.models import RecordKind
from privacy.selectors import held_object_ids
from privacy.services import Subject
from referrals.case_models import (
    Case,
    CaseAction,
    CaseNote,
    NeedsAssessment,
    PoliceResponse,
    SafetyPlan,
)
from referrals.models import Referral, ReferralEvent
from reports.retention import reports_matching

# Keys of a referral event's parameters that say something about the person.
_IDENTIFYING_EVENT_KEYS = ("decline_reason", "crime_reference")


def _ints(values: Iterable[str]) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _held_reports() -> tuple[list[int], set[str]]:
    """Reports under a hold, by id and by reference (either may be given)."""
    held = held_object_ids(RecordKind.REPORT)
    return _ints(held), {h.strip().upper() for h in held}


def referrals_anonymise(referrals: QuerySet[Referral]) -> list[str]:
    ids = list(referrals.filter(anonymised_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        return []
    Referral.objects.filter(pk__in=ids).update(
        decline_reason="", advocate_name="", anonymised_at=timezone.now()
    )
    PoliceResponse.objects.filter(referral_id__in=ids).update(crime_reference="")
    events = ReferralEvent.objects.filter(referral_id__in=ids).filter(
        _any_key(_IDENTIFYING_EVENT_KEYS)
    )
    for event in events:
        for key in _IDENTIFYING_EVENT_KEYS:
            event.data.pop(key, None)
        event.save(update_fields=["data"])
    return [str(i) for i in ids]


def _any_key(keys: Iterable[str]) -> Q:
    match = Q(pk__in=[])
    for key in keys:
        match |= Q(data__has_key=key)
    return match


def cases_anonymise(cases: QuerySet[Case]) -> list[str]:
    ids = list(cases.filter(anonymised_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        return []
    NeedsAssessment.objects.filter(case_id__in=ids).update(notes="")
    SafetyPlan.objects.filter(case_id__in=ids).update(plan="")
    CaseAction.objects.filter(case_id__in=ids).update(description="")
    CaseNote.objects.filter(case_id__in=ids).delete()
    Case.objects.filter(pk__in=ids).update(anonymised_at=timezone.now())
    return [str(i) for i in ids]


def referral_retention_apply(
    *, cutoff: datetime.datetime, held_ids: set[str], action: str
) -> list[str]:
    """Anonymise referrals made before ``cutoff``, except those held, those
    of a held report, and those whose case is still open or held (a case's
    own period runs from its closure)."""
    report_ids, references = _held_reports()
    held_cases = held_object_ids(RecordKind.CASE)
    due = (
        Referral.objects.filter(created_at__lt=cutoff)
        .exclude(pk__in=_ints(held_ids))
        .exclude(report_id__in=report_ids)
        .exclude(report__reference__in=references)
        .exclude(Q(case__isnull=False) & ~Q(case__status=Case.Status.CLOSED))
        .exclude(case__pk__in=_ints(held_cases))
        .exclude(case__reference__in={h.upper() for h in held_cases})
    )
    return referrals_anonymise(due)


def case_retention_apply(
    *, cutoff: datetime.datetime, held_ids: set[str], action: str
) -> list[str]:
    """Anonymise cases closed before ``cutoff``, except those held (by id or
    reference), those whose referral is held, and those of a held report."""
    report_ids, references = _held_reports()
    due = (
        Case.objects.filter(status=Case.Status.CLOSED, closed_at__lt=cutoff)
        .exclude(pk__in=_ints(held_ids))
        .exclude(reference__in={h.strip().upper() for h in held_ids})
        .exclude(referral_id__in=_ints(held_object_ids(RecordKind.REFERRAL)))
        .exclude(referral__report_id__in=report_ids)
        .exclude(reference__in=references)
    )
    return cases_anonymise(due)


# --- Subject rights -------------------------------------------------------------


def _referral_record(referral: Referral) -> dict[str, Any]:
    response = getattr(referral, "police_response", None)
    return {
        "id": referral.pk,
        "report_reference": referral.report.reference,
        "sent_to": referral.recipient_name,
        "kind": referral.get_kind_display(),
        "why": referral.reason,
        "made_at": referral.created_at.isoformat(),
        "delivery": referral.get_delivery_status_display(),
        "delivered_at": referral.delivered_at.isoformat() if referral.delivered_at else None,
        "outcome": referral.get_outcome_display(),
        "decline_reason": referral.decline_reason,
        "crime_reference": response.crime_reference if response else "",
        "police_outcome": response.get_outcome_display() if response else "",
        "events": [
            {"at": event.at.isoformat(), "what": event.get_kind_display(), **event.data}
            for event in referral.events.all()
        ],
    }


def _case_record(case: Case) -> dict[str, Any]:
    def rows(records: Iterable[Any], *fields: str) -> list[dict[str, Any]]:
        return [
            {"recorded_at": r.recorded_at.isoformat(), **{f: getattr(r, f) for f in fields}}
            for r in records
        ]

    needs = [
        {"recorded_at": n.recorded_at.isoformat(), "needs": n.needs, "notes": n.notes}
        for n in case.needsassessments.all()
    ]
    return {
        "reference": case.reference,
        "provider": case.provider.name,
        "status": case.get_status_display(),
        "risk": case.get_risk_level_display(),
        "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "closure_reason": case.get_closure_reason_display(),
        "contact_attempts": [
            {
                "recorded_at": a.recorded_at.isoformat(),
                "method": a.get_method_display(),
                "outcome": a.get_outcome_display(),
            }
            for a in case.contactattempts.all()
        ],
        "needs_assessments": needs,
        "risk_assessments": [
            {
                "recorded_at": r.recorded_at.isoformat(),
                "level": r.get_level_display(),
                "reasons": r.reasons,
            }
            for r in case.riskassessments.all()
        ],
        "safety_plans": rows(case.safetyplans.all(), "plan", "review_by"),
        "actions": rows(case.caseactions.all(), "description", "due_on", "done_at"),
        "notes": rows(case.casenotes.all(), "text"),
        "outcome_measures": rows(
            case.outcomemeasures.all(),
            "stage",
            "feeling_safer",
            "health_wellbeing",
            "coping_everyday",
            "informed",
            "confidence_justice",
        ),
        "events": [
            {"at": event.at.isoformat(), "what": event.get_kind_display()}
            for event in case.events.all()
        ],
    }


def referral_subject_data(*, subject: Subject) -> dict[str, list[dict[str, Any]]]:
    report_ids = reports_matching(subject).values("pk")
    referrals = (
        Referral.objects.filter(report_id__in=report_ids)
        .select_related("report", "service__provider", "police_force", "police_response")
        .prefetch_related("events")
        .order_by("created_at", "id")
    )
    cases = (
        Case.objects.filter(referral__report_id__in=report_ids)
        .select_related("provider")
        .prefetch_related(
            "contactattempts",
            "needsassessments",
            "riskassessments",
            "safetyplans",
            "caseactions",
            "casenotes",
            "outcomemeasures",
            "events",
        )
        .order_by("opened_at", "id")
    )
    return {
        "Referrals": [_referral_record(r) for r in referrals],
        "Cases": [_case_record(c) for c in cases],
    }


def referral_subject_erase(*, subject: Subject, keep_ids: dict[str, list[str]]) -> dict[str, int]:
    """Anonymise the subject's referrals and cases, except those kept.

    Runs before reports' eraser (settings.SUBJECT_ERASERS is in order): the
    reports are matched by contact details that erasure removes.
    """
    report_ids = (
        reports_matching(subject).exclude(pk__in=_ints(keep_ids.get("report", []))).values("pk")
    )
    referrals = Referral.objects.filter(report_id__in=report_ids).exclude(
        pk__in=_ints(keep_ids.get("referral", []))
    )
    cases = Case.objects.filter(referral__report_id__in=report_ids).exclude(
        pk__in=_ints(keep_ids.get("case", []))
    )
    return {
        "case": len(cases_anonymise(cases)),
        "referral": len(referrals_anonymise(referrals)),
    }
