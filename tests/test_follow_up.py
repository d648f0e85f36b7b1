"""Follow-up with reference + secret: status in plain words, adding
information, and guessing stopped without revealing whether a reference exists."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from reports.models import AdditionalInformation, ReportEvent
from reports.services import FollowUpLocked, report_follow_up_authenticate
from tests.helpers import submit

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def submission(valid_report: dict[str, Any]) -> Any:
    return submit(valid_report)


def sign_in(client: Client, reference: str, secret: str, **extra: Any) -> Any:
    return client.post("/follow-up/", {"reference": reference, "secret": secret}, **extra)


def test_the_reporter_sees_status_and_adds_information(client: Client, submission: Any) -> None:
    response = sign_in(client, submission.report.reference.lower(), submission.follow_up_secret)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"We have received your report" in page.content
    added = client.post(
        "/follow-up/your-report/", {"text": "He came back the next day."}, follow=True
    )
    assert b"We have added this to your report" in added.content
    addition = AdditionalInformation.objects.get(report=submission.report)
    assert addition.text == "He came back the next day."
    assert ReportEvent.objects.filter(report=submission.report, kind="information_added").exists()


def test_the_secret_is_accepted_without_dashes_and_with_confusable_letters(
    client: Client, submission: Any
) -> None:
    typed = (
        submission.follow_up_secret.replace("-", " ").replace("0", "o").replace("1", "l").lower()
    )
    assert sign_in(client, submission.report.reference, typed).status_code == 302


def test_wrong_secret_and_unknown_reference_get_the_same_answer(
    client: Client, submission: Any
) -> None:
    wrong = sign_in(client, submission.report.reference, "AAAA-AAAA-AAAA-AAAA")
    unknown = sign_in(client, "HC-ZZZZ-ZZZZ", submission.follow_up_secret)
    assert wrong.status_code == unknown.status_code == 400
    assert b"We could not find a report with that reference and secret" in wrong.content
    assert b"could not find" in unknown.content


def test_the_status_page_needs_a_signed_in_follow_up(client: Client) -> None:
    response = client.get("/follow-up/your-report/")
    assert response.status_code == 302
    assert response["Location"] == "/follow-up/"


def test_repeated_wrong_secrets_lock_the_reference_even_for_the_right_secret(
    client: Client, submission: Any, settings: Any
) -> None:
    settings.FOLLOW_UP_MAX_FAILURES_PER_REFERENCE = 5
    for attempt in range(5):
        other_client = Client(REMOTE_ADDR=f"203.0.113.{attempt}")
        assert (
            sign_in(other_client, submission.report.reference, f"WRONG-{attempt}").status_code
            == 400
        )
    locked = sign_in(
        Client(REMOTE_ADDR="203.0.113.99"), submission.report.reference, submission.follow_up_secret
    )
    assert locked.status_code == 429
    assert b"Please wait before trying again" in locked.content


def test_one_client_guessing_across_references_is_locked_out(
    client: Client, submission: Any, settings: Any
) -> None:
    settings.FOLLOW_UP_MAX_FAILURES_PER_CLIENT = 3
    for attempt in range(3):
        assert sign_in(client, f"HC-AAAA-AAA{attempt}", "AAAA-AAAA-AAAA-AAAA").status_code == 400
    assert (
        sign_in(client, submission.report.reference, submission.follow_up_secret).status_code == 429
    )
    # Another client is not affected.
    assert (
        sign_in(
            Client(REMOTE_ADDR="198.51.100.7"),
            submission.report.reference,
            submission.follow_up_secret,
        ).status_code
        == 302
    )


def test_unknown_references_are_locked_like_real_ones(settings: Any) -> None:
    settings.FOLLOW_UP_MAX_FAILURES_PER_REFERENCE = 2
    for _ in range(2):
        assert (
            report_follow_up_authenticate(reference="HC-1234-5678", secret="x", client="c1") is None
        )
    with pytest.raises(FollowUpLocked):
        report_follow_up_authenticate(reference="hc 1234 5678", secret="x", client="c2")


def test_the_api_lookup_shares_the_lockout(client: Client, submission: Any, settings: Any) -> None:
    settings.FOLLOW_UP_MAX_FAILURES_PER_REFERENCE = 2
    url = f"/api/v1/reports/{submission.report.reference}/"
    for _ in range(2):
        assert client.get(url, HTTP_X_FOLLOW_UP_SECRET="nope").status_code == 404
    locked = client.get(url, HTTP_X_FOLLOW_UP_SECRET=submission.follow_up_secret)
    assert locked.status_code == 429
    assert locked.json()["errors"][0]["code"] == "throttled"


def test_the_secret_never_appears_in_the_url_or_page(client: Client, submission: Any) -> None:
    response = sign_in(
        client, submission.report.reference, submission.follow_up_secret, follow=True
    )
    for url, _status in response.redirect_chain:
        assert submission.follow_up_secret not in url
    assert submission.follow_up_secret.encode() not in response.content


def test_finishing_ends_the_follow_up(client: Client, submission: Any) -> None:
    sign_in(client, submission.report.reference, submission.follow_up_secret)
    client.post("/follow-up/finish/")
    assert client.get("/follow-up/your-report/").status_code == 302
