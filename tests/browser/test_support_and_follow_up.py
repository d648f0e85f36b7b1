"""The support directory's filter, and coming back with a reference and
secret to see a report's status and add to it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from referrals.models import Service
from reports.models import AdditionalInformation, Area, Strand
from tests.browser.pages import submit
from tests.browser.visitor import MOBILE, Visitor
from tests.helpers import submit as submit_report


def listed(strand: str | None = None, area: str | None = None) -> list[str]:
    services = Service.objects.listed().for_strands_and_area(
        strands=[Strand.objects.get(code=strand)] if strand else None,
        area=Area.objects.get(code=area) if area else None,
    )
    return [f"{service.provider.name}: {service.name}" for service in services]


def shown(page: Page) -> list[str]:
    return [name.strip() for name in page.locator(".service h3").all_inner_texts()]


@pytest.mark.parametrize("device", [MOBILE], ids=["phone"])
def test_the_support_directory_filters_by_strand_and_area(visitor: Visitor, page: Page) -> None:
    visitor.goto("/")
    visitor.audit()
    page.get_by_role("link", name="Get support now").click()
    visitor.wait_for("/support/")
    visitor.audit()
    assert shown(page) == listed()
    expect(page.get_by_role("heading", name=f"{len(listed())} services")).to_be_visible()

    page.get_by_label("What was it about?").select_option(label="Disability")
    page.get_by_label("Where?").select_option(label="Derbyshire")
    page.get_by_role("button", name="Show services").click()
    visitor.wait_for("/support/?strand=disability&area=force%3Aderbyshire")
    visitor.audit()
    expected = listed("disability", "force:derbyshire")
    assert shown(page) == expected
    assert any("Disability Direct" in name for name in expected)
    assert not any("Galop" in name for name in expected)
    # The choices stay selected, so the person can see what they filtered by.
    expect(page.get_by_label("What was it about?")).to_have_value("disability")
    expect(page.get_by_label("Where?")).to_have_value("force:derbyshire")

    page.get_by_label("What was it about?").select_option(label="Sexual orientation")
    page.get_by_label("Where?").select_option(label="Tower Hamlets")
    page.get_by_role("button", name="Show services").click()
    visitor.wait_for("/support/?strand=sexual-orientation&area=E09000030")
    visitor.audit()
    expected = listed("sexual-orientation", "E09000030")
    assert shown(page) == expected
    assert any("Galop" in name for name in expected)
    # Each service says how to contact it.
    first = page.locator(".service").first
    expect(first.get_by_role("link").first).to_be_visible()

    # The quick exit stays in reach at the top as the page scrolls, and is a
    # big enough target for a thumb; one tap leaves.
    page.mouse.wheel(0, 3000)
    button = page.get_by_role("link", name="Leave this site")
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    button.tap()
    page.wait_for_url(visitor.exit_url)


def test_a_reporter_comes_back_to_see_the_status_and_add_information(
    visitor: Visitor, page: Page, valid_report: dict[str, Any]
) -> None:
    submission = submit_report(valid_report)
    reference, secret = submission.report.reference, submission.follow_up_secret
    visitor.goto("/")
    visitor.audit()
    page.get_by_role("link", name="Check or add to a report").click()
    visitor.wait_for("/follow-up/")
    visitor.audit()

    submit(page)
    visitor.audit()
    summary = page.locator(".error-summary")
    summary.get_by_role("link", name="Enter your follow-up secret.").click()
    expect(page.get_by_label("Follow-up secret")).to_be_focused()

    # Typed as a person might: lower case, spaces instead of dashes.
    page.get_by_label("Reference").fill(reference.lower().replace("-", " "))
    page.get_by_label("Follow-up secret").fill(secret.lower().replace("-", " "))
    page.get_by_role("button", name="Continue").click()
    visitor.wait_for("/follow-up/your-report/")
    visitor.audit()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.locator("#status-text")).to_have_text(
        "We have received your report. Nobody has looked at it yet."
    )

    submit(page, "Add to my report")
    visitor.audit()
    expect(page.locator(".error-summary")).to_contain_text("Enter what you would like to add.")
    page.get_by_label("What would you like to add?").fill("He came back the next day.")
    submit(page, "Add to my report")
    expect(page.get_by_role("status")).to_have_text("Thank you. We have added this to your report.")
    visitor.audit()
    addition = AdditionalInformation.objects.get(report=submission.report)
    assert addition.text == "He came back the next day."

    page.get_by_role("button", name="I have finished").click()
    visitor.wait_for("/")
    visitor.goto("/follow-up/your-report/")
    visitor.wait_for("/follow-up/")
