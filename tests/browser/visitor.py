"""A page in the browser, with the checks every page of the service must pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Frame, Page, Response

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
BLOCKING_IMPACTS = {"serious", "critical"}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
# A small phone: the journey is mobile first.
MOBILE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 667},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
EXIT_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><title>Weather</title></head>'
    "<body><h1>Weather</h1><p>Sunny spells.</p></body></html>"
)

# Whether the page is wider than the viewport, left to right and (the layout
# must mirror for right-to-left languages) right to left; with the elements
# that stick out, for a useful message.
OVERFLOW_JS = """() => {
  const root = document.documentElement;
  const original = root.dir;
  const measure = () => {
    const width = root.clientWidth;
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => { const box = el.getBoundingClientRect(); return box.right > width + 1; })
      .slice(0, 5)
      .map((el) => el.outerHTML.slice(0, 160));
    return {width, scrollWidth: root.scrollWidth, wide};
  };
  const result = {ltr: measure()};
  root.dir = original === "rtl" ? "ltr" : "rtl";
  result[root.dir] = measure();
  root.dir = original;
  return result;
}"""
# The page's structure without its text or values: elements, ids, classes
# and states, hashed.
SHAPE_JS = """() => {
  const parts = [...document.querySelectorAll("body *")].map((el) =>
    [el.tagName, el.id, el.className, el.getAttribute("role"), el.hidden, el.disabled].join("|"));
  let hash = 0;
  for (const ch of parts.join("/")) hash = (Math.imul(31, hash) + ch.charCodeAt(0)) | 0;
  return hash;
}"""
STORAGE_JS = """async () => ({
  local: localStorage.length,
  session: sessionStorage.length,
  indexedDB: (await indexedDB.databases()).length,
})"""


@dataclass
class Visitor:
    """A page in a browser, with the checks every page must pass."""

    page: Page
    axe: Axe
    base_url: str
    exit_url: str
    axe_checked: set[tuple[Any, ...]]
    visited: list[str] = field(default_factory=list)
    audited: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def wait_for(self, path: str) -> None:
        """Wait until the page is the service's ``path`` (any #fragment aside)."""
        self.page.wait_for_url(lambda url: urldefrag(url).url == self.base_url + path)

    def path(self) -> str:
        url = urldefrag(self.page.url).url
        return url.removeprefix(self.base_url) if url.startswith(self.base_url) else url

    def audit(self) -> None:
        page = self.page
        where = self.path()
        title = page.title()
        assert title, f"{where}: no title"
        assert "hate" not in title.lower(), f"{where}: title is not neutral: {title!r}"
        assert page.evaluate(STORAGE_JS) == {"local": 0, "session": 0, "indexedDB": 0}, where
        for direction, overflow in page.evaluate(OVERFLOW_JS).items():
            assert overflow["scrollWidth"] <= overflow["width"], (where, direction, overflow)
        # axe is the slow check: a page already checked in this run, in the
        # same state (the same elements in the same viewport), is not checked again.
        shape = (where, page.viewport_size and page.viewport_size["width"], page.evaluate(SHAPE_JS))
        if shape not in self.axe_checked:
            results = self.axe.run(page, options=AXE_OPTIONS)
            blocking = [
                v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS
            ]
            assert not blocking, f"{where}: " + "; ".join(
                f"{v['id']} ({v['impact']}): {v['help']} at "
                + ", ".join(" ".join(node["target"]) for node in v["nodes"])
                for v in blocking
            )
            self.axe_checked.add(shape)
        self.audited.add(where)

    def _on_navigated(self, frame: Frame) -> None:
        if frame.parent_frame is not None:
            return
        url = urldefrag(frame.url).url
        if url.startswith(self.base_url):
            self.visited.append(url.removeprefix(self.base_url))

    def _on_console(self, message: ConsoleMessage) -> None:
        # A failed document load (a 400 form page) is logged too; stylesheets
        # and scripts are checked through their responses instead.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console on {self.path()}: {message.text} {message.location}")

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")
