"""Files attached to a report: uploads in transit, evidence items, custody.

An ``Upload`` is a file being sent, chunk by chunk (``UploadPart`` rows are
the chunks, each stored as its own object). When it is finished it becomes
an ``EvidenceItem`` whose original bytes are never rewritten; derivatives
(thumbnail, location-stripped copy, poster frame) are separate objects.
Evidence exists before its report, so the report is referred to by name
only ("reports.Report"): this app never imports ``reports``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    IMAGE = "image", _("Photo or screenshot")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio recording")
    DOCUMENT = "document", _("PDF document")


class Upload(models.Model):
    class Status(models.TextChoices):
        RECEIVING = "receiving", _("Receiving")
        COMPLETE = "complete", _("Complete")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # SHA-256 of the owner's token (a browser session's or an API client's):
    # only the owner may send chunks, finish, see or claim it.
    owner = models.CharField(max_length=64, db_index=True)
    filename = models.CharField(max_length=255, blank=True)
    declared_size = models.BigIntegerField(null=True, blank=True)
    offset = models.BigIntegerField(default=0)
    # The SHA-256 of the first ``offset`` bytes, as OpenSSL's saved context
    # (evidence.resumable): each chunk carries the hash on, and finishing
    # needs no second pass over the bytes. Empty before the first chunk.
    sha256_state = models.BinaryField(default=b"", editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    is_statement = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVING)
    error = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"upload {self.id}"


class UploadPart(models.Model):
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="parts")
    offset = models.BigIntegerField()
    size = models.BigIntegerField()
    storage_name = models.CharField(max_length=300)

    class Meta:
        ordering = ["offset"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "offset"], name="evidence_part_offset_unique")
        ]

    def __str__(self) -> str:
        return f"{self.upload_id}@{self.offset}"


class EvidenceItemQuerySet(models.QuerySet["EvidenceItem"]):
    def unclaimed(self) -> EvidenceItemQuerySet:
        return self.filter(report__isnull=True)

    def owned_by(self, owner: str) -> EvidenceItemQuerySet:
        return self.filter(owner=owner)

    def servable(self) -> EvidenceItemQuerySet:
        # Nothing is shown to anyone but its uploader until scanned clean.
        return self.filter(status=EvidenceItem.Status.CLEAN)


class EvidenceItem(models.Model):
    class Status(models.TextChoices):
        STAGED = "staged", _("Waiting to be checked")
        SCANNING = "scanning", _("Being checked")
        CLEAN = "clean", _("Checked")
        QUARANTINED = "quarantined", _("Quarantined (virus scanner)")
        REJECTED = "rejected", _("Rejected (damaged or unsafe file)")
        # The virus scanner would not read all of it (over clamd's size
        # limits): not known to be clean, so never served.
        UNSCANNED = "unscanned", _("Not scanned (over the virus scanner's limits)")
        ERASED = "erased", _("Erased (files deleted; the hash is kept)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.CharField(max_length=64, db_index=True)
    report = models.ForeignKey(
        "reports.Report",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    is_statement = models.BooleanField(
        default=False, help_text=_("A video or audio statement given instead of a written account")
    )
    # A display name only: never used to build a path or decide a type.
    filename = models.CharField(max_length=255, blank=True)
    storage_name = models.CharField(max_length=300, editable=False)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, help_text=_("SHA-256 of the original bytes"))
    kind = models.CharField(max_length=20, choices=Kind.choices)
    content_type = models.CharField(max_length=100)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.STAGED, db_index=True
    )
    # Why a file was quarantined or rejected, for staff (e.g. the virus name).
    status_reason = models.CharField(max_length=300, blank=True)
    # Capture time and device (EXIF), dimensions, duration and codecs (ffprobe).
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When a worker took the item for processing; a worker that dies leaves
    # it "scanning", and the sweeper puts it back after the time limit.
    scan_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Set when the files were erased (retention or an erasure request). The
    # row stays as a tombstone: SHA-256, size, kind, dates and the chain of
    # custody, so a copy produced later can still be checked against it.
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = EvidenceItemQuerySet.as_manager()

    class Meta:
        ordering = ["-is_statement", "created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id}"


class Derivative(models.Model):
    class Version(models.TextChoices):
        THUMBNAIL = "thumbnail", _("Thumbnail")
        SHAREABLE = "shareable", _("Shareable copy (location and EXIF removed)")
        POSTER = "poster", _("Poster frame")

    item = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="derivatives")
    version = models.CharField(max_length=20, choices=Version.choices)
    storage_name = models.CharField(max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="evidence_derivative_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.version}"


class CustodyEvent(models.Model):
    """One entry in an item's chain of custody: who did what, when, to which
    version, and the hash of the bytes concerned. Rows are only ever added."""

    class Action(models.TextChoices):
        RECEIVED = "received", _("Received")
        CLAIMED = "claimed", _("Attached to report")
        SCANNED_CLEAN = "scanned_clean", _("Scanned: clean")
        QUARANTINED = "quarantined", _("Quarantined")
        REJECTED = "rejected", _("Rejected")
        NOT_SCANNED = "not_scanned", _("Not scanned (over the scanner's limits)")
        DERIVED = "derived", _("Derivative made")
        VIEWED = "viewed", _("Viewed")
        DOWNLOADED = "downloaded", _("Downloaded")
        INTEGRITY_FAILED = "integrity_failed", _("Integrity check failed")
        ERASED = "erased", _("Files erased (the hash is kept)")

    item = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="custody")
    at = models.DateTimeField()
    action = models.CharField(max_length=30, choices=Action.choices)
    version = models.CharField(max_length=20, default="original")
    sha256 = models.CharField(max_length=64, blank=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["item", "at"])]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
