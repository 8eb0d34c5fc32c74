// Small progressive enhancements. Pages work without this file; no inline script anywhere (CSP).
(function () {
  "use strict";
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
})();
