"""How reports are anonymised when their time is up, what they hold about a
person for an access request, and how they are erased on request. Named in
settings (RETENTION_HANDLERS, SUBJECT_DATA_COLLECTORS, SUBJECT_ERASERS)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from evidence.retention import (
    evidence_erase,
    evidence_of_reports,
    evidence_subject_data,
    parse_uuids,
)
from privacy.fields import EncryptedTextField
from privacy.services import Subject
from reports.models import AdditionalInformation, Report

# Everything that could identify the reporter, the victim or anyone else.
IDENTIFYING_FIELDS = [
    f.name for f in Report._meta.concrete_fields if isinstance(f, EncryptedTextField)
] + [
    "organisation_name",
    "contact_email_index",
    "contact_phone_index",
]


def _anonymise(reports: QuerySet[Report]) -> list[str]:
    ids = list(reports.filter(anonymised_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        return []
    AdditionalInformation.objects.filter(report_id__in=ids).delete()
    Report.objects.filter(pk__in=ids).update(
        **dict.fromkeys(IDENTIFYING_FIELDS, ""), contact_methods=[], anonymised_at=timezone.now()
    )
    return [str(i) for i in ids]


def report_retention_apply(
    *, cutoff: datetime.datetime, held_ids: set[str], action: str
) -> list[str]:
    """Anonymise reports made before ``cutoff`` that are not under a legal
    hold (given by id or by reference).

    Reports are only ever anonymised, never deleted (privacy.defaults
    ALLOWED_ACTIONS): the counts by strand, area and date are what
    commissioners and the public are owed, and hold nothing about anyone.
    Their evidence files follow the evidence policy.
    """
    due = (
        Report.objects.filter(submitted_at__lt=cutoff)
        .exclude(pk__in=[int(i) for i in held_ids if i.isdigit()])
        .exclude(reference__in={i.strip().upper() for i in held_ids})
    )
    return _anonymise(due)


def reports_matching(subject: Subject) -> QuerySet[Report]:
    match = Q(pk__in=[])
    if subject.email_index:
        match |= Q(contact_email_index=subject.email_index)
    if subject.phone_index:
        match |= Q(contact_phone_index=subject.phone_index)
    if subject.references:
        match |= Q(reference__in=subject.references)
    return Report.objects.filter(match).with_reference_data()


def report_subject_data(*, subject: Subject) -> dict[str, list[dict[str, Any]]]:
    records = []
    matched = list(reports_matching(subject).prefetch_related("additions", "events"))
    for report in matched:
        record: dict[str, Any] = {
            "reference": report.reference,
            "submitted_at": report.submitted_at.isoformat(),
            "status": report.get_status_display(),
            "area": report.area.name,
            "strands": [s.name for s in report.strands.all()],
            "incident_types": [t.name for t in report.incident_types.all()],
        }
        for name in IDENTIFYING_FIELDS:
            if not name.endswith("_index"):
                record[name] = getattr(report, name)
        for name in (
            "when_kind",
            "occurred_on",
            "still_happening",
            "location_kind",
            "online_platform",
            "wants_support",
            "wants_police_told",
            "consent_share_with_police",
            "consent_share_with_support",
            "contact_methods",
        ):
            record[name] = getattr(report, name)
        record["additional_information"] = [
            {"added_at": a.added_at.isoformat(), "text": a.text} for a in report.additions.all()
        ]
        record["events"] = [
            {"at": event.at.isoformat(), "what": event.get_kind_display(), **event.data}
            for event in report.events.all()
        ]
        records.append(record)
    return {
        "Reports": records,
        "Evidence": evidence_subject_data(report_ids=[r.pk for r in matched]),
    }


def report_subject_erase(*, subject: Subject, keep_ids: dict[str, list[str]]) -> dict[str, int]:
    """Anonymise the subject's reports and erase their evidence files, except
    the reports and files the case worker keeps (reason recorded)."""
    kept = {int(i) for i in keep_ids.get("report", []) if str(i).isdigit()}
    reports = reports_matching(subject).exclude(pk__in=kept)
    evidence = evidence_of_reports(reports.values_list("pk", flat=True)).exclude(
        pk__in=parse_uuids(keep_ids.get("evidence", []))
    )
    erased = evidence_erase(items=evidence, reason="erasure request")
    return {"report": len(_anonymise(reports)), "evidence": len(erased)}
