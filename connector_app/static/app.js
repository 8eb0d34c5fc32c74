// Small progressive enhancements. Pages work without this file; no inline script anywhere (CSP).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // Plain (non-htmx) forms that ask for confirmation: <form data-confirm="Really disconnect?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !form.hasAttribute("hx-post") && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Keep the CSRF header current after htmx swaps the body (e.g. history restore).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
  // The header's menu folds behind "Menu" on narrow screens.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".nav-toggle");
    if (!toggle) { return; }
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (menu) { menu.classList.toggle("is-open", open); }
  });
  // Forms that want the browser's timezone (sign-up): <input type="hidden" data-browser-timezone>.
  document.addEventListener("DOMContentLoaded", function () {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    document.querySelectorAll("input[data-browser-timezone]").forEach(function (input) {
      if (!input.value) { input.value = zone; }
    });
    // Settings: one click picks the browser's zone out of the long list.
    document.querySelectorAll("[data-use-browser-timezone]").forEach(function (button) {
      var select = document.getElementById(button.getAttribute("data-use-browser-timezone"));
      if (!zone || !select || !select.querySelector('option[value="' + zone + '"]') || select.value === zone) { return; }
      button.textContent = "Use my browser's timezone (" + zone.replace(/_/g, " ") + ")";
      button.hidden = false;
      button.addEventListener("click", function () { select.value = zone; button.hidden = true; });
    });
  });
})();
