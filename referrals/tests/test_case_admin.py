"""Working a case in the staff site: the admin's forms call the services."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from audit.models import AccessLogEntry
from audit.roles import Role
from referrals.case_models import Case, CaseEvent, CaseRisk, ContactAttempt, OutcomeMeasure
from referrals.case_services import membership_add
from referrals.models import Provider
from referrals.services import referral_accept
from referrals.tests.casework import delivered_report, report_data, support_referral
from tests.staff import make_staff, signed_in

pytestmark = pytest.mark.usefixtures("reference_data")


class FormFields(HTMLParser):
    """The fields a browser would submit from the page's main form, as they are."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data


def form_of(client: Client, url: str) -> dict[str, Any]:
    page = client.get(url)
    assert page.status_code == 200
    parser = FormFields()
    parser.feed(page.content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


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


def test_an_advocate_records_contact_needs_risk_outcomes_and_closes_the_case(
    case: Case, ada: User
) -> None:
    client = signed_in(ada)
    url = f"/staff/referrals/case/{case.pk}/change/"
    data = form_of(client, url)
    data.update(
        {
            "contactattempts-0-method": "phone",
            "contactattempts-0-outcome": "contact_made",
            "riskassessments-0-escalation": "on",
            "riskassessments-0-perpetrator_proximity": "on",
            "needsassessments-0-emotional_support": "on",
            "needsassessments-0-justice_information": "on",
            "needsassessments-0-notes": "Wants to know what happens at court",
            "outcomemeasures-0-stage": "intake",
            "outcomemeasures-0-feeling_safer": "2",
            "outcomemeasures-0-health_wellbeing": "2",
            "outcomemeasures-0-coping_everyday": "3",
            "outcomemeasures-0-informed": "1",
            "outcomemeasures-0-confidence_justice": "2",
            "casenotes-0-text": "Spoke for 20 minutes",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE and case.risk_level == CaseRisk.HIGH
    assert ContactAttempt.objects.get(case=case).outcome == "contact_made"
    assert set(case.needsassessments.get().needs) == {"emotional_support", "justice_information"}
    assert case.casenotes.get().text == "Spoke for 20 minutes"

    # Later: outcomes at closure, and the case is closed, in one save.
    data = form_of(client, url)
    data.update(
        {
            "outcomemeasures-1-stage": "closure",
            "outcomemeasures-1-feeling_safer": "4",
            "outcomemeasures-1-health_wellbeing": "4",
            "outcomemeasures-1-coping_everyday": "4",
            "outcomemeasures-1-informed": "5",
            "outcomemeasures-1-confidence_justice": "3",
            "close_reason": "support_completed",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.closure_reason == "support_completed"
    assert OutcomeMeasure.objects.get(case=case, stage="closure").informed == 5
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == [
        "opened",
        "contact_attempted",
        "risk_assessed",
        "needs_assessed",
        "outcomes_recorded",
        "note_added",
        "outcomes_recorded",
        "closed",
        "feedback_invited",
    ]
    assert all(e.acting_user == ada for e in CaseEvent.objects.filter(case=case)[1:])
    # Every look at the case page is in the access log.
    looks = AccessLogEntry.objects.filter(
        actor_username="ada", object_type="referrals.case", object_id=str(case.pk)
    )
    assert looks.count() >= 4
    # A closed case takes no more records.
    page = client.get(url).content.decode()
    assert 'name="contactattempts-0-method"' not in page


def test_a_manager_assigns_a_case_to_one_of_their_advocates(case: Case, ada: User) -> None:
    manny = make_staff("manny", Role.PROVIDER_MANAGER)
    membership_add(user=manny, provider=Provider.objects.get(slug="cst"), acting_user=None)
    abe = make_staff("abe", Role.ADVOCATE)
    membership_add(user=abe, provider=Provider.objects.get(slug="cst"), acting_user=None)
    bea = make_staff("bea", Role.ADVOCATE)
    membership_add(user=bea, provider=Provider.objects.get(slug="galop"), acting_user=None)
    client = signed_in(manny)
    url = f"/staff/referrals/case/{case.pk}/change/"
    data = form_of(client, url)
    refused = client.post(url, {**data, "advocate": str(bea.pk)})
    assert refused.status_code == 200  # not one of the provider's advocates
    response = client.post(url, {**data, "advocate": str(abe.pk)})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.advocate == abe and case.referral.advocate == abe
    assert CaseEvent.objects.filter(case=case, kind="assigned").get().acting_user == manny


def test_an_advocate_cannot_reassign_their_case(case: Case, ada: User) -> None:
    client = signed_in(ada)
    url = f"/staff/referrals/case/{case.pk}/change/"
    data = form_of(client, url)
    assert "advocate" not in data


def test_police_record_a_crime_reference_and_outcome_on_the_referral() -> None:
    pete = make_staff("pete", Role.POLICE_LIAISON)
    from reports.models import PoliceForce

    membership_add(
        user=pete, police_force=PoliceForce.objects.get(code="metropolitan"), acting_user=None
    )
    report = delivered_report(report_data(strands=["race"]))
    referral = report.referrals.get(kind="police")
    client = signed_in(pete)
    url = f"/staff/referrals/referral/{referral.pk}/change/"
    data = form_of(client, url)
    data.update(
        {
            "police_response-0-crime_reference": "CRIS 01/999/26",
            "police_response-0-outcome": "caution",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    referral.refresh_from_db()
    assert referral.police_response.crime_reference == "CRIS 01/999/26"
    assert referral.police_response.outcome == "caution"
    acknowledged = client.post(
        "/staff/referrals/referral/", {"action": "acknowledge", "_selected_action": [referral.pk]}
    )
    assert acknowledged.status_code == 302
    referral.refresh_from_db()
    assert referral.outcome == "acknowledged"
