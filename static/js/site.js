// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Quick exit (the GOV.UK "Exit this page" pattern): one tap on the button,
  // Escape, or Shift pressed three times replaces this page with a neutral
  // site. location.replace() removes this page from the tab's history, so
  // Back does not return to it.
  var container = document.querySelector("[data-quick-exit-url]");
  if (container) {
    var exitUrl = container.getAttribute("data-quick-exit-url");
    var leave = function () {
      document.body.style.visibility = "hidden";
      try { document.title = "New tab"; } catch (e) { /* ignore */ }
      window.location.replace(exitUrl);
    };
    var button = document.getElementById("quick-exit");
    if (button) {
      button.addEventListener("click", function (event) { event.preventDefault(); leave(); });
    }
    var shiftPresses = 0;
    var shiftTimer = null;
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { leave(); return; }
      if (event.key === "Shift" && !event.repeat) {
        shiftPresses += 1;
        clearTimeout(shiftTimer);
        if (shiftPresses >= 3) { shiftPresses = 0; leave(); return; }
        shiftTimer = setTimeout(function () { shiftPresses = 0; }, 1000);
      } else if (event.key !== "Shift") {
        shiftPresses = 0;
      }
    });
  }

  // Move focus to the error summary so screen reader users hear it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // Stop a double tap sending a form twice.
  document.querySelectorAll("button[data-prevent-double-click]").forEach(function (button) {
    button.form && button.form.addEventListener("submit", function () {
      setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
