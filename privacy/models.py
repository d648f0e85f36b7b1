"""The privacy lifecycle: how long each kind of record is kept and why,
legal holds, the record of what was erased, and subject rights requests."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedTextField


class RecordKind(models.TextChoices):
    REPORT = "report", _("Reports")
    EVIDENCE = "evidence", _("Evidence files")
    REFERRAL = "referral", _("Referrals")
    CASE = "case", _("Cases")
    ACCESS_LOG = "access_log", _("Access log")
    SUBJECT_EXPORT = "subject_export", _("Subject access exports")


class RetentionPolicy(models.Model):
    class Action(models.TextChoices):
        ANONYMISE = "anonymise", _("Anonymise (keep the figures, remove what identifies anyone)")
        ERASE = "erase", _("Erase")

    record_kind = models.CharField(max_length=20, choices=RecordKind.choices, unique=True)
    keep_for_days = models.PositiveIntegerField(
        help_text=_("Counted from when the record was made (cases: from when they were closed).")
    )
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.ANONYMISE)
    legal_basis = models.TextField(
        help_text=_("Why we keep it this long: the lawful basis and any duty.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["record_kind"]
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"{self.get_record_kind_display()}: {self.keep_for_days} days"

    def clean(self) -> None:
        from privacy.defaults import ALLOWED_ACTIONS

        allowed = ALLOWED_ACTIONS.get(self.record_kind, set())
        if self.action not in allowed:
            raise ValidationError(
                {
                    "action": _("%(kind)s can only be: %(allowed)s.")
                    % {
                        "kind": self.get_record_kind_display(),
                        "allowed": ", ".join(str(self.Action(a).label) for a in sorted(allowed)),
                    }
                }
            )


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(lifted_at__isnull=True)


class LegalHold(models.Model):
    """A record kept past its retention date, set by a named person with a reason."""

    record_kind = models.CharField(max_length=20, choices=RecordKind.choices)
    object_id = models.CharField(max_length=64)
    reason = models.TextField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at"]
        indexes = [models.Index(fields=["record_kind", "object_id"])]

    def __str__(self) -> str:
        return f"Hold on {self.record_kind} {self.object_id}"


class RetentionRun(models.Model):
    """What one run of the retention job erased or anonymised: per record
    kind, the action, how many, how many were held back, and the ids of the
    records concerned (ids and references only, never their content)."""

    ran_at = models.DateTimeField()
    results = models.JSONField(default=dict)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"Retention run {self.ran_at:%Y-%m-%d %H:%M}"


class SubjectRequest(models.Model):
    """A person's request under UK GDPR: access (Art. 15), rectification
    (Art. 16) or erasure (Art. 17). Answered within one calendar month."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access (a copy of everything held)")
        RECTIFICATION = "rectification", _("Rectification")
        ERASURE = "erasure", _("Erasure")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received: identity not yet confirmed")
        CONFIRMED = "confirmed", _("Identity confirmed")
        EXPORTING = "exporting", _("Export being prepared")
        READY = "ready", _("Export ready")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField()
    due_by = models.DateField(help_text=_("One calendar month from receipt."))
    requester_name = EncryptedTextField()
    email = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    references = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("Report references the person gave, comma-separated."),
    )
    email_index = models.CharField(max_length=64, blank=True)
    phone_index = models.CharField(max_length=64, blank=True)
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    identity_check = models.TextField(blank=True, help_text=_("How identity was confirmed."))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exceptions = models.TextField(
        blank=True,
        help_text=_("For erasure: what is kept and why (e.g. an open police investigation)."),
    )
    export_file = models.CharField(max_length=300, blank=True)
    export_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text=_(
            "Of the last export prepared: kept after the file is deleted, as the record "
            "of what was sent."
        ),
    )
    export_ready_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_by"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request due {self.due_by:%d/%m/%Y}"
