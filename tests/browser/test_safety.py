"""Leaving quickly and leaving no trace: the quick exit (button, Escape,
Shift three times) replaces the page so Back does not return to the report;
titles are neutral and nothing is kept in the browser's storage (both
checked on every page by Visitor.audit)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.pages import answer_who, continue_to, start_report
from tests.browser.visitor import Visitor


def press_shift_three_times(page: Page) -> None:
    for _ in range(3):
        page.keyboard.press("Shift")


WAYS_OUT: dict[str, Callable[[Page], None]] = {
    "button": lambda page: page.get_by_role("link", name="Leave this site").click(),
    "escape": lambda page: page.keyboard.press("Escape"),
    "shift three times": press_shift_three_times,
}


def test_quick_exit_leaves_and_back_does_not_return_to_the_report(
    visitor: Visitor, page: Page
) -> None:
    start_report(visitor)
    answer_who(page)
    continue_to(visitor, "/report/what/")
    account = page.get_by_label("Tell us what happened")
    # Typing capitals, or Shift pressed now and then, does not leave.
    account.press_sequentially("He said A B C")
    for key in ("Shift", "Shift", "a", "Shift"):
        page.keyboard.press(key)
    expect(account).to_have_value("He said A B Ca")
    assert visitor.path() == "/report/what/"

    for way_out, leave in WAYS_OUT.items():
        leave(page)
        visitor.page.wait_for_url(visitor.exit_url)
        expect(page).to_have_title("Weather")
        # location.replace: the report page is no longer in this tab's history.
        page.go_back()
        visitor.wait_for("/report/who/")
        assert visitor.path() != "/report/what/", way_out
        continue_to(visitor, "/report/what/")
