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
      // Escape also cancels text being composed with an input method editor
      // (and closes pickers, which then stop the event): only leave when
      // nothing else used the key.
      if (event.isComposing || event.defaultPrevented) { return; }
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
  // Its links move focus to the field and bring the field's question (label
  // or legend) into view with it, not just the input: the GOV.UK error
  // summary pattern. Scrolling leaves room for the sticky quick-exit bar
  // (scroll-padding in site.css), so the field is never hidden under it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      var input = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!input) { return; }
      var fieldset = input.closest("fieldset");
      var question = fieldset ? fieldset.querySelector("legend")
        : document.querySelector("label[for='" + input.id + "']");
      event.preventDefault();
      var target = input;
      if (question) {
        var gap = input.getBoundingClientRect().top - question.getBoundingClientRect().top;
        // A question far above its input would push the input off screen.
        if (gap < window.innerHeight / 2) { target = question; }
      }
      target.scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }

  // Questions that only apply after a particular answer (say, the name of
  // the organisation once "an organisation" is chosen) are hidden until it is
  // given. A question with an error is never hidden.
  document.querySelectorAll("[data-shown-when]").forEach(function (group) {
    var spec = group.getAttribute("data-shown-when").split(":");
    var values = spec[1].split(" ");
    var form = group.closest("form");
    var controls = form ? form.querySelectorAll("[name='" + spec[0] + "']") : [];
    if (!controls.length) { return; }
    var update = function () {
      var applies = Array.prototype.some.call(controls, function (control) {
        var chosen = control.type === "radio" || control.type === "checkbox" ? control.checked : true;
        return chosen && values.indexOf(control.value) !== -1;
      });
      group.hidden = !applies && !group.classList.contains("form-group--error");
    };
    Array.prototype.forEach.call(controls, function (control) {
      control.addEventListener("change", update);
    });
    update();
  });

  // Stop a double tap sending a form twice.
  document.querySelectorAll("button[data-prevent-double-click]").forEach(function (button) {
    button.form && button.form.addEventListener("submit", function () {
      setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
