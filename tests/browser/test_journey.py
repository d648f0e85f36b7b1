"""The reporting journey in a real browser: victim, anonymous and third-party
reports, changing an answer, errors, refresh and Back, and the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from referrals.models import Service
from reports.models import Area, Report, Strand
from tests.browser.pages import (
    answer_people,
    answer_support_with_contact,
    answer_what,
    answer_where_street,
    answer_who,
    answer_why,
    choose,
    continue_to,
    question,
    send_report,
    start_report,
    submit,
    summary_value,
)
from tests.browser.visitor import MOBILE, Visitor


def service_names(page: Page) -> list[str]:
    return [name.strip() for name in page.locator(".service h3").all_inner_texts()]


def expected_services(strands: list[str], area: str) -> list[str]:
    services = Service.objects.listed().for_strands_and_area(
        strands=list(Strand.objects.filter(code__in=strands)), area=Area.objects.get(code=area)
    )
    return [f"{service.provider.name}: {service.name}" for service in services]


@pytest.mark.parametrize("device", [MOBILE], ids=["phone"])
def test_a_victim_reports_on_a_phone_changes_an_answer_and_gets_support(
    visitor: Visitor, page: Page
) -> None:
    start_report(visitor)
    expect(page.locator("h1")).to_have_text("Who is reporting")
    answer_who(page)
    continue_to(visitor, "/report/what/")
    answer_what(page)
    continue_to(visitor, "/report/where/")
    answer_where_street(page, area="Lambeth")
    continue_to(visitor, "/report/why/")
    answer_why(page, "Race or ethnicity", "Religion or belief")
    continue_to(visitor, "/report/people/")
    answer_people(page)
    continue_to(visitor, "/report/evidence/")
    continue_to(visitor, "/report/support/")
    answer_support_with_contact(page)
    continue_to(visitor, "/report/check-your-answers/")

    expect(summary_value(page, "Which area?")).to_have_text("Lambeth")
    expect(summary_value(page, "Postcode (if you know it)")).to_have_text("E1 1BJ")
    expect(summary_value(page, "Email address")).to_have_text("reporter@example.org")
    expect(summary_value(page, "Why do you think it happened?")).to_have_text(
        "Race or ethnicity, Religion or belief"
    )
    # Change an answer: the change page goes back to check your answers.
    page.get_by_role("link", name="Change which area?").click()
    page.wait_for_url(re.compile(r"/report/where/\?change=1"))
    visitor.audit()
    expect(page.get_by_role("link", name="Back")).to_have_attribute(
        "href", "/report/check-your-answers/"
    )
    expect(page.get_by_label("Street, building or place")).to_have_value(
        "Whitechapel Road, by the market"
    )
    page.get_by_label("Which area?").select_option(label="Tower Hamlets")
    continue_to(visitor, "/report/check-your-answers/")
    expect(summary_value(page, "Which area?")).to_have_text("Tower Hamlets")

    reference, secret = send_report(visitor)
    report = Report.objects.get()
    assert report.reference == reference
    assert report.reporter_role == "victim" and report.area is not None
    assert report.area.code == "E09000030"
    assert not report.anonymous and report.contact_email == "reporter@example.org"
    expect(page.locator("h1")).to_have_text("Report sent")
    expected = expected_services(["race", "religion"], "E09000030")
    assert service_names(page) == expected
    assert any("Tell MAMA" in name for name in expected) and any("CATCH" in n for n in expected)
    assert not any("Disability Direct" in name for name in expected)

    # The secret is shown once: a refresh shows a page without it.
    page.reload()
    visitor.audit()
    expect(page.locator("h1")).to_have_text("This page has expired")
    expect(page.get_by_text(secret)).to_have_count(0)


def test_an_anonymous_reporter_is_not_asked_how_to_be_contacted(
    visitor: Visitor, page: Page
) -> None:
    start_report(visitor)
    # The consequences of anonymity are explained beside the question.
    expect(question(page, "Do you want to report anonymously?")).to_contain_text(
        "Nobody will be able to contact you"
    )
    answer_who(page, "I saw or heard it happen (a witness)", anonymous=True)
    continue_to(visitor, "/report/what/")
    answer_what(page)
    continue_to(visitor, "/report/where/")
    answer_where_street(page)
    continue_to(visitor, "/report/why/")
    answer_why(page)
    continue_to(visitor, "/report/people/")
    answer_people(page)
    continue_to(visitor, "/report/evidence/")
    continue_to(visitor, "/report/support/")
    for label in ("Your name", "Email address", "Phone number", "How can we contact you?"):
        expect(page.get_by_label(label)).to_have_count(0)
    expect(page.locator("input[name^='contact_'], input[name^='consent_']")).to_have_count(0)
    choose(page, "Would you like a support service to contact you?", "No")
    choose(page, "Do you want us to tell the police about this?", "Yes")
    continue_to(visitor, "/report/check-your-answers/")
    expect(page.locator("dt", has_text="Email address")).to_have_count(0)
    expect(summary_value(page, "Do you want to report anonymously?")).to_have_text("Yes")

    send_report(visitor)
    report = Report.objects.get()
    assert report.anonymous and report.reporter_role == "witness"
    assert report.contact_name == report.contact_email == report.contact_phone == ""
    expected = expected_services(["religion"], "E09000030")
    assert service_names(page) == expected


def test_an_organisation_reports_online_hate_for_someone(visitor: Visitor, page: Page) -> None:
    start_report(visitor)
    # The organisation's name is asked once that answer is chosen.
    organisation_name = page.get_by_label("Name of the organisation")
    expect(organisation_name).to_be_hidden()
    answer_who(page, "I am reporting for an organisation, such as a reporting centre")
    expect(organisation_name).to_be_visible()
    organisation_name.fill("")
    submit(page)
    visitor.audit()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter the name of the organisation.")
    summary.get_by_role("link", name="Enter the name of the organisation.").click()
    expect(page.get_by_label("Name of the organisation")).to_be_focused()
    page.get_by_label("Name of the organisation").fill("Eastside Third Party Reporting Centre")
    continue_to(visitor, "/report/what/")

    page.get_by_label("Online abuse").check()
    page.get_by_label("Tell us what happened").fill("Messages calling her slurs every day.")
    choose(page, "When did it happen?", "Over a period of time")
    page.get_by_label("When did it start?").fill("2026-09-01")
    choose(page, "Is it still happening?", "Yes")
    continue_to(visitor, "/report/where/")
    choose(
        page, "Where did it happen?", "Online (social media, messages, email, a website or a game)"
    )
    page.get_by_label("Which area?").select_option(label="Derbyshire")
    page.get_by_label("Website, app or platform").fill("A photo sharing app")
    page.get_by_label("Link to the post, page or account (if you have it)").fill(
        "https://social.example/@someone"
    )
    page.get_by_label("Username of the account responsible (if you know it)").fill("@someone")
    continue_to(visitor, "/report/why/")
    answer_why(page, "Disability")
    continue_to(visitor, "/report/people/")
    answer_people(page)
    continue_to(visitor, "/report/evidence/")
    continue_to(visitor, "/report/support/")
    answer_support_with_contact(page, email="centre@example.org")
    continue_to(visitor, "/report/check-your-answers/")
    expect(summary_value(page, "Name of the organisation")).to_have_text(
        "Eastside Third Party Reporting Centre"
    )
    expect(summary_value(page, "Website, app or platform")).to_have_text("A photo sharing app")

    send_report(visitor)
    report = Report.objects.get()
    assert report.reporter_role == "organisation"
    assert report.organisation_name == "Eastside Third Party Reporting Centre"
    assert report.location_kind == "online" and report.online_platform == "A photo sharing app"
    expected = expected_services(["disability"], "force:derbyshire")
    assert service_names(page) == expected
    assert any("Disability Direct" in name for name in expected)


FOCUS_JS = """() => {
  const el = document.activeElement;
  const box = el.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  return {
    id: el.id,
    visible: box.top >= 0 && box.bottom <= window.innerHeight,
    unobscured: !!hit && (hit === el || el.contains(hit) || (hit.control === el)),
    hit: hit && hit.outerHTML.slice(0, 120),
  };
}"""
# The question's label or legend is in view too, not under the quick-exit bar.
QUESTION_IN_VIEW_JS = """(id) => {
  const el = document.getElementById(id);
  const fieldset = el.closest("fieldset");
  const label = fieldset ? fieldset.querySelector("legend") : document.querySelector(`label[for="${id}"]`);
  const box = label.getBoundingClientRect();
  const bar = document.querySelector(".quick-exit").getBoundingClientRect();
  return box.top >= bar.bottom - 1 && box.bottom <= window.innerHeight;
}"""


def test_errors_are_summarised_at_the_top_linked_to_their_fields(
    visitor: Visitor, page: Page
) -> None:
    start_report(visitor)
    answer_who(page)
    continue_to(visitor, "/report/what/")
    submit(page)
    visitor.audit()
    assert page.title().startswith("Error:")
    summary = page.locator(".error-summary")
    # The summary comes first in the main content and screen readers hear it first.
    expect(page.locator("main > *").first).to_have_class(re.compile("error-summary"))
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expected = {
        "Select what happened.": "id_incident_types_0",
        "Tell us what happened.": "id_account",
        "Select when it happened.": "id_when_kind_0",
        "Select whether it is still happening.": "id_still_happening_0",
    }
    expect(links).to_have_text(list(expected))
    for message, field_id in expected.items():
        page.mouse.wheel(0, 5000)  # from the bottom of the page, as after reading it
        summary.get_by_role("link", name=message).click()
        expect(page.locator(f"#{field_id}")).to_be_focused()
        focus = page.evaluate(FOCUS_JS)
        assert focus["visible"] and focus["unobscured"], (message, focus)
        assert page.evaluate(QUESTION_IN_VIEW_JS, field_id), message
        # The same message is next to the field, and read out with it.
        name = field_id.removeprefix("id_").removesuffix("_0")
        error = page.locator(f"#group-{name} .error-message")
        expect(error).to_contain_text(message)
        described = page.locator(f"#group-{name} [aria-describedby~='id_{name}-error']")
        expect(described).to_have_count(1)

    # Fixing one answer leaves the others' errors, and keeps what was typed.
    page.get_by_label("Tell us what happened").fill("Someone spat at me.")
    submit(page)
    expect(page.locator(".error-summary").get_by_role("link")).to_have_count(3)
    expect(page.get_by_label("Tell us what happened")).to_have_value("Someone spat at me.")
    expect(page.locator("#group-account .error-message")).to_have_count(0)


def test_refresh_and_back_keep_the_answers(visitor: Visitor, page: Page) -> None:
    start_report(visitor)
    answer_who(page)
    continue_to(visitor, "/report/what/")
    answer_what(page, account="A neighbour keeps leaving notes.")
    continue_to(visitor, "/report/where/")

    page.go_back()
    visitor.wait_for("/report/what/")
    expect(page.get_by_label("Tell us what happened")).to_have_value(
        "A neighbour keeps leaving notes."
    )
    expect(page.get_by_label("Verbal abuse or insults")).to_be_checked()
    expect(page.get_by_label("Date", exact=True)).to_have_value("2026-10-30")
    page.reload()
    expect(page.get_by_label("Tell us what happened")).to_have_value(
        "A neighbour keeps leaving notes."
    )
    expect(question(page, "Is it still happening?").get_by_label("No", exact=True)).to_be_checked()
    page.go_forward()
    visitor.wait_for("/report/where/")
    # The answers are on the server: the browser holds only the session and
    # CSRF cookies, and the session cookie cannot be read by scripts.
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert set(cookies) <= {"sessionid", "csrftoken"}, cookies
    assert cookies["sessionid"]["httpOnly"]
    # The page's own Back link too.
    page.get_by_role("link", name="Back").click()
    visitor.wait_for("/report/what/")
    expect(page.get_by_label("Threats")).to_be_checked()
    page.get_by_role("link", name="Back").click()
    visitor.wait_for("/report/who/")
    expect(page.get_by_label("I am the victim")).to_be_checked()


FOCUS_STYLE_JS = """() => {
  const style = getComputedStyle(document.activeElement);
  return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
    || style.boxShadow !== "none";
}"""


def tab_to(page: Page, selector: str, limit: int = 15) -> None:
    """Press Tab until the element is focused, checking each stop shows its focus."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_STYLE_JS), page.evaluate("document.activeElement.outerHTML")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} not reached with Tab")


def test_a_page_can_be_answered_with_the_keyboard_alone(visitor: Visitor, page: Page) -> None:
    visitor.goto("/report/")
    visitor.audit()
    # The skip link is the first stop, and it moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    tab_to(page, "a.button--start")
    page.keyboard.press("Enter")
    visitor.wait_for("/report/who/")
    visitor.audit()

    tab_to(page, "#id_reporter_role_0")
    page.keyboard.press("Space")
    expect(page.get_by_label("I am the victim")).to_be_checked()
    page.keyboard.press("ArrowDown")  # arrows move within a group of radios
    expect(page.get_by_label("I saw or heard it happen (a witness)")).to_be_checked()
    tab_to(page, "#id_anonymous_0")  # the organisation's name is not asked of a witness
    page.keyboard.press("ArrowDown")
    expect(question(page, "Do you want to report anonymously?").get_by_label("No")).to_be_checked()
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    visitor.wait_for("/report/what/")
    visitor.audit()
    page.go_back()
    expect(page.get_by_label("I saw or heard it happen (a witness)")).to_be_checked()
