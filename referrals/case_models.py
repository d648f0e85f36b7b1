"""The advocate's side of a referral: who works for which organisation, the
case an accepted referral becomes, and what is recorded on it.

Access is a queryset: ``Referral.objects.visible_to(user)`` and
``Case.objects.visible_to(user)`` are the one rule each, and everything
else (the admin's lists, object pages, history, deletion, autocomplete;
the case's records; exports) is filtered through them.

Imported at the end of ``referrals/models.py`` so Django finds the models
in the referrals app; kept in its own module so the referral directory and
delivery code and the casework code can change independently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, Q
from django.utils.translation import gettext_lazy as _

from audit.roles import Role, has_role, roles_of
from privacy.fields import EncryptedTextField
from referrals.feedback import Answer, Satisfaction
from reports.models import Report

if TYPE_CHECKING:
    from referrals.models import ReferralQuerySet


# --- Organisation membership ----------------------------------------------------------
# referrals.models.StaffMembership says for whom someone works (a provider or
# a police force); their role (a group, audit.roles) says what they do there.
# An advocate with no membership sees no referral and no case.


def _member_ids(user: Any) -> tuple[list[int], list[int]]:
    """(provider ids, police force ids) the user works for; cached per request."""
    cached: tuple[list[int], list[int]] | None = getattr(user, "_memberships_cache", None)
    if cached is None:
        from referrals.models import StaffMembership

        rows = list(
            StaffMembership.objects.filter(user_id=getattr(user, "pk", 0) or 0).values_list(
                "provider_id", "police_force_id"
            )
        )
        cached = (
            [provider for provider, _force in rows if provider is not None],
            [force for _provider, force in rows if force is not None],
        )
        user._memberships_cache = cached
    return cached


def referrals_visible_to(referrals: ReferralQuerySet, user: Any) -> ReferralQuerySet:
    """The referrals this member of staff may open (the one access rule).

    - triage officers and system administrators: all;
    - provider managers: those delivered to their provider's services;
    - advocates: their provider's unassigned referrals, and those assigned to them;
    - police liaison: police referrals delivered to their force (what the
      victim agreed to share with that force is the only thing shown);
    - anyone else (a commissioning officer, a reporting centre worker): none.
    """
    from referrals.models import Referral

    roles = roles_of(user)
    if roles & {Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR} or (
        getattr(user, "is_active", False) and user.has_perm("referrals.view_all_referrals")
    ):
        return referrals.all()
    providers, forces = _member_ids(user)
    scopes: list[Q] = []
    if Role.PROVIDER_MANAGER in roles and providers:
        scopes.append(Q(kind=Referral.Kind.SUPPORT, service__provider__in=providers))
    if Role.ADVOCATE in roles and providers:
        scopes.append(
            Q(kind=Referral.Kind.SUPPORT, service__provider__in=providers)
            & (Q(advocate__isnull=True) | Q(advocate=user))
        )
    if Role.POLICE_LIAISON in roles and forces:
        # Consent withdrawn after delivery: the force no longer sees it.
        scopes.append(
            Q(
                kind=Referral.Kind.POLICE,
                police_force__in=forces,
                report__consent_share_with_police=True,
            )
        )
    if not scopes:
        return referrals.none()
    # Recipients see a referral once it reached them, never an outbox row.
    return referrals.filter(delivery_status=Referral.DeliveryStatus.DELIVERED).filter(_any(scopes))


def _any(scopes: list[Q]) -> Q:
    combined = scopes[0]
    for scope in scopes[1:]:
        combined |= scope
    return combined


# --- The case ---------------------------------------------------------------------------


class CaseRisk(models.IntegerChoices):
    # Numbers, so a caseload sorts by risk with an index.
    STANDARD = 1, _("Standard")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: Any) -> CaseQuerySet:
        """The cases this member of staff may open (the one access rule).

        Provider managers see their provider's cases; advocates the cases
        assigned to them at their provider; triage officers and system
        administrators all; police, commissioning officers and anyone else none.
        """
        roles = roles_of(user)
        if roles & {Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR}:
            return self.all()
        providers, _forces = _member_ids(user)
        if not providers:
            return self.none()
        scopes: list[Q] = []
        if Role.PROVIDER_MANAGER in roles:
            scopes.append(Q(provider__in=providers))
        if Role.ADVOCATE in roles:
            scopes.append(Q(provider__in=providers, advocate=user))
        if not scopes:
            return self.none()
        return self.filter(_any(scopes))

    def for_caseload(self) -> CaseQuerySet:
        return self.select_related("referral__report__area", "advocate", "provider")


class Case(models.Model):
    """An accepted support referral on an advocate's caseload."""

    class Status(models.TextChoices):
        AWAITING_CONTACT = "awaiting_contact", _("Awaiting first contact")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    class ClosureReason(models.TextChoices):
        SUPPORT_COMPLETED = "support_completed", _("Support completed")
        DECLINED_SUPPORT = "declined_support", _("Victim declined support")
        UNABLE_TO_CONTACT = "unable_to_contact", _("Unable to contact the victim")
        REFERRED_ON = "referred_on", _("Referred to another service")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
        MOVED_AWAY = "moved_away", _("Moved out of the area")
        OTHER = "other", _("Other")

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.PROTECT, related_name="case"
    )
    # The referral's provider, kept on the case so the access rule and the
    # caseload filters use an index instead of two joins.
    provider = models.ForeignKey(
        "referrals.Provider", on_delete=models.PROTECT, related_name="cases"
    )
    reference = models.CharField(
        max_length=20, db_index=True, help_text=_("The report's reference.")
    )
    advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_CONTACT
    )
    risk_level = models.PositiveSmallIntegerField(
        choices=CaseRisk.choices, default=CaseRisk.STANDARD
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.CharField(max_length=30, choices=ClosureReason.choices, blank=True)
    contact_by = models.DateTimeField(
        null=True, blank=True, help_text=_("First contact deadline (shorter when risk is high).")
    )
    # The earliest thing due: first contact, the next contact attempt, or an
    # open action. Kept by the services so the caseload sorts on an index.
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Set when the retention job (or an erasure request) removed the notes,
    # plans and actions; needs, risk levels and outcome measures stay.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-risk_level", "next_due_at", "id"]
        indexes = [
            models.Index(
                fields=["advocate", "status", "-risk_level", "next_due_at"],
                name="case_caseload_advocate",
            ),
            models.Index(
                fields=["provider", "status", "-risk_level", "next_due_at"],
                name="case_caseload_provider",
            ),
            models.Index(fields=["status", "next_due_at"], name="case_status_due"),
            # The caseload's own order, per advocate and per provider: the
            # first page is read from the index, however many cases there are.
            models.Index(
                fields=["advocate", "-risk_level", "next_due_at", "id"],
                name="case_caseload_advocate_order",
            ),
            models.Index(
                fields=["provider", "-risk_level", "next_due_at", "id"],
                name="case_caseload_provider_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.reference}"


class CaseEvent(models.Model):
    """One thing that happened on a case: its timeline (who, what, when)."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ASSIGNED = "assigned", _("Advocate assigned")
        CONTACT_ATTEMPTED = "contact_attempted", _("Contact attempt recorded")
        NEEDS_ASSESSED = "needs_assessed", _("Needs assessed")
        RISK_ASSESSED = "risk_assessed", _("Risk assessed")
        SAFETY_PLAN = "safety_plan", _("Safety plan recorded")
        ACTION_ADDED = "action_added", _("Action added")
        ACTION_DONE = "action_done", _("Action done")
        NOTE_ADDED = "note_added", _("Note added")
        OUTCOMES_RECORDED = "outcomes_recorded", _("Outcome measures recorded")
        CLOSED = "closed", _("Closed")
        FEEDBACK_INVITED = "feedback_invited", _("Victim invited to give feedback")
        FEEDBACK_RECEIVED = "feedback_received", _("Victim's feedback received")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField()
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Parameters (ids, codes, levels), never the victim's details or note text.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseRecordQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> CaseRecordQuerySet:
        return self.filter(case__in=Case.objects.visible_to(user))


class CaseRecord(models.Model):
    """What every record on a case has: the case, when, and by whom."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="%(class)ss")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["recorded_at", "id"]


class ContactAttempt(CaseRecord):
    class Method(models.TextChoices):
        PHONE = "phone", _("Phone call")
        TEXT = "text", _("Text message")
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")
        IN_PERSON = "in_person", _("In person")
        VIDEO = "video", _("Video call")

    class Outcome(models.TextChoices):
        CONTACT_MADE = "contact_made", _("Spoke to the victim")
        NO_ANSWER = "no_answer", _("No answer")
        MESSAGE_LEFT = "message_left", _("Message left")
        NOT_SAFE = "not_safe", _("Not safe to leave a message")
        WRONG_DETAILS = "wrong_details", _("Wrong contact details")
        DECLINED = "declined", _("Victim declined support")

    method = models.CharField(max_length=20, choices=Method.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    next_attempt_due = models.DateTimeField(null=True, blank=True)

    class Meta(CaseRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.get_outcome_display()}"


# The needs in the Victims' Code (Ministry of Justice, 2020) and the EU
# Victims' Directive (2012/29/EU, articles 4 and 9) an advocate assesses.
NEEDS = [
    ("justice_information", _("Information on the justice process and their rights")),
    ("compensation", _("Compensation")),
    ("trial_preparation", _("Preparing for trial")),
    ("emotional_support", _("Emotional and psychological support")),
    ("financial_practical", _("Financial and practical advice")),
    ("repeat_victimisation", _("Risk of repeat victimisation and retaliation")),
    ("specialist_services", _("Specialist services")),
]


class NeedsAssessment(CaseRecord):
    justice_information = models.BooleanField(
        _("information on the justice process"), default=False
    )
    compensation = models.BooleanField(_("compensation"), default=False)
    trial_preparation = models.BooleanField(_("trial preparation"), default=False)
    emotional_support = models.BooleanField(_("emotional and psychological support"), default=False)
    financial_practical = models.BooleanField(_("financial and practical advice"), default=False)
    repeat_victimisation = models.BooleanField(
        _("risk of repeat victimisation and retaliation"), default=False
    )
    specialist_services = models.BooleanField(_("specialist services"), default=False)
    notes = EncryptedTextField(blank=True)

    class Meta(CaseRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"Needs assessed {self.recorded_at:%Y-%m-%d}"

    @property
    def needs(self) -> list[str]:
        return [code for code, _label in NEEDS if getattr(self, code)]


class RiskAssessment(CaseRecord):
    escalation = models.BooleanField(
        _("escalation"),
        default=False,
        help_text=_("The incidents are getting worse or more frequent."),
    )
    repeat_targeting = models.BooleanField(
        _("repeat targeting"), default=False, help_text=_("Targeted before by the same people.")
    )
    vulnerability = models.BooleanField(
        _("vulnerability"), default=False, help_text=_("Disability, age, isolation, health.")
    )
    perpetrator_proximity = models.BooleanField(
        _("proximity of those responsible"),
        default=False,
        help_text=_("They live nearby, are neighbours, or know where the victim lives or works."),
    )
    level = models.PositiveSmallIntegerField(choices=CaseRisk.choices, editable=False)
    reasons = models.JSONField(default=list, editable=False)

    class Meta(CaseRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.get_level_display()} risk"


class SafetyPlan(CaseRecord):
    plan = EncryptedTextField()
    review_by = models.DateField(null=True, blank=True)

    class Meta(CaseRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"Safety plan {self.recorded_at:%Y-%m-%d}"


class CaseAction(CaseRecord):
    description = EncryptedTextField()
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta(CaseRecord.Meta):
        ordering = ["done_at", "due_on", "id"]
        indexes = [models.Index(fields=["case", "done_at", "due_on"])]

    def __str__(self) -> str:
        return f"Action due {self.due_on}"


class CaseNote(CaseRecord):
    text = EncryptedTextField()

    class Meta(CaseRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"Note {self.recorded_at:%Y-%m-%d %H:%M}"


class OutcomeScale(models.IntegerChoices):
    NOT_AT_ALL = 1, _("1 - not at all")
    A_LITTLE = 2, _("2 - a little")
    SOMEWHAT = 3, _("3 - somewhat")
    MOSTLY = 4, _("4 - mostly")
    COMPLETELY = 5, _("5 - completely")


# Cope and recover: the measures the grants report against.
OUTCOME_MEASURES = [
    "feeling_safer",
    "health_wellbeing",
    "coping_everyday",
    "informed",
    "confidence_justice",
]


class OutcomeMeasure(CaseRecord):
    class Stage(models.TextChoices):
        INTAKE = "intake", _("At intake")
        CLOSURE = "closure", _("At closure")

    stage = models.CharField(max_length=10, choices=Stage.choices)
    feeling_safer = models.PositiveSmallIntegerField(
        _("feeling safer"), choices=OutcomeScale.choices
    )
    health_wellbeing = models.PositiveSmallIntegerField(
        _("health and wellbeing"), choices=OutcomeScale.choices
    )
    coping_everyday = models.PositiveSmallIntegerField(
        _("able to cope with everyday life"), choices=OutcomeScale.choices
    )
    informed = models.PositiveSmallIntegerField(
        _("informed about the process"), choices=OutcomeScale.choices
    )
    confidence_justice = models.PositiveSmallIntegerField(
        _("confidence in the justice system"), choices=OutcomeScale.choices
    )

    class Meta(CaseRecord.Meta):
        constraints = [
            models.UniqueConstraint(fields=["case", "stage"], name="outcome_measure_once_per_stage")
        ]

    def __str__(self) -> str:
        return f"Outcomes {self.get_stage_display()}"


# --- Victim feedback -------------------------------------------------------------------


class VictimFeedback(models.Model):
    """The victim's answers to three questions, asked when their case closes.

    Counted toward the provider's outcomes and shown to commissioning
    officers only in suppressed aggregates, never per person. The invitation
    reaches the victim by email (when they chose it as a safe way to contact
    them) with a link holding a single-use token (stored as a hash), and on
    the follow-up page.
    """

    Satisfaction = Satisfaction
    Answer = Answer

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="feedback")
    invited_at = models.DateTimeField()
    # Set by the claim before the invitation email is sent; cleared if it fails.
    emailed_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        choices=Satisfaction.choices, null=True, blank=True
    )
    feels_safer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    confident_to_report = models.CharField(max_length=10, choices=Answer.choices, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["answered_at"], name="victim_feedback_answered"),
            models.Index(
                fields=["token_hash"],
                name="victim_feedback_token",
                condition=~Q(token_hash=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback on case {self.case_id}"


# --- Police ------------------------------------------------------------------------------


class PoliceOutcome(models.TextChoices):
    NONE = "", _("Not yet known")
    CHARGE_SUMMONS = "charge_summons", _("Charge or summons")
    CAUTION = "caution", _("Caution")
    COMMUNITY_RESOLUTION = "community_resolution", _("Community resolution")
    NO_FURTHER_ACTION = "no_further_action", _("No further action")
    EVIDENTIAL_DIFFICULTIES = "evidential_difficulties", _("Evidential difficulties")
    VICTIM_WITHDREW = "victim_withdrew", _("Victim does not support action")
    RECORDED_AS_INCIDENT = "recorded_as_incident", _("Recorded as a non-crime hate incident")


class PoliceResponse(models.Model):
    """What a force recorded about a police referral: its crime reference and outcome."""

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="police_response"
    )
    crime_reference = models.CharField(max_length=50, blank=True)
    outcome = models.CharField(max_length=30, choices=PoliceOutcome.choices, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.crime_reference or f"Police response to {self.referral_id}"


# --- Repeat victims -----------------------------------------------------------------------


class RepeatVictimLink(models.Model):
    """Two reports whose contact details match (by blind index, never by
    comparing plaintext): the same person reporting again."""

    earlier = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    later = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    matched_on = models.JSONField(default=list, help_text=_("email, phone"))
    found_at = models.DateTimeField()

    class Meta:
        ordering = ["-found_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["earlier", "later"], name="repeat_victim_link_once")
        ]
        indexes = [models.Index(fields=["later"]), models.Index(fields=["earlier"])]

    def __str__(self) -> str:
        return f"{self.earlier_id} ~ {self.later_id}"


def reports_visible_to(user: Any) -> models.QuerySet[Report]:
    """Report ids this member of staff may reach: directly (triage, reporting
    centre) or through a referral or case they may open."""
    from referrals.models import Referral

    if has_role(user, Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR):
        return Report.objects.all()
    return Report.objects.filter(
        Q(pk__in=Report.objects.visible_to(user).values("pk"))
        | Q(pk__in=Referral.objects.visible_to(user).values("report_id"))
        | Q(pk__in=Case.objects.visible_to(user).values("referral__report_id"))
    )


def report_visible_q(user: Any, report_id: Any) -> Q:
    """Whether this member of staff may reach the report whose id is
    ``report_id`` (an ``OuterRef``): the rule of ``reports_visible_to``,
    asked of one report at a time.

    Correlated, so a list page checks its own rows with index lookups rather
    than building the set of every report the viewer may see (which grows
    with the data: a provider's whole history).
    """
    from referrals.models import Referral

    if has_role(user, Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR):
        return Q()
    return (
        Q(Exists(Report.objects.visible_to(user).filter(pk=report_id)))
        | Q(Exists(Referral.objects.visible_to(user).filter(report_id=report_id)))
        | Q(Exists(Case.objects.visible_to(user).filter(referral__report_id=report_id)))
    )
