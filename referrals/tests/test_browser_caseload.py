"""In a real browser (headless Chromium): an advocate signs in with a TOTP
code, finds her high-risk case on the caseload, records a contact attempt, a
needs assessment and the outcomes at closure, and the access log shows it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.db import connections
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect, sync_playwright

from audit.models import AccessLogEntry
from audit.roles import Role
from referrals.case_models import Case, CaseRisk, ContactAttempt, OutcomeMeasure
from referrals.case_services import case_risk_assess, membership_add
from referrals.models import Provider
from referrals.services import referral_accept
from referrals.tests.casework import delivered_report, report_data, support_referral
from reports.reference_data import reference_data_load
from tests.staff import PASSWORD, make_staff, totp_token

# Transactional (the browser talks to a live server thread); the rows the
# migrations made (role groups) are restored afterwards by the root conftest.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def server(transactional_db: None) -> Iterator[Any]:
    """A live server for this test. MEDIA_URL is None in our settings (there
    are no public media URLs), which Django's live server cannot wrap, so it
    is given a placeholder while the server starts; nothing is served there."""
    from pytest_django.live_server_helper import LiveServer

    # The server's request threads close their database connections after
    # each request (not kept for reuse), so the test database can be dropped.
    database = connections.settings["default"]
    kept = database["CONN_MAX_AGE"]
    database["CONN_MAX_AGE"] = 0
    with override_settings(MEDIA_URL="/no-public-media/"):
        live = LiveServer("localhost:0")
    yield live
    live.stop()
    database["CONN_MAX_AGE"] = kept
    # A request thread still parked on a browser's keep-alive socket holds
    # a connection the test database cannot be dropped with; end it.
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _serious(page: Page) -> list[str]:
    """axe violations a keyboard or screen-reader user would be stopped by."""
    results = Axe().run(page)
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] == "critical"
    ]


def _open_case(advocate: User, email: str) -> Case:
    referral = support_referral(
        delivered_report(report_data(strands=["race"], contact_email=email))
    )
    referral_accept(referral=referral, advocate=advocate, acting_user=advocate)
    return Case.objects.get(referral=referral)


def test_an_advocate_works_a_high_risk_case_in_the_browser(server: Any, browser: Browser) -> None:
    live_server = server
    from referrals.demo import demo_providers_load

    reference_data_load()
    demo_providers_load()
    ada = make_staff("ada", Role.ADVOCATE)
    membership_add(user=ada, provider=Provider.objects.get(slug="cst"), acting_user=None)
    device = TOTPDevice.objects.create(user=ada, name="phone")
    _open_case(ada, "calm@example.org")
    high = _open_case(ada, "scared@example.org")
    case_risk_assess(case=high, acting_user=ada, escalation=True, perpetrator_proximity=True)

    page = browser.new_page()
    page.goto(f"{live_server.url}/staff/login/?next=/staff/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", totp_token(device))
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/staff/")

    # The caseload, highest risk first; filter to high risk.
    page.goto(f"{live_server.url}/staff/referrals/case/")
    first_row = page.locator("#result_list tbody tr").first
    assert high.reference in first_row.inner_text()
    assert _serious(page) == []
    page.get_by_role("link", name="High").first.click()
    page.wait_for_url(re.compile(r"risk_level__exact=3"))
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    case_page = re.compile(rf"/staff/referrals/case/{high.pk}/change/")
    page.get_by_role("link", name=high.reference).click()
    page.wait_for_url(case_page)
    assert "scared@example.org" in page.content()
    assert _serious(page) == []

    # A contact attempt and a needs assessment.
    page.select_option("select[name=contactattempts-0-method]", "phone")
    page.select_option("select[name=contactattempts-0-outcome]", "contact_made")
    page.check("input[name=needsassessments-0-emotional_support]")
    page.check("input[name=needsassessments-0-repeat_victimisation]")
    with page.expect_navigation():  # the same URL again: wait for the saved page
        page.click("input[name=_continue]")
    assert ContactAttempt.objects.filter(case=high, outcome="contact_made").exists()

    # Outcomes at closure, and the case closed.
    for name, value in {
        "stage": "closure",
        "feeling_safer": "4",
        "health_wellbeing": "3",
        "coping_everyday": "4",
        "informed": "5",
        "confidence_justice": "3",
    }.items():
        page.select_option(f"select[name=outcomemeasures-0-{name}]", value)
    page.select_option("select[name=close_reason]", "support_completed")
    with page.expect_navigation():  # the same URL again: wait for the saved page
        page.click("input[name=_continue]")

    high.refresh_from_db()
    assert high.status == Case.Status.CLOSED and high.risk_level == CaseRisk.HIGH
    assert OutcomeMeasure.objects.get(case=high, stage="closure").informed == 5
    assert high.needsassessments.get().needs == ["emotional_support", "repeat_victimisation"]
    # The access log shows every look at the case, and no content.
    looks = AccessLogEntry.objects.filter(
        actor_username="ada", object_type="referrals.case", object_id=str(high.pk)
    )
    assert looks.count() >= 3
    assert all(entry.report_reference == high.reference for entry in looks)
    assert "scared" not in str(list(looks.values_list("detail", flat=True)))
