"""The case's services: each write in one transaction with an event row."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from audit.roles import Role
from referrals.case_admin import repeat_victim_text
from referrals.case_models import Case, CaseEvent, CaseRisk, RepeatVictimLink
from referrals.case_services import (
    CaseError,
    case_action_add,
    case_action_complete,
    case_assign,
    case_close,
    case_contact_record,
    case_needs_assess,
    case_note_add,
    case_outcomes_record,
    case_risk_assess,
    case_safety_plan_record,
    membership_add,
    police_response_record,
    risk_level_for,
)
from referrals.models import Provider, Referral, ReferralEvent
from referrals.services import referral_accept
from referrals.tests.casework import (
    delivered_report,
    police_referral,
    report_data,
    support_referral,
)
from reports.models import PoliceForce
from tests.helpers import submit
from tests.staff import make_staff

pytestmark = pytest.mark.usefixtures("reference_data")

MEASURES = {
    "feeling_safer": 2,
    "health_wellbeing": 3,
    "coping_everyday": 2,
    "informed": 1,
    "confidence_justice": 2,
}


@pytest.fixture
def ada() -> User:
    user = make_staff("ada", Role.ADVOCATE)
    membership_add(user=user, provider=Provider.objects.get(slug="cst"), acting_user=None)
    return user


@pytest.fixture
def case(ada: User) -> Case:
    referral = support_referral(delivered_report(report_data(strands=["race"])))
    referral_accept(referral=referral, advocate=ada, acting_user=ada)
    return Case.objects.get(referral=referral)


def kinds(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


def test_accepting_a_referral_opens_a_case_on_the_advocates_caseload(case: Case, ada: User) -> None:
    assert case.advocate == ada
    assert case.status == Case.Status.AWAITING_CONTACT
    assert case.contact_by == case.referral.contact_by and case.next_due_at == case.contact_by
    assert case.reference == case.referral.report.reference
    assert kinds(case) == ["opened"]


def test_the_first_successful_contact_meets_the_referrals_deadline(case: Case, ada: User) -> None:
    due = timezone.now() + datetime.timedelta(days=1)
    case_contact_record(
        case=case, acting_user=ada, method="phone", outcome="no_answer", next_attempt_due=due
    )
    case.refresh_from_db()
    assert case.status == Case.Status.AWAITING_CONTACT and case.next_due_at == min(
        due, case.contact_by
    )  # type: ignore[type-var]
    case_contact_record(case=case, acting_user=ada, method="phone", outcome="contact_made")
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE and case.next_due_at is None
    assert Referral.objects.get(pk=case.referral_id).first_contact_at is not None
    assert kinds(case) == ["opened", "contact_attempted", "contact_attempted"]


def test_risk_indicators_give_a_level_with_reasons() -> None:
    none = risk_level_for(
        escalation=False, repeat_targeting=False, vulnerability=False, perpetrator_proximity=False
    )
    assert none.level == CaseRisk.STANDARD
    one = risk_level_for(
        escalation=False, repeat_targeting=True, vulnerability=False, perpetrator_proximity=False
    )
    assert (one.level, one.reasons) == (CaseRisk.MEDIUM, ["the victim has been targeted before"])
    close_and_worse = risk_level_for(
        escalation=True, repeat_targeting=False, vulnerability=False, perpetrator_proximity=True
    )
    assert close_and_worse.level == CaseRisk.HIGH
    three = risk_level_for(
        escalation=False, repeat_targeting=True, vulnerability=True, perpetrator_proximity=True
    )
    assert three.level == CaseRisk.HIGH and len(three.reasons) == 3


def test_high_risk_brings_the_contact_deadline_forward(case: Case, ada: User) -> None:
    # The standard deadline (5 working days) becomes the high-risk one (1).
    before = case.contact_by
    assert before is not None
    assessment = case_risk_assess(
        case=case, acting_user=ada, escalation=True, perpetrator_proximity=True
    )
    case.refresh_from_db()
    assert assessment.level == CaseRisk.HIGH and case.risk_level == CaseRisk.HIGH
    assert case.contact_by is not None and case.contact_by < before
    assert Referral.objects.get(pk=case.referral_id).contact_by == case.contact_by
    event = CaseEvent.objects.get(case=case, kind="risk_assessed")
    assert event.data["level"] == CaseRisk.HIGH and event.data["previous"] == CaseRisk.STANDARD


def test_needs_safety_plan_actions_and_notes_are_recorded_with_events(
    case: Case, ada: User
) -> None:
    needs = case_needs_assess(
        case=case,
        acting_user=ada,
        needs=["emotional_support", "compensation"],
        notes="Prefers calls after 6pm",
    )
    assert needs.needs == ["compensation", "emotional_support"]
    with pytest.raises(CaseError):
        case_needs_assess(case=case, acting_user=ada, needs=["astrology"])
    case_safety_plan_record(case=case, acting_user=ada, plan="Panic alarm fitted")
    due = timezone.localdate() - datetime.timedelta(days=1)
    action = case_action_add(
        case=case, acting_user=ada, description="Chase the housing officer", due_on=due
    )
    case.refresh_from_db()
    assert case.next_due_at is not None and case.next_due_at.date() == due
    case_action_complete(action=action, acting_user=ada)
    with pytest.raises(CaseError):
        case_action_complete(action=action, acting_user=ada)
    note = case_note_add(case=case, acting_user=ada, text="Victim's neighbour is the suspect")
    # Notes are encrypted at rest, and the timeline records only that one was written.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM referrals_casenote WHERE id = %s", [note.pk])
        assert "neighbour" not in cursor.fetchone()[0]
    assert "neighbour" not in str(list(CaseEvent.objects.values_list("data", flat=True)))
    assert kinds(case)[1:] == [
        "needs_assessed",
        "safety_plan",
        "action_added",
        "action_done",
        "note_added",
    ]


def test_outcomes_once_per_stage_and_closure(case: Case, ada: User) -> None:
    case_outcomes_record(case=case, acting_user=ada, stage="intake", measures=MEASURES)
    with pytest.raises(CaseError):
        case_outcomes_record(case=case, acting_user=ada, stage="intake", measures=MEASURES)
    with pytest.raises(CaseError):
        case_outcomes_record(
            case=case, acting_user=ada, stage="closure", measures={**MEASURES, "informed": 9}
        )
    case_outcomes_record(
        case=case, acting_user=ada, stage="closure", measures={k: 4 for k in MEASURES}
    )
    case_close(case=case, acting_user=ada, reason="support_completed")
    case.refresh_from_db()
    assert (
        case.status == Case.Status.CLOSED
        and case.closed_at is not None
        and case.next_due_at is None
    )
    with pytest.raises(CaseError):
        case_contact_record(case=case, acting_user=ada, method="phone", outcome="no_answer")
    # Closing invites the victim to give feedback (referrals/tests/test_feedback.py).
    assert kinds(case)[-2:] == ["closed", "feedback_invited"]


def test_a_case_is_assigned_only_to_an_advocate_of_its_provider(case: Case, ada: User) -> None:
    manager = make_staff("manny", Role.PROVIDER_MANAGER)
    outsider = make_staff("bea", Role.ADVOCATE)
    membership_add(user=outsider, provider=Provider.objects.get(slug="galop"), acting_user=None)
    with pytest.raises(CaseError):
        case_assign(case=case, advocate=outsider, acting_user=manager)
    case_assign(case=case, advocate=None, acting_user=manager)
    assert Referral.objects.get(pk=case.referral_id).advocate is None
    assert kinds(case)[-1] == "assigned"


def test_police_record_a_crime_reference_and_outcome() -> None:
    pete = make_staff("pete", Role.POLICE_LIAISON)
    membership_add(
        user=pete, police_force=PoliceForce.objects.get(code="metropolitan"), acting_user=None
    )
    referral = police_referral(delivered_report(report_data(strands=["race"])))
    police_response_record(referral=referral, acting_user=pete, crime_reference="CRIS 01/123456/26")
    response = police_response_record(referral=referral, acting_user=pete, outcome="charge_summons")
    assert (response.crime_reference, response.outcome) == ("CRIS 01/123456/26", "charge_summons")
    assert ReferralEvent.objects.filter(referral=referral, kind="police_response").count() == 2
    with pytest.raises(CaseError):
        police_response_record(referral=referral, acting_user=pete, outcome="hanged")
    with pytest.raises(CaseError):
        police_response_record(
            referral=support_referral(referral.report), acting_user=pete, outcome="caution"
        )


def test_a_repeat_victim_is_linked_to_the_latest_earlier_report_by_each_contact() -> None:
    """One link per identifier to its latest earlier report (the chain goes back
    from there), saying what matched; a report matching both ways is one link."""
    old = submit(report_data(strands=["race"], contact_email="amara@example.org")).report
    by_email = submit(
        report_data(
            strands=["race"],
            contact_email="Amara@example.org",
            contact_phone="",
            contact_methods=["email"],
        )
    ).report
    by_phone = submit(
        report_data(
            strands=["race"], contact_email="other@example.org", contact_phone="07700 900555"
        )
    ).report
    later = submit(
        report_data(
            strands=["race"], contact_email="amara@example.org", contact_phone="+44 7700 900555"
        )
    ).report
    links = {
        link.earlier_id: link.matched_on for link in RepeatVictimLink.objects.filter(later=later)
    }
    assert links == {by_email.pk: ["email"], by_phone.pk: ["phone"]}
    assert old.pk not in links
    both = submit(
        report_data(
            strands=["race"], contact_email="amara@example.org", contact_phone="07700900555"
        )
    ).report
    assert [
        (link.earlier_id, link.matched_on) for link in RepeatVictimLink.objects.filter(later=both)
    ] == [(later.pk, ["email", "phone"])]


def test_a_repeat_victim_is_flagged_on_both_reports_only_for_those_who_may_see_both(
    ada: User,
) -> None:
    first = delivered_report(report_data(strands=["race"], contact_email="Same.Person@example.org"))
    second = delivered_report(
        report_data(
            strands=["race"],
            contact_email="same.person@example.org ",
            contact_phone="+44 7700 900999",
        )
    )
    other = delivered_report(
        report_data(
            strands=["race"], contact_email="someone.else@example.org", contact_phone="07700 900111"
        )
    )
    link = RepeatVictimLink.objects.get(later=second)
    assert link.earlier == first and "email" in link.matched_on
    assert not RepeatVictimLink.objects.filter(later=other).exists()
    tara = make_staff("tara", Role.TRIAGE_OFFICER)
    assert first.reference in repeat_victim_text(report_id=second.pk, viewer=tara)
    assert second.reference in repeat_victim_text(report_id=first.pk, viewer=tara)
    # Ada sees both through her provider's unassigned referrals...
    assert first.reference in repeat_victim_text(report_id=second.pk, viewer=ada)
    # ...and once the first is another advocate's case, she no longer sees it, nor the link.
    abe = make_staff("abe", Role.ADVOCATE)
    membership_add(user=abe, provider=Provider.objects.get(slug="cst"), acting_user=None)
    referral_accept(referral=support_referral(first), advocate=abe, acting_user=abe)
    ada_fresh = User.objects.get(pk=ada.pk)
    assert first.reference not in repeat_victim_text(report_id=second.pk, viewer=ada_fresh)
    nina = make_staff("nina")
    assert first.reference not in repeat_victim_text(report_id=second.pk, viewer=nina)
