"""Reads of evidence, and who may see which item (the one access rule).

``evidence_visible_to(user)`` feeds the serving view, the evidence admin
and the evidence shown on staff pages. Evidence sits below the apps that
know who a report was referred to (reports, referrals), so those apps
register *report scopes* here (``register_report_scope``): a function that,
for a member of staff, names the reports whose evidence they may see and
whether they may have the originals. This app never imports them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import BooleanField, Prefetch, Q, QuerySet, Value, When
from django.db.models import Case as CaseWhen

from audit.roles import Role, roles_of
from evidence.models import CustodyEvent, Derivative, EvidenceItem, EvidenceItemQuerySet, Upload

ORIGINAL = "original"
# Derivatives are re-encoded by us from decoded pixels, with EXIF and GPS
# gone: what support services (and anyone without a claim on the original)
# may see.
DERIVED_VERSIONS = frozenset(Derivative.Version.values)
ALL_VERSIONS = frozenset({ORIGINAL, *DERIVED_VERSIONS})

# (report ids as a values("...") queryset, whether the originals are allowed)
ReportScope = tuple[QuerySet[Any], bool]
ReportScopeSource = Callable[[Any], Iterable[ReportScope]]

_report_scopes: dict[str, ReportScopeSource] = {}


def register_report_scope(name: str, source: ReportScopeSource) -> None:
    """Let a higher app say whose evidence a member of staff may see (wired
    in its AppConfig.ready; registering the same name again replaces it)."""
    _report_scopes[name] = source


def _any(conditions: list[Q]) -> Q:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


def evidence_visible_to(user: User | AnonymousUser) -> EvidenceItemQuerySet:
    """Items attached to a report this member of staff may see, annotated
    with ``original_allowed``.

    - triage officers and system administrators: every report's evidence,
      originals included;
    - police liaison: evidence of reports referred to their force with the
      victim's consent (registered by referrals), originals with their hash;
    - provider managers and advocates: evidence of the reports referred to
      their provider that they may open (registered by referrals), as the
      location-stripped derivatives only;
    - reporting centre workers: the derivatives of the reports they entered;
    - anyone else (a commissioning officer, a staff account with no role): none.

    Quarantined and rejected items are listed (staff see why) but never
    served: only ``clean`` items have bytes to send.
    """
    if not (user.is_active and getattr(user, "is_staff", False)):
        return EvidenceItem.objects.none()
    roles = roles_of(user)
    attached = EvidenceItem.objects.filter(report__isnull=False)
    if roles & {Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR}:
        return attached.annotate(original_allowed=Value(True, output_field=BooleanField()))
    full: list[Q] = []
    derived: list[Q] = []
    if Role.REPORTING_CENTRE_WORKER in roles:
        derived.append(Q(report__created_by=user))
    for source in _report_scopes.values():
        for report_ids, originals in source(user):
            (full if originals else derived).append(Q(report_id__in=report_ids))
    if not (full or derived):
        return EvidenceItem.objects.none()
    allowed = (
        CaseWhen(
            When(_any(full), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
        if full
        else Value(False, output_field=BooleanField())
    )
    return attached.filter(_any(full + derived)).annotate(original_allowed=allowed)


def evidence_versions(item: EvidenceItem) -> frozenset[str]:
    """The versions of an item (from ``evidence_visible_to``) its viewer may have."""
    return ALL_VERSIONS if getattr(item, "original_allowed", False) else DERIVED_VERSIONS


def evidence_for_report(*, user: User | AnonymousUser, report_id: int) -> list[EvidenceItem]:
    """A report's evidence as this viewer may see it, the video or audio
    statement first, with derivatives and the chain of custody: three
    queries whatever the number of items."""
    return list(
        evidence_visible_to(user)
        .filter(report_id=report_id)
        .order_by("-is_statement", "created_at", "pk")
        .prefetch_related(
            "derivatives",
            Prefetch(
                "custody",
                queryset=CustodyEvent.objects.select_related("acting_user").order_by("at", "id"),
            ),
        )
    )


def evidence_for_owner(owner: str) -> EvidenceItemQuerySet:
    return EvidenceItem.objects.owned_by(owner).unclaimed().order_by("created_at")


def upload_for_owner(owner: str, upload_id: uuid.UUID) -> Upload | None:
    """The owner's upload, or None: someone else's upload looks like no upload."""
    return Upload.objects.filter(owner=owner, pk=upload_id).first()
