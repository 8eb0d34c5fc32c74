// Returns grid enhancements: closing the detail drawer. The grid works without this file.
(function () {
  "use strict";
  function drawer() { return document.getElementById("returns-drawer"); }
  function close() { var d = drawer(); if (d) { d.innerHTML = ""; } }
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-drawer-close]");
    if (target) { event.preventDefault(); close(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { close(); }
  });
  // Moving to another tab or page closes a drawer that showed a request of the old list.
  document.addEventListener("htmx:pushedIntoHistory", close);
})();
