"""Victim feedback: invited when a case closes, by email (when the victim
chose it) through the real SMTP path, and on the follow-up page; answered
once; never shown per person."""

from __future__ import annotations

import re
from email.message import Message
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from audit.roles import Role
from referrals.case_models import Case, CaseEvent, VictimFeedback
from referrals.case_services import (
    case_close,
    feedback_invitation_send,
    membership_add,
)
from referrals.models import Delivery, Provider
from referrals.services import delivery_send, referral_accept
from referrals.tests.casework import report_data
from tests.helpers import submit
from tests.staff import make_staff

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def ada() -> User:
    user = make_staff("ada", Role.ADVOCATE)
    membership_add(user=user, provider=Provider.objects.get(slug="cst"), acting_user=None)
    return user


def open_case(advocate: User, **support: Any) -> tuple[Case, str]:
    submission = submit(report_data(strands=["race"], **support))
    for delivery in Delivery.objects.filter(referral__report=submission.report):
        delivery_send(delivery_id=delivery.pk)
    referral = submission.report.referrals.get(kind="support")
    referral_accept(referral=referral, advocate=advocate, acting_user=advocate)
    return Case.objects.get(referral=referral), submission.follow_up_secret


def sign_in(client: Client, case: Case, secret: str) -> None:
    response = client.post("/follow-up/", {"reference": case.reference, "secret": secret})
    assert response.status_code == 302


ANSWERS = {"satisfaction": "4", "feels_safer": "yes", "confident_to_report": "unsure"}


def test_closing_a_case_emails_an_invitation_whose_link_works_once(
    ada: User,
    client: Client,
    smtp: list[Message],
    django_capture_on_commit_callbacks: Any,
) -> None:
    case, _secret = open_case(ada, contact_methods=["email"], contact_email="amara@example.org")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_close(case=case, acting_user=ada, reason="support_completed")
    # The email is queued after commit, never sent inside the transaction.
    assert len(callbacks) == 1
    feedback = VictimFeedback.objects.get(case=case)
    assert feedback_invitation_send(feedback_id=feedback.pk) is True
    # A duplicate task (a redelivered message) sends nothing.
    assert feedback_invitation_send(feedback_id=feedback.pk) is False
    to_victim = [m for m in smtp if m["To"] == "amara@example.org"]
    assert len(to_victim) == 1
    message = to_victim[0]
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    # Plain: no reference, no crime, nothing that tells another reader what happened.
    assert case.reference not in body and "hate" not in body.lower()
    link = re.search(r"https?://\S+/feedback/(\S+)/", body)
    assert link is not None
    path = f"/feedback/{link.group(1)}/"

    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<legend" in html and "How satisfied are you" in html
    assert client.post(path, ANSWERS).status_code == 200
    feedback.refresh_from_db()
    assert (feedback.satisfaction, feedback.feels_safer, feedback.confident_to_report) == (
        4,
        "yes",
        "unsure",
    )
    # The event says feedback came, not what it said.
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.FEEDBACK_RECEIVED)
    assert event.data == {}
    assert client.get(path).status_code == 404


def test_the_email_is_in_the_language_the_victim_reported_in(
    ada: User, smtp: list[Message]
) -> None:
    case, _secret = open_case(ada, contact_methods=["email"], contact_email="aled@example.org")
    case.referral.report.__class__.objects.filter(pk=case.referral.report_id).update(language="cy")
    case_close(case=case, acting_user=ada, reason="support_completed")
    feedback_invitation_send(feedback_id=VictimFeedback.objects.get(case=case).pk)
    (message,) = [m for m in smtp if m["To"] == "aled@example.org"]
    assert message["Subject"] != "Your feedback on the support you were given"


def test_no_email_unless_the_victim_chose_it_but_the_follow_up_page_invites(
    ada: User, client: Client, smtp: list[Message], django_capture_on_commit_callbacks: Any
) -> None:
    case, secret = open_case(ada, contact_methods=["phone"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_close(case=case, acting_user=ada, reason="support_completed")
    assert callbacks == []
    feedback = VictimFeedback.objects.get(case=case)
    assert feedback_invitation_send(feedback_id=feedback.pk) is False
    assert [m for m in smtp if m["To"] == "amara.okafor@example.org"] == []

    sign_in(client, case, secret)
    status = client.get("/follow-up/your-report/").content.decode()
    url = f"/follow-up/feedback/{feedback.pk}/"
    assert url in status
    # Errors are summarised and linked to the question.
    missing = client.post(url, {"satisfaction": "4"})
    assert missing.status_code == 400
    assert 'href="#id_feels_safer_0"' in missing.content.decode()
    assert client.post(url, ANSWERS).status_code == 200
    assert VictimFeedback.objects.get(pk=feedback.pk).answered_at is not None
    assert url not in client.get("/follow-up/your-report/").content.decode()


def test_no_invitation_when_the_victim_was_never_reached_or_withdrew(ada: User) -> None:
    for reason in ("unable_to_contact", "consent_withdrawn"):
        case, _secret = open_case(ada)
        case_close(case=case, acting_user=ada, reason=reason)
        assert not VictimFeedback.objects.filter(case=case).exists()


def test_one_reporter_cannot_answer_for_another(ada: User, client: Client) -> None:
    theirs, _ = open_case(ada)
    case_close(case=theirs, acting_user=ada, reason="support_completed")
    mine, secret = open_case(ada)
    sign_in(client, mine, secret)
    other = VictimFeedback.objects.get(case=theirs)
    assert client.get(f"/follow-up/feedback/{other.pk}/").status_code == 404
    assert client.post(f"/follow-up/feedback/{other.pk}/", ANSWERS).status_code == 404
    assert VictimFeedback.objects.get(pk=other.pk).answered_at is None
