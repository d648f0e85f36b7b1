"""Reads of evidence."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AnonymousUser, User

from evidence.models import EvidenceItem, EvidenceItemQuerySet, Upload


def evidence_visible_to(user: User | AnonymousUser) -> EvidenceItemQuerySet:
    """Items a staff member may see. Only scanned-clean items are served; the
    admin list shows quarantined and rejected ones (without their bytes) so
    staff can see why."""
    if not (user.is_active and getattr(user, "is_staff", False)):
        return EvidenceItem.objects.none()
    if not user.has_perm("evidence.view_evidenceitem"):
        return EvidenceItem.objects.none()
    return EvidenceItem.objects.all()


def evidence_for_owner(owner: str) -> EvidenceItemQuerySet:
    return EvidenceItem.objects.owned_by(owner).unclaimed().order_by("created_at")


def upload_for_owner(owner: str, upload_id: uuid.UUID) -> Upload | None:
    """The owner's upload, or None: someone else's upload looks like no upload."""
    return Upload.objects.filter(owner=owner, pk=upload_id).first()
