"""The whole journey in Welsh and in Arabic in a real browser, axe clean on
every page; Arabic laid out right to left (the document's direction, the back
link and the radios on the right); a change of language mid-journey."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from reports.models import Report
from tests.browser.pages import REFERENCE
from tests.browser.visitor import MOBILE, Visitor


@dataclass(frozen=True)
class Language:
    code: str
    direction: str
    switcher: str  # the language's own name, on the switcher's button
    report: str  # "Report a hate crime or incident"
    start: str  # "Start now"
    next: str  # "Continue"
    send: str  # "Send report"
    victim: str  # "I am the victim"
    sent: str  # "Report sent"
    problem: str  # "There is a problem"


WELSH = Language(
    code="cy",
    direction="ltr",
    switcher="Cymraeg",
    report="Rhoi gwybod am drosedd neu ddigwyddiad casineb",
    start="Dechrau nawr",
    next="Parhau",
    send="Anfon adroddiad",
    victim="Fi yw'r dioddefwr",
    sent="Adroddiad wedi'i anfon",
    problem="Mae problem",
)
ARABIC = Language(
    code="ar",
    direction="rtl",
    switcher="العربيّة",
    report="أبلغ عن جريمة أو حادثة كراهية",
    start="ابدأ الآن",
    next="متابعة",
    send="أرسل البلاغ",
    victim="أنا الضحية",
    sent="تم إرسال البلاغ",
    problem="هناك مشكلة",
)


def switch_language(visitor: Visitor, language: Language) -> None:
    """Press the language's button on the switcher: the same page comes back."""
    path = visitor.path()
    with visitor.page.expect_navigation():
        visitor.page.get_by_role("button", name=language.switcher, exact=True).click()
    visitor.wait_for(path)
    expect(visitor.page.locator("html")).to_have_attribute("lang", language.code)
    expect(visitor.page.locator("html")).to_have_attribute("dir", language.direction)
    visitor.audit()


def next_page(visitor: Visitor, language: Language, path: str, button: str = "") -> None:
    visitor.page.get_by_role("button", name=button or language.next, exact=True).click()
    visitor.wait_for(path)
    check_page(visitor, language)


def check_page(visitor: Visitor, language: Language) -> None:
    """The page is in the language, in its direction, and passes the audit."""
    page = visitor.page
    expect(page.locator("html")).to_have_attribute("lang", language.code)
    assert page.evaluate("getComputedStyle(document.body).direction") == language.direction
    visitor.audit()
    back = page.locator("#back-link")
    if back.count():
        box = back.bounding_box()
        assert box is not None
        width = page.evaluate("document.documentElement.clientWidth")
        # The back link sits at the start of the line: on the right in Arabic.
        if language.direction == "rtl":
            assert box["x"] > width / 2, (visitor.path(), box, width)
        else:
            assert box["x"] + box["width"] < width / 2, (visitor.path(), box, width)


def radio(page: Page, name: str, value: str) -> None:
    page.locator(f"input[name='{name}'][value='{value}']").check()


def walk_the_journey(visitor: Visitor, language: Language) -> None:
    page = visitor.page
    visitor.goto("/")
    visitor.audit()
    switch_language(visitor, language)
    page.get_by_role("link", name=language.report).click()
    visitor.wait_for("/report/")
    check_page(visitor, language)
    page.get_by_role("link", name=language.start).click()
    visitor.wait_for("/report/who/")
    check_page(visitor, language)

    # An error first: the summary is in the language and links to the field.
    next_page(visitor, language, "/report/who/")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text(language.problem)
    assert summary.evaluate("el => getComputedStyle(el).direction") == language.direction

    page.get_by_label(language.victim, exact=True).check()
    radio(page, "anonymous", "no")
    label = page.locator("label[for='id_reporter_role_0']").bounding_box()
    box = page.locator("#id_reporter_role_0").bounding_box()
    assert label is not None and box is not None
    # The radio comes before its label in reading order: right of it in Arabic.
    assert (box["x"] > label["x"]) == (language.direction == "rtl")
    next_page(visitor, language, "/report/what/")

    page.locator("input[name='incident_types'][value='verbal-abuse']").check()
    page.locator("#id_account").fill("Abuse shouted at me at the bus stop.")
    radio(page, "when_kind", "date")
    page.locator("#id_occurred_on").fill("2026-10-30")
    radio(page, "still_happening", "no")
    next_page(visitor, language, "/report/where/")

    radio(page, "location_kind", "street")
    page.locator("#id_area").select_option(value="E09000030")
    page.locator("#id_location_description").fill("Whitechapel Road")
    next_page(visitor, language, "/report/why/")

    page.locator("input[name='strands'][value='religion']").check()
    next_page(visitor, language, "/report/people/")

    radio(page, "perpetrator_known", "no")
    radio(page, "happened_before", "no")
    next_page(visitor, language, "/report/evidence/")
    next_page(visitor, language, "/report/support/")

    radio(page, "wants_support", "no")
    radio(page, "wants_police_told", "no")
    next_page(visitor, language, "/report/check-your-answers/")
    expect(page.locator("main")).to_contain_text("Whitechapel Road")

    next_page(visitor, language, "/report/confirmation/", button=language.send)
    expect(page.locator("h1")).to_have_text(language.sent)
    reference = page.locator("#reference")
    assert REFERENCE.match(reference.inner_text().strip())
    # References and secrets read left to right in every language.
    assert reference.evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert page.locator("#secret").evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert Report.objects.get().language == language.code


def test_the_whole_journey_in_welsh(visitor: Visitor) -> None:
    walk_the_journey(visitor, WELSH)


def test_the_whole_journey_in_arabic_right_to_left(visitor: Visitor) -> None:
    walk_the_journey(visitor, ARABIC)


@pytest.mark.parametrize("device", [MOBILE], ids=["phone"])
def test_the_journey_in_arabic_on_a_phone(visitor: Visitor) -> None:
    walk_the_journey(visitor, ARABIC)


def test_switching_language_mid_journey_keeps_the_answers(visitor: Visitor, page: Page) -> None:
    visitor.goto("/report/who/")
    visitor.audit()
    page.get_by_label("I am the victim", exact=True).check()
    radio(page, "anonymous", "no")
    page.get_by_role("button", name="Continue").click()
    visitor.wait_for("/report/what/")
    visitor.audit()
    page.locator("#id_account").fill("Typed before switching")
    switch_language(visitor, ARABIC)
    # What was typed on this page is kept, and the pages already answered.
    expect(page.locator("#id_account")).to_have_value("Typed before switching")
    page.get_by_role("link", name="رجوع").click()
    visitor.wait_for("/report/who/")
    check_page(visitor, ARABIC)
    expect(page.get_by_label(ARABIC.victim, exact=True)).to_be_checked()
    switch_language(visitor, WELSH)
    expect(page.get_by_label(WELSH.victim, exact=True)).to_be_checked()


def test_the_switcher_works_with_the_keyboard_alone(visitor: Visitor, page: Page) -> None:
    visitor.goto("/report/")
    visitor.audit()
    button = page.get_by_role("button", name=WELSH.switcher, exact=True)
    for _ in range(10):
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    expect(button).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    visitor.wait_for("/report/")
    check_page(visitor, WELSH)
    expect(page.get_by_role("link", name=WELSH.start)).to_be_visible()
