"""The report: who reported, what happened, where, why, and consent.

Personal details and free text are stored encrypted (privacy.fields); the
follow-up secret only as a hash. Nothing here records the reporter's IP
address or user agent.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.roles import Role, has_role
from privacy.fields import EncryptedTextField


class PoliceForce(models.Model):
    code = models.SlugField(unique=True, help_text=_("The force's identifier on police.uk"))
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    class Kind(models.TextChoices):
        LONDON_BOROUGH = "london_borough", _("London borough")
        FORCE_AREA = "force_area", _("Police force area")

    code = models.CharField(
        max_length=50, unique=True, help_text=_("ONS code, or force:<police.uk id>")
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    police_force = models.ForeignKey(PoliceForce, on_delete=models.PROTECT, related_name="areas")

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Strand(models.Model):
    """One of the five monitored strands of hate crime in England and Wales."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class IncidentType(models.Model):
    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ReporterRole(models.TextChoices):
    VICTIM = "victim", _("I am the victim")
    WITNESS = "witness", _("I saw or heard it happen (a witness)")
    ON_BEHALF_KNOWN = (
        "on_behalf_known",
        _("I am reporting for someone else, and they know I am reporting"),
    )
    ON_BEHALF_UNKNOWN = (
        "on_behalf_unknown",
        _("I am reporting for someone else, and they do not know I am reporting"),
    )
    ORGANISATION = (
        "organisation",
        _("I am reporting for an organisation, such as a reporting centre"),
    )


class WhenKind(models.TextChoices):
    DATE = "date", _("On a date I know")
    APPROXIMATE = "approximate", _("Around a date (I am not sure of the exact day)")
    PERIOD = "period", _("Over a period of time")


class TimeOfDay(models.TextChoices):
    UNKNOWN = "", _("I do not know")
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")
    NIGHT = "night", _("Night")


class YesNoUnsure(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNSURE = "unsure", _("I am not sure")


class LocationKind(models.TextChoices):
    STREET = "street", _("At a place (a street, building, transport or other place)")
    ONLINE = "online", _("Online (social media, messages, email, a website or a game)")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("Email")


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    API = "api", _("Reporting app (API)")
    ASSISTED = "assisted", _("Assisted by a reporting centre")


class ReportQuerySet(models.QuerySet["Report"]):
    def visible_to(self, user: Any) -> ReportQuerySet:
        """Reports this staff member may open (the one access rule for reports).

        Triage officers and system administrators see every report; a
        reporting centre worker sees the reports they entered. Providers and
        police reach a report only through their referrals (referrals app),
        with only the fields the victim agreed to share.
        """
        if has_role(user, Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR):
            return self.all()
        if has_role(user, Role.REPORTING_CENTRE_WORKER):
            return self.filter(created_by=user)
        return self.none()

    def with_reference_data(self) -> ReportQuerySet:
        return self.select_related("area", "area__police_force").prefetch_related(
            "strands", "incident_types"
        )


class Report(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_REVIEW = "in_review", _("Being reviewed")
        REFERRED = "referred", _("Passed on")
        CLOSED = "closed", _("Closed")

    reference = models.CharField(max_length=20, unique=True, editable=False)
    follow_up_secret_hash = models.CharField(max_length=200, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    submitted_at = models.DateTimeField(db_index=True)
    language = models.CharField(max_length=10, default="en")

    # 1. Who is reporting
    reporter_role = models.CharField(max_length=30, choices=ReporterRole.choices)
    anonymous = models.BooleanField(default=False)
    organisation_name = models.CharField(max_length=200, blank=True)

    # 2. What happened
    incident_types = models.ManyToManyField(IncidentType, related_name="reports")
    other_incident_type = EncryptedTextField(blank=True)
    account = EncryptedTextField(blank=True)
    when_kind = models.CharField(max_length=20, choices=WhenKind.choices)
    occurred_on = models.DateField(null=True, blank=True)
    time_of_day = models.CharField(max_length=20, choices=TimeOfDay.choices, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    still_happening = models.CharField(max_length=10, choices=YesNoUnsure.choices)

    # 3. Where
    location_kind = models.CharField(max_length=10, choices=LocationKind.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="reports")
    location_description = EncryptedTextField(blank=True)
    postcode = EncryptedTextField(blank=True)
    online_platform = models.CharField(max_length=100, blank=True)
    online_link = EncryptedTextField(blank=True)
    online_username = EncryptedTextField(blank=True)

    # 4. Why (the strands)
    strands = models.ManyToManyField(Strand, related_name="reports", blank=True)
    other_motivation = EncryptedTextField(blank=True)
    motivation_evidence = EncryptedTextField(blank=True)

    # 5. The people involved
    perpetrator_description = EncryptedTextField(blank=True)
    perpetrator_known = models.CharField(max_length=10, choices=YesNoUnsure.choices)
    happened_before = models.CharField(max_length=10, choices=YesNoUnsure.choices)

    # 6. Support and consent
    wants_support = models.BooleanField(default=False)
    wants_police_told = models.BooleanField(default=False)
    consent_share_with_police = models.BooleanField(default=False)
    consent_share_with_support = models.BooleanField(default=False)
    contact_name = EncryptedTextField(blank=True)
    contact_email = EncryptedTextField(blank=True)
    contact_phone = EncryptedTextField(blank=True)
    contact_methods = models.JSONField(default=list, blank=True)
    safe_contact_times = EncryptedTextField(blank=True)
    safe_to_leave_message = models.BooleanField(default=False)
    preferred_language = models.CharField(max_length=100, blank=True)
    needs_interpreter = models.BooleanField(default=False)
    needs_bsl = models.BooleanField(default=False)
    accessibility_needs = EncryptedTextField(blank=True)
    # Keyed hashes of the normalised contact details, to spot a repeat victim
    # (indexed with the submission time: see Meta.indexes).
    contact_email_index = models.CharField(max_length=64, blank=True)
    contact_phone_index = models.CharField(max_length=64, blank=True)

    # Set when the retention job (or an erasure request) removed everything
    # that identifies anyone; the figures (strands, area, dates) remain.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The staff member who entered an assisted report"),
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["status", "-submitted_at"]),
            # A new report is linked to the latest earlier report with the
            # same contact (referrals.case_services.report_repeat_victims_link):
            # one index entry, however many reports the person made before.
            # On the hash alone, the database read every earlier report of
            # that person to find the latest, on every submission.
            models.Index(
                fields=["contact_email_index", "-submitted_at", "-id"],
                name="report_email_latest_idx",
            ),
            models.Index(
                fields=["contact_phone_index", "-submitted_at", "-id"],
                name="report_phone_latest_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class ReportEvent(models.Model):
    """One thing that happened to a report: its timeline, shown to staff."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        INFORMATION_ADDED = "information_added", _("Information added by the reporter")
        STATUS_CHANGED = "status_changed", _("Status changed")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn by the reporter")
        TRIAGED = "triaged", _("Reviewed by triage")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    at = models.DateTimeField()
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Parameters only (ids, codes, counts), never personal data.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["report", "at"])]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class AdditionalInformation(models.Model):
    """Something the reporter added after submitting, via follow-up."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="additions")
    text = EncryptedTextField()
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at"]
        verbose_name_plural = "additional information"

    def __str__(self) -> str:
        return f"{self.report_id} {self.added_at:%Y-%m-%d %H:%M}"
