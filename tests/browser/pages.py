"""Answering the journey's pages as a person does: by the labels they read."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.visitor import Visitor

ALPHABET = "[0-9A-HJKMNP-TV-Z]"  # Crockford's base32: no I, L, O or U
REFERENCE = re.compile(rf"^HC-{ALPHABET}{{4}}-{ALPHABET}{{4}}$")
SECRET = re.compile(rf"^{ALPHABET}{{4}}(-{ALPHABET}{{4}}){{3}}$")
STEP_PATHS = [
    f"/report/{slug}/" for slug in ("who", "what", "where", "why", "people", "evidence", "support")
]


def question(page: Page, legend: str) -> Locator:
    """A question shown as a group of radios or checkboxes, by its legend."""
    return page.get_by_role("group", name=legend, exact=True)


def choose(page: Page, legend: str, option: str) -> None:
    question(page, legend).get_by_label(option, exact=True).check()


def submit(page: Page, button: str = "Continue") -> None:
    """Press a form's button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def continue_to(visitor: Visitor, path: str, button: str = "Continue") -> None:
    visitor.page.get_by_role("button", name=button).click()
    visitor.wait_for(path)
    visitor.audit()


def start_report(visitor: Visitor) -> None:
    visitor.goto("/")
    visitor.audit()
    visitor.page.get_by_role("link", name="Report a hate crime or incident").click()
    visitor.wait_for("/report/")
    visitor.audit()
    visitor.page.get_by_role("link", name="Start now").click()
    visitor.wait_for("/report/who/")
    visitor.audit()


def answer_who(
    page: Page, role: str = "I am the victim", *, anonymous: bool = False, organisation: str = ""
) -> None:
    choose(page, "Who is making this report?", role)
    if organisation:
        page.get_by_label("Name of the organisation").fill(organisation)
    choose(page, "Do you want to report anonymously?", "Yes" if anonymous else "No")


def answer_what(page: Page, account: str = "They shouted abuse about my religion.") -> None:
    group = question(page, "What happened?")
    group.get_by_label("Verbal abuse or insults").check()
    group.get_by_label("Threats").check()
    page.get_by_label("Tell us what happened").fill(account)
    choose(page, "When did it happen?", "On a date I know")
    page.get_by_label("Date", exact=True).fill("2026-10-30")
    choose(page, "What time of day was it?", "Evening")
    choose(page, "Is it still happening?", "No")


def answer_where_street(page: Page, area: str = "Tower Hamlets") -> None:
    choose(
        page, "Where did it happen?", "At a place (a street, building, transport or other place)"
    )
    page.get_by_label("Which area?").select_option(label=area)
    page.get_by_label("Street, building or place").fill("Whitechapel Road, by the market")
    page.get_by_label("Postcode (if you know it)").fill("e1 1bj")


def answer_why(page: Page, *strands: str) -> None:
    group = question(page, "Why do you think it happened?")
    for strand in strands or ("Religion or belief",):
        group.get_by_label(strand).check()
    page.get_by_label("What was said or done that makes you think this? (optional)").fill(
        "They shouted about my headscarf."
    )


def answer_people(page: Page) -> None:
    page.get_by_label("Describe the person or people responsible (optional)").fill(
        "A man in his forties with a grey coat"
    )
    choose(page, "Does the person it happened to know who did it?", "No")
    choose(page, "Has something like this happened to them before?", "Yes")


def answer_support_with_contact(page: Page, email: str = "reporter@example.org") -> None:
    choose(page, "Would you like a support service to contact you?", "Yes")
    choose(page, "Do you want us to tell the police about this?", "Yes")
    page.get_by_label(
        "I agree to my name and contact details being given to a support service"
    ).check()
    page.get_by_label("Your name").fill("Amara Okafor")
    question(page, "How can we contact you?").get_by_label("Email").check()
    page.get_by_label("Email address").fill(email)
    choose(page, "Is it safe to leave you a message?", "No")


def summary_value(page: Page, key: str) -> Locator:
    """The answer shown against a question on the check-your-answers page."""
    row = page.locator(".summary-list__row").filter(
        has=page.locator("dt", has_text=re.compile(f"^{re.escape(key)}$"))
    )
    expect(row).to_have_count(1)
    return row.locator(".summary-list__value")


def send_report(visitor: Visitor) -> tuple[str, str]:
    """Send from check your answers; the reference and secret the confirmation shows."""
    continue_to(visitor, "/report/confirmation/", button="Send report")
    page = visitor.page
    reference = page.locator("#reference").inner_text().strip()
    secret = page.locator("#secret").inner_text().strip()
    assert REFERENCE.match(reference), reference
    assert SECRET.match(secret), secret
    return reference, secret
