"""Where a report goes: the directory of providers, their services and the
police forces' delivery channels, the routing rules, and the referrals with
their deliveries (the outbox that Celery drains).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.utils.translation import gettext_lazy as _

from evidence.models import EvidenceItem
from privacy.fields import EncryptedTextField
from reports.models import Area, PoliceForce, Report, Strand


class DeliveryMethod(models.TextChoices):
    WEBHOOK = "webhook", _("Signed webhook (Standard Webhooks)")
    EMAIL = "email", _("Email notification (no victim details; a link to the staff site)")


class DeliveryChannel(models.Model):
    """How referrals reach a recipient: a signed webhook or an email notice."""

    delivery_method = models.CharField(
        max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.EMAIL
    )
    webhook_url = models.URLField(blank=True, max_length=500)
    # Standard Webhooks secret ("whsec_" + base64 of at least 24 random bytes),
    # shared with the recipient; encrypted at rest like victim data.
    webhook_secret = EncryptedTextField(blank=True)
    notification_email = models.EmailField(
        blank=True, help_text=_("Where the 'a referral is waiting' notice is sent.")
    )

    class Meta:
        abstract = True

    @property
    def has_channel(self) -> bool:
        if self.delivery_method == DeliveryMethod.WEBHOOK:
            return bool(self.webhook_url and self.webhook_secret)
        return bool(self.notification_email)


class Provider(DeliveryChannel):
    """An organisation that supports victims (a charity, a council team)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(unique=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    manager_email = models.EmailField(
        blank=True, help_text=_("The provider manager, who receives the daily overdue digest.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceQuerySet(models.QuerySet["Service"]):
    def listed(self) -> ServiceQuerySet:
        return self.filter(listed=True).select_related("provider").prefetch_related("strands")

    def for_strands_and_area(
        self, *, strands: list[Strand] | None, area: Area | None
    ) -> ServiceQuerySet:
        """Services that fit any of the strands (or all strands) and the area
        (or everywhere in England and Wales), specialists first."""
        services = self
        if strands:
            services = services.filter(models.Q(all_strands=True) | models.Q(strands__in=strands))
        if area is not None:
            services = services.filter(models.Q(national=True) | models.Q(areas=area))
        return services.distinct().order_by("all_strands", "national", "provider__name", "name")


class Capacity(models.TextChoices):
    OPEN = "open", _("Open to referrals")
    FULL = "full", _("Full: referrals go to the next service")
    PAUSED = "paused", _("Paused")


class Service(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=200)
    summary = models.TextField(help_text=_("What the service offers, in plain words."))
    strands = models.ManyToManyField(Strand, blank=True, related_name="services")
    all_strands = models.BooleanField(
        default=False,
        help_text=_("Supports victims of every kind of hate crime (a universal service)."),
    )
    areas = models.ManyToManyField(Area, blank=True, related_name="services")
    national = models.BooleanField(default=False, help_text=_("Serves all of England and Wales."))
    phone = models.CharField(max_length=50, blank=True)
    text_relay = models.CharField(
        max_length=50, blank=True, help_text=_("Relay UK or textphone number")
    )
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    opening_hours = models.CharField(max_length=200, blank=True)
    languages = models.CharField(max_length=300, blank=True)
    listed = models.BooleanField(
        default=True, help_text=_("Shown in the public support directory.")
    )
    accepts_referrals = models.BooleanField(
        default=True, help_text=_("Takes referrals through this service (not only self-referral).")
    )
    capacity = models.CharField(max_length=10, choices=Capacity.choices, default=Capacity.OPEN)
    covers_needs = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Needs the service can meet: interpreter, bsl, accessibility."),
    )
    # Contact-within deadlines, in working days from delivery, by risk level.
    contact_within_days_standard = models.PositiveSmallIntegerField(default=5)
    contact_within_days_high = models.PositiveSmallIntegerField(default=1)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["provider__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "name"], name="service_unique_name_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider.name}: {self.name}"


class PoliceForceChannel(DeliveryChannel):
    """How a police force receives the reports victims agreed to send it."""

    police_force = models.OneToOneField(
        PoliceForce, on_delete=models.CASCADE, related_name="referral_channel"
    )

    class Meta:
        ordering = ["police_force__name"]

    def __str__(self) -> str:
        return str(self.police_force)


class Need(models.TextChoices):
    ANY = "", _("Any")
    SUPPORT = "support", _("The victim asked for support")
    INTERPRETER = "interpreter", _("Needs an interpreter")
    BSL = "bsl", _("Needs British Sign Language")
    ACCESSIBILITY = "accessibility", _("Has accessibility needs")


class RoutingRule(models.Model):
    """strand x area x need -> service. Blank strand, area or need match any.

    Matching rules are tried by priority (lowest number first); a service
    that is full, paused or has no delivery channel is skipped, and the
    directory's fallbacks (specialists, then universal services covering the
    area) follow the rules.
    """

    strand = models.ForeignKey(Strand, null=True, blank=True, on_delete=models.CASCADE)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.CASCADE)
    need = models.CharField(max_length=20, choices=Need.choices, blank=True)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="routing_rules")
    priority = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"{self.strand or 'any strand'} x {self.area or 'any area'} -> {self.service}"


class RiskLevel(models.TextChoices):
    STANDARD = "standard", _("Standard")
    HIGH = "high", _("High")


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: User | AnonymousUser) -> ReferralQuerySet:
        """What a member of staff may see: triage sees every referral; a
        provider's staff their provider's (an advocate: the unassigned ones
        and their own), a police liaison their force's, once delivered;
        anyone else nothing. The rule is in case_models.referrals_visible_to."""
        return referrals_visible_to(self, user)

    def for_provider(self, provider: Provider) -> ReferralQuerySet:
        """The referrals a provider may see: delivered to one of its services."""
        return self.filter(service__provider=provider).exclude(
            delivery_status__in=[Referral.DeliveryStatus.PENDING, Referral.DeliveryStatus.CANCELLED]
        )


class Referral(models.Model):
    """A report sent to one recipient: a support service or a police force.

    Written by report_submit's transaction; the row is the outbox entry, and
    (report, recipient) is unique, so a recipient never gets a report twice.
    """

    class Kind(models.TextChoices):
        POLICE = "police", _("Police")
        SUPPORT = "support", _("Support service")

    class DeliveryStatus(models.TextChoices):
        PENDING = "pending", _("Waiting to be delivered")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Delivery failed: staff must act")
        CANCELLED = "cancelled", _("Cancelled before delivery (consent withdrawn)")

    class Outcome(models.TextChoices):
        NONE = "", _("No reply yet")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="referrals")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    police_force = models.ForeignKey(
        PoliceForce, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    reason = models.TextField(help_text=_("Why it was routed here, in plain words."))
    risk_level = models.CharField(
        max_length=10, choices=RiskLevel.choices, default=RiskLevel.STANDARD
    )
    created_at = models.DateTimeField()
    deliver_by = models.DateTimeField(
        help_text=_("2 working days from submission (Victims' Code, right 4).")
    )
    delivery_status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    contact_by = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=15, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_referrals",
    )
    advocate_name = models.CharField(
        max_length=200, blank=True, help_text=_("Set by the provider API; never shown to victims.")
    )
    # Set when the retention job (or an erasure request) removed what could
    # identify anyone; the recipient, dates and outcome stay for the figures.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        permissions = [("view_all_referrals", "Can see every referral (triage)")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="police", police_force__isnull=False, service__isnull=True)
                    | models.Q(kind="support", service__isnull=False, police_force__isnull=True)
                ),
                name="referral_one_recipient",
            ),
            models.UniqueConstraint(
                fields=["report", "service"],
                condition=models.Q(service__isnull=False),
                name="referral_unique_report_service",
            ),
            models.UniqueConstraint(
                fields=["report", "police_force"],
                condition=models.Q(police_force__isnull=False),
                name="referral_unique_report_police_force",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} -> {self.recipient_name}"

    @property
    def recipient_name(self) -> str:
        if self.service_id is not None and self.service is not None:
            return self.service.provider.name
        return str(self.police_force)

    @property
    def channel(self) -> DeliveryChannel | None:
        if self.service is not None:
            return self.service.provider
        if self.police_force_id is not None:
            # By the force's id (one-to-one): no join, and the force itself
            # need not be loaded.
            channels = PoliceForceChannel.objects.filter(police_force_id=self.police_force_id)
            return channels.order_by("pk").first()
        return None


class Delivery(models.Model):
    """One message to a referral's recipient (the referral itself, a
    withdrawal notice, or a file of evidence checked clean after the police
    referral went), with its own idempotency key: ``message_id`` is the
    Standard Webhooks ``webhook-id``, the same on every retry."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("The referral")
        WITHDRAWN = "withdrawn", _("Consent withdrawn notice")
        EVIDENCE_ADDED = "evidence", _("Evidence added after delivery")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    message_id = models.CharField(max_length=50, unique=True, editable=False)
    # EVIDENCE_ADDED: the file it announces (one message per file and referral).
    evidence_item = models.ForeignKey(
        EvidenceItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    attempt_count = models.PositiveSmallIntegerField(default=0)
    # The claim: a worker owns the delivery until this time (longer than a
    # send can take); a killed worker's claim simply expires.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When the sweeper may re-queue it (after a retry's longest backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "kind"],
                condition=~models.Q(kind="evidence"),
                name="delivery_unique_kind",
            ),
            models.UniqueConstraint(
                fields=["referral", "evidence_item"],
                condition=models.Q(kind="evidence"),
                name="delivery_unique_evidence_item",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.message_id

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.message_id:
            self.message_id = self.new_message_id()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def new_message_id() -> str:
        return f"msg_{uuid.uuid4().hex}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField()
    succeeded = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    # The kind of failure (timeout, connection refused, HTTP 500); never a body.
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


class ReferralEvent(models.Model):
    """One thing that happened to a referral: its audit trail."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        DELIVERED = "delivered", _("Delivered")
        DELIVERY_FAILED = "delivery_failed", _("Delivery failed; raised to staff")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")
        REQUEUED = "requeued", _("Re-queued by staff")
        EVIDENCE_ADDED = "evidence_added", _("Evidence checked clean after delivery")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acting_provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Parameters only (ids, codes, reasons), never the victim's details.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind}"


class ProviderApiToken(models.Model):
    """A provider's key to the provider API; only its SHA-256 is stored."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text=_("What it is for, e.g. 'case system'."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField()
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["provider__name", "name"]

    def __str__(self) -> str:
        return f"{self.provider}: {self.name}"


class StaffMembership(models.Model):
    """The organisation a member of staff works for: a provider (advocates,
    provider managers) or a police force (police liaison)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referrals_membership"
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="staff"
    )
    police_force = models.ForeignKey(
        PoliceForce, null=True, blank=True, on_delete=models.CASCADE, related_name="staff"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(provider__isnull=False, police_force__isnull=True)
                    | models.Q(provider__isnull=True, police_force__isnull=False)
                ),
                name="staff_membership_one_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.provider or self.police_force}"


# Casework (cases and their records, police responses) and its access rules.
from referrals.case_models import Case, referrals_visible_to  # noqa: E402, F401
