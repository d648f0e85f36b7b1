"""Writes to cases: opening one from an accepted referral, and everything an
advocate records on it. Police responses, memberships and repeat-victim links.

Each function is keyword-only and typed, runs in one transaction with the
case row locked (two advocates saving at once cannot interleave a deadline
calculation), and writes a CaseEvent (who, what, when, parameters; never
the victim's details or a note's text) that is the case's timeline.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogEntry
from audit.roles import Role, has_role
from audit.services import audit_record
from referrals.case_models import (
    NEEDS,
    OUTCOME_MEASURES,
    Case,
    CaseAction,
    CaseEvent,
    CaseNote,
    CaseRisk,
    ContactAttempt,
    NeedsAssessment,
    OutcomeMeasure,
    PoliceOutcome,
    PoliceResponse,
    RepeatVictimLink,
    RiskAssessment,
    SafetyPlan,
    VictimFeedback,
)
from referrals.deadlines import working_days_after
from referrals.feedback import invitation_email
from referrals.models import Provider, Referral, ReferralEvent, RiskLevel, StaffMembership
from reports.models import ContactMethod, PoliceForce, Report


class CaseError(Exception):
    """The case is not in a state that allows this, or the input is wrong."""


def _event(
    case: Case, kind: str, *, at: datetime.datetime, acting_user: User | None, **data: Any
) -> None:
    CaseEvent.objects.create(case=case, kind=kind, at=at, acting_user=acting_user, data=data)


def _locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("referral__service")
        .get(pk=case.pk)
    )


def _open_or_refuse(case: Case) -> None:
    if case.status == Case.Status.CLOSED:
        raise CaseError("this case is closed")


def _end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(17, 0)))


def _refresh_due(case: Case) -> None:
    """The earliest thing due on the case, for the caseload's sort and overdue filter."""
    if case.status == Case.Status.CLOSED:
        case.next_due_at = None
        return
    due: list[datetime.datetime] = []
    if case.status == Case.Status.AWAITING_CONTACT and case.contact_by is not None:
        due.append(case.contact_by)
    last_attempt = case.contactattempts.order_by("-recorded_at", "-id").first()
    if last_attempt is not None and last_attempt.next_attempt_due is not None:
        due.append(last_attempt.next_attempt_due)
    first_action = case.caseactions.filter(done_at__isnull=True).order_by("due_on").first()
    if first_action is not None:
        due.append(_end_of_day(first_action.due_on))
    case.next_due_at = min(due) if due else None


def _save(case: Case, *fields: str) -> None:
    _refresh_due(case)
    case.save(update_fields=[*fields, "next_due_at"])


# --- Opening and assigning ---------------------------------------------------------------


def case_open(*, referral: Referral, acting_user: User | None = None) -> Case:
    """An accepted support referral becomes a case (once: the referral is unique)."""
    if referral.kind != Referral.Kind.SUPPORT or referral.service is None:
        raise CaseError("only support referrals become cases")
    now = timezone.now()
    with transaction.atomic():
        existing = Case.objects.filter(referral=referral).first()
        if existing is not None:
            return existing
        case = Case.objects.create(
            referral=referral,
            provider_id=referral.service.provider_id,
            reference=Report.objects.values_list("reference", flat=True).get(pk=referral.report_id),
            advocate=referral.advocate,
            status=(
                Case.Status.ACTIVE if referral.first_contact_at else Case.Status.AWAITING_CONTACT
            ),
            risk_level=CaseRisk.HIGH
            if referral.risk_level == RiskLevel.HIGH
            else CaseRisk.STANDARD,
            opened_at=now,
            contact_by=referral.contact_by,
            next_due_at=None if referral.first_contact_at else referral.contact_by,
        )
        _event(
            case,
            CaseEvent.Kind.OPENED,
            at=now,
            acting_user=acting_user,
            referral=referral.pk,
            advocate=referral.advocate_id,
        )
    return case


def _is_advocate_at(user: User, provider_id: int) -> bool:
    return (
        has_role(user, Role.ADVOCATE, Role.PROVIDER_MANAGER)
        and StaffMembership.objects.filter(user=user, provider_id=provider_id).exists()
    )


def case_assign(*, case: Case, advocate: User | None, acting_user: User) -> Case:
    """A provider manager puts the case on an advocate's caseload (or takes it off)."""
    if advocate is not None and not _is_advocate_at(advocate, case.provider_id):
        raise CaseError("the advocate does not work for this case's provider")
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        previous = case.advocate_id
        case.advocate = advocate
        case.save(update_fields=["advocate"])
        Referral.objects.filter(pk=case.referral_id).update(advocate=advocate)
        _event(
            case,
            CaseEvent.Kind.ASSIGNED,
            at=now,
            acting_user=acting_user,
            advocate=advocate.pk if advocate else None,
            previous=previous,
        )
    return case


# --- Contact, assessments, plans, actions, notes ------------------------------------------


def case_contact_record(
    *,
    case: Case,
    acting_user: User,
    method: str,
    outcome: str,
    next_attempt_due: datetime.datetime | None = None,
) -> ContactAttempt:
    """A try at reaching the victim; the first that reaches them meets the
    service's first-contact deadline (Victims' Code, right 4)."""
    if method not in ContactAttempt.Method.values or outcome not in ContactAttempt.Outcome.values:
        raise CaseError("unknown contact method or outcome")
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _open_or_refuse(case)
        attempt = ContactAttempt.objects.create(
            case=case,
            recorded_at=now,
            recorded_by=acting_user,
            method=method,
            outcome=outcome,
            next_attempt_due=next_attempt_due,
        )
        fields = []
        if outcome == ContactAttempt.Outcome.CONTACT_MADE:
            Referral.objects.filter(pk=case.referral_id, first_contact_at__isnull=True).update(
                first_contact_at=now
            )
            if case.status == Case.Status.AWAITING_CONTACT:
                case.status = Case.Status.ACTIVE
                fields.append("status")
        _save(case, *fields)
        _event(
            case,
            CaseEvent.Kind.CONTACT_ATTEMPTED,
            at=now,
            acting_user=acting_user,
            attempt=attempt.pk,
            method=method,
            outcome=outcome,
        )
    return attempt


def case_needs_assess(
    *, case: Case, acting_user: User, needs: list[str], notes: str = ""
) -> NeedsAssessment:
    codes = {code for code, _label in NEEDS}
    unknown = set(needs) - codes
    if unknown:
        raise CaseError(f"unknown needs: {', '.join(sorted(unknown))}")
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _open_or_refuse(case)
        assessment = NeedsAssessment.objects.create(
            case=case,
            recorded_at=now,
            recorded_by=acting_user,
            notes=notes,
            **{code: code in needs for code in codes},
        )
        _event(
            case,
            CaseEvent.Kind.NEEDS_ASSESSED,
            at=now,
            acting_user=acting_user,
            needs=sorted(needs),
        )
    return assessment


@dataclass(frozen=True)
class RiskResult:
    level: int
    reasons: list[str]


def risk_level_for(
    *, escalation: bool, repeat_targeting: bool, vulnerability: bool, perpetrator_proximity: bool
) -> RiskResult:
    """Structured indicators to a level, with the reasons in plain words.

    High: three or more indicators, or escalation by people who live close
    (the pattern that most often ends in violence). Medium: one or two.
    """
    reasons = [
        text
        for present, text in (
            (escalation, "the incidents are escalating"),
            (repeat_targeting, "the victim has been targeted before"),
            (vulnerability, "the victim is vulnerable"),
            (perpetrator_proximity, "those responsible are close to the victim"),
        )
        if present
    ]
    if len(reasons) >= 3 or (escalation and perpetrator_proximity):
        level = CaseRisk.HIGH
    elif reasons:
        level = CaseRisk.MEDIUM
    else:
        level = CaseRisk.STANDARD
        reasons = ["no risk indicators present"]
    return RiskResult(level=int(level), reasons=reasons)


def case_risk_assess(
    *,
    case: Case,
    acting_user: User,
    escalation: bool = False,
    repeat_targeting: bool = False,
    vulnerability: bool = False,
    perpetrator_proximity: bool = False,
) -> RiskAssessment:
    """Record a risk assessment; the case takes its level. High risk brings
    the first-contact deadline forward to the service's high-risk deadline."""
    result = risk_level_for(
        escalation=escalation,
        repeat_targeting=repeat_targeting,
        vulnerability=vulnerability,
        perpetrator_proximity=perpetrator_proximity,
    )
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _open_or_refuse(case)
        assessment = RiskAssessment.objects.create(
            case=case,
            recorded_at=now,
            recorded_by=acting_user,
            escalation=escalation,
            repeat_targeting=repeat_targeting,
            vulnerability=vulnerability,
            perpetrator_proximity=perpetrator_proximity,
            level=result.level,
            reasons=result.reasons,
        )
        previous = case.risk_level
        case.risk_level = result.level
        fields = ["risk_level"]
        if result.level == CaseRisk.HIGH and case.status == Case.Status.AWAITING_CONTACT:
            service = case.referral.service
            days = service.contact_within_days_high if service is not None else 1
            sooner = working_days_after(now, days)
            if case.contact_by is None or sooner < case.contact_by:
                case.contact_by = sooner
                fields.append("contact_by")
                Referral.objects.filter(pk=case.referral_id).update(contact_by=sooner)
        _save(case, *fields)
        _event(
            case,
            CaseEvent.Kind.RISK_ASSESSED,
            at=now,
            acting_user=acting_user,
            level=result.level,
            previous=previous,
            reasons=result.reasons,
        )
    return assessment


def case_safety_plan_record(
    *, case: Case, acting_user: User, plan: str, review_by: datetime.date | None = None
) -> SafetyPlan:
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _open_or_refuse(case)
        safety_plan = SafetyPlan.objects.create(
            case=case, recorded_at=now, recorded_by=acting_user, plan=plan, review_by=review_by
        )
        _event(
            case,
            CaseEvent.Kind.SAFETY_PLAN,
            at=now,
            acting_user=acting_user,
            plan=safety_plan.pk,
            review_by=review_by.isoformat() if review_by else None,
        )
    return safety_plan


def case_action_add(
    *, case: Case, acting_user: User, description: str, due_on: datetime.date
) -> CaseAction:
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _open_or_refuse(case)
        action = CaseAction.objects.create(
            case=case,
            recorded_at=now,
            recorded_by=acting_user,
            description=description,
            due_on=due_on,
        )
        _save(case)
        _event(
            case,
            CaseEvent.Kind.ACTION_ADDED,
            at=now,
            acting_user=acting_user,
            action=action.pk,
            due_on=due_on.isoformat(),
        )
    return action


def case_action_complete(*, action: CaseAction, acting_user: User) -> CaseAction:
    now = timezone.now()
    with transaction.atomic():
        case = _locked(action.case)
        if CaseAction.objects.filter(pk=action.pk, done_at__isnull=True).update(done_at=now) != 1:
            raise CaseError("this action is already done")
        _save(case)
        _event(case, CaseEvent.Kind.ACTION_DONE, at=now, acting_user=acting_user, action=action.pk)
    action.refresh_from_db()
    return action


def case_note_add(*, case: Case, acting_user: User, text: str) -> CaseNote:
    """A note, stored encrypted; the timeline records only that it was written."""
    if not text.strip():
        raise CaseError("a note needs some text")
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        note = CaseNote.objects.create(
            case=case, recorded_at=now, recorded_by=acting_user, text=text
        )
        _event(case, CaseEvent.Kind.NOTE_ADDED, at=now, acting_user=acting_user, note=note.pk)
    return note


def case_outcomes_record(
    *, case: Case, acting_user: User, stage: str, measures: dict[str, int]
) -> OutcomeMeasure:
    """Cope-and-recover measures at intake or at closure (1 to 5 each), once per stage."""
    if stage not in OutcomeMeasure.Stage.values:
        raise CaseError("stage is intake or closure")
    if set(measures) != set(OUTCOME_MEASURES) or not all(
        isinstance(value, int) and 1 <= value <= 5 for value in measures.values()
    ):
        raise CaseError(f"give each of {', '.join(OUTCOME_MEASURES)} on a scale of 1 to 5")
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _open_or_refuse(case)
        if OutcomeMeasure.objects.filter(case=case, stage=stage).exists():
            raise CaseError(f"outcomes at {stage} are already recorded")
        outcome = OutcomeMeasure.objects.create(
            case=case, recorded_at=now, recorded_by=acting_user, stage=stage, **measures
        )
        _event(
            case,
            CaseEvent.Kind.OUTCOMES_RECORDED,
            at=now,
            acting_user=acting_user,
            stage=stage,
            **measures,
        )
    return outcome


def case_close(*, case: Case, acting_user: User, reason: str) -> Case:
    if reason not in Case.ClosureReason.values:
        raise CaseError("choose a closure reason")
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _open_or_refuse(case)
        case.status = Case.Status.CLOSED
        case.closed_at = now
        case.closure_reason = reason
        _save(case, "status", "closed_at", "closure_reason")
        _event(case, CaseEvent.Kind.CLOSED, at=now, acting_user=acting_user, reason=reason)
        if reason not in NO_FEEDBACK_AFTER:
            feedback_invite(case=case, now=now, acting_user=acting_user)
    return case


# --- Victim feedback -------------------------------------------------------------------------

# No invitation when the victim was never reached, or asked us to stop
# (consent withdrawn: UK GDPR article 7(3)).
NO_FEEDBACK_AFTER = {Case.ClosureReason.UNABLE_TO_CONTACT, Case.ClosureReason.CONSENT_WITHDRAWN}


def _wants_email(report: Report) -> bool:
    """Email only when the victim chose it as a safe way to contact them."""
    return (
        ContactMethod.EMAIL in (report.contact_methods or [])
        and bool(report.contact_email)
        and report.anonymised_at is None
    )


def feedback_invite(
    *, case: Case, now: datetime.datetime, acting_user: User | None
) -> VictimFeedback:
    """Invite the victim to give feedback (inside case_close's transaction).

    The invitation shows on the follow-up page at once; the email, when they
    chose email, is sent by a task after commit (never inside a transaction).
    """
    feedback, created = VictimFeedback.objects.get_or_create(
        case=case, defaults={"invited_at": now}
    )
    if created:
        report = Report.objects.only("contact_methods", "contact_email", "anonymised_at").get(
            referrals__pk=case.referral_id
        )
        emailed = _wants_email(report)
        _event(
            case, CaseEvent.Kind.FEEDBACK_INVITED, at=now, acting_user=acting_user, email=emailed
        )
        if emailed:
            from referrals.tasks import feedback_invitation_send_task

            feedback_id = feedback.pk
            transaction.on_commit(lambda: feedback_invitation_send_task.delay(feedback_id))
    return feedback


def feedback_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feedback_invitation_send(*, feedback_id: int) -> bool:
    """Email the invitation with a new single-use link. Returns whether it was sent.

    Claims the row first (a conditional update), so a duplicate task sends
    nothing; the email goes outside any transaction, and a failure releases
    the claim for the retry.
    """
    token = secrets.token_urlsafe(32)
    claimed = VictimFeedback.objects.filter(
        pk=feedback_id, emailed_at__isnull=True, answered_at__isnull=True
    ).update(emailed_at=timezone.now(), token_hash=feedback_token_hash(token))
    if claimed != 1:
        return False
    feedback = VictimFeedback.objects.select_related(
        "case__provider", "case__referral__report"
    ).get(pk=feedback_id)
    report = feedback.case.referral.report
    if not _wants_email(report):
        return False
    link = settings.SITE_URL.rstrip("/") + reverse("referrals:feedback_by_link", args=[token])
    subject, body = invitation_email(
        link=link, provider=feedback.case.provider.name, language=report.language
    )
    try:
        send_mail(subject, body, None, [report.contact_email], fail_silently=False)
    except Exception:
        VictimFeedback.objects.filter(pk=feedback_id).update(emailed_at=None, token_hash="")
        raise
    return True


def feedback_by_token(token: str) -> VictimFeedback | None:
    if not token:
        return None
    return (
        VictimFeedback.objects.select_related("case__provider")
        .filter(token_hash=feedback_token_hash(token))
        .first()
    )


def feedback_record(
    *, feedback: VictimFeedback, satisfaction: int, feels_safer: str, confident_to_report: str
) -> bool:
    """The victim's answers, once. Returns False if they were already given.

    The event says only that feedback came: the answers are seen in
    aggregate, never against a person.
    """
    if satisfaction not in VictimFeedback.Satisfaction.values or not {
        feels_safer,
        confident_to_report,
    } <= set(VictimFeedback.Answer.values):
        raise CaseError("answer each question from its choices")
    now = timezone.now()
    with transaction.atomic():
        answered = VictimFeedback.objects.filter(pk=feedback.pk, answered_at__isnull=True).update(
            answered_at=now,
            satisfaction=satisfaction,
            feels_safer=feels_safer,
            confident_to_report=confident_to_report,
            token_hash="",  # the emailed link works once
        )
        if answered != 1:
            return False
        _event(feedback.case, CaseEvent.Kind.FEEDBACK_RECEIVED, at=now, acting_user=None)
    return True


# --- Police ----------------------------------------------------------------------------------


def police_response_record(
    *,
    referral: Referral,
    acting_user: User,
    crime_reference: str | None = None,
    outcome: str | None = None,
) -> PoliceResponse:
    """A force records its crime reference and, later, the police outcome."""
    if referral.kind != Referral.Kind.POLICE:
        raise CaseError("only police referrals have a police response")
    if outcome is not None and outcome not in PoliceOutcome.values:
        raise CaseError("unknown police outcome")
    now = timezone.now()
    with transaction.atomic():
        response, _created = PoliceResponse.objects.select_for_update().get_or_create(
            referral=referral, defaults={"updated_at": now}
        )
        changes: dict[str, str] = {}
        if crime_reference is not None and crime_reference != response.crime_reference:
            response.crime_reference = crime_reference.strip()[:50]
            changes["crime_reference"] = response.crime_reference
        if outcome is not None and outcome != response.outcome:
            response.outcome = outcome
            changes["police_outcome"] = outcome
        response.updated_at = now
        response.updated_by = acting_user
        response.save()
        if changes:
            ReferralEvent.objects.create(
                referral=referral,
                kind="police_response",
                at=now,
                acting_user=acting_user,
                data=changes,
            )
    return response


# --- Memberships (a role change: audited) --------------------------------------------------------


def membership_add(
    *,
    user: User,
    acting_user: User | None,
    provider: Provider | None = None,
    police_force: PoliceForce | None = None,
) -> StaffMembership:
    """Someone starts working for a provider or a police force (one at a time)."""
    if (provider is None) == (police_force is None):
        raise CaseError("a membership is of one provider or one police force")
    with transaction.atomic():
        membership, _created = StaffMembership.objects.update_or_create(
            user=user, defaults={"provider": provider, "police_force": police_force}
        )
        audit_record(
            actor=acting_user,
            action=AccessLogEntry.Action.CHANGE,
            obj=membership,
            detail={"membership": "added", "user": user.pk},
        )
    return membership


def membership_remove(*, membership: StaffMembership, acting_user: User | None) -> None:
    with transaction.atomic():
        audit_record(
            actor=acting_user,
            action=AccessLogEntry.Action.CHANGE,
            obj=membership,
            detail={"membership": "removed", "user": membership.user_id},
        )
        membership.delete()


# --- Repeat victims ------------------------------------------------------------------------------


# The latest earlier report per matching identifier, not every earlier one:
# the links form a chain back through a repeat victim's history, and a new
# report costs the same however many came before (each lookup reads the first
# entry of an index on the hash and the submission time). UNION (not ALL)
# makes a report matching both ways one link, matched on both. Written as SQL
# (for PostgreSQL and the embedded SQLite alike) because it runs in every
# submission's transaction: the ORM spent 0.8 ms of CPU building and
# compiling the lookup and the link's INSERT, ten times what executing this
# one statement costs.
_REPEAT_LINK_SQL = """
INSERT INTO {link} (earlier_id, later_id, matched_on, found_at)
SELECT latest.id, %(later)s, {matched_on}, %(now)s
FROM ({latest_by_email} UNION {latest_by_phone}) AS latest
ORDER BY latest.id
RETURNING id, earlier_id, matched_on
"""
_LATEST_BY = """
    SELECT * FROM (
        SELECT id, contact_email_index, contact_phone_index FROM {report}
        WHERE contact_{kind}_index = %({kind})s AND %({kind})s <> ''
            AND submitted_at <= %(submitted_at)s AND id <> %(later)s
        ORDER BY submitted_at DESC, id DESC LIMIT 1
    ) AS by_{kind}
"""
# What matched, as the JSON text JSONField stores (jsonb on PostgreSQL).
_MATCHED_ON = """CASE
    WHEN latest.contact_email_index = %(email)s AND latest.contact_phone_index = %(phone)s
        THEN '["email", "phone"]'
    WHEN latest.contact_email_index = %(email)s THEN '["email"]'
    ELSE '["phone"]' END"""


def report_repeat_victims_link(*, report: Report) -> list[RepeatVictimLink]:
    """Link a report just submitted to earlier ones whose contact details match.

    Matching is by the keyed blind indexes only: the plaintext contact
    details are never compared or decrypted here. The report is new (this
    runs in report_submit's transaction), so none of its links exist yet: a
    second call for the same report fails on repeat_victim_link_once.
    """
    if not (report.contact_email_index or report.contact_phone_index):
        return []
    now = timezone.now()
    ops = connection.ops
    matched_on_sql = _MATCHED_ON
    if connection.vendor == "postgresql":
        matched_on_sql = f"CAST({matched_on_sql} AS jsonb)"
    report_table = ops.quote_name(Report._meta.db_table)
    sql = _REPEAT_LINK_SQL.format(
        link=ops.quote_name(RepeatVictimLink._meta.db_table),
        matched_on=matched_on_sql,
        latest_by_email=_LATEST_BY.format(report=report_table, kind="email"),
        latest_by_phone=_LATEST_BY.format(report=report_table, kind="phone"),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "later": report.pk,
                "email": report.contact_email_index,
                "phone": report.contact_phone_index,
                "submitted_at": ops.adapt_datetimefield_value(report.submitted_at),
                "now": ops.adapt_datetimefield_value(now),
            },
        )
        rows = cursor.fetchall()
    return [
        RepeatVictimLink(
            pk=pk,
            earlier_id=earlier_id,
            later=report,
            # Read back as JSON text on both databases (Django parses jsonb
            # itself, in JSONField).
            matched_on=json.loads(matched_on) if isinstance(matched_on, str) else matched_on,
            found_at=now,
        )
        for pk, earlier_id, matched_on in rows
    ]


def on_report_submitted(sender: type[Report], *, report: Report, **kwargs: Any) -> None:
    """Receiver of reports' report_submitted (inside report_submit's transaction)."""
    report_repeat_victims_link(report=report)
