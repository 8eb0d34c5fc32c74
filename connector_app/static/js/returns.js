// Returns grid enhancements. The grid works without this file (links open full pages, forms submit).
// - The request detail opens in a modal dialog (the drawer) that takes focus and gives it back.
// - A live refresh (the grid reloading itself after a change) highlights the rows that changed, keeps
//   the row under the pointer (or the keyboard focus) where it was, and keeps the ticked rows ticked.
// - "Select this page" and "Select all matching" tick the rows; the bulk toolbar shows the count.
// - The filters fold away on phones.
(function () {
  "use strict";
  var NARROW = "(max-width: 720px)";
  var trigger = null; // what opened the drawer: focus goes back there when it closes
  var triggerRow = null;
  var before = null; // the grid as it was before a swap

  function drawer() { return document.getElementById("returns-drawer"); }
  function grid() { return document.getElementById("returns-grid"); }

  function openDrawer() {
    var dialog = drawer();
    if (!dialog) { return; }
    if (!dialog.open) {
      if (typeof dialog.showModal === "function") { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    }
    document.documentElement.classList.add("drawer-open");
    var title = dialog.querySelector("#request-title");
    if (title) { title.focus(); }
  }

  function closeDrawer() {
    var dialog = drawer();
    if (dialog && dialog.open) {
      if (typeof dialog.close === "function") { dialog.close(); } else { dialog.removeAttribute("open"); afterClose(); }
    }
  }

  function afterClose() {
    var body = document.getElementById("returns-drawer-body");
    if (body) { body.innerHTML = ""; }
    document.documentElement.classList.remove("drawer-open");
    var target = trigger && document.contains(trigger) ? trigger : null;
    if (!target && triggerRow) { // the grid was refreshed meanwhile: the same request's link
      var row = document.getElementById(triggerRow);
      target = row && row.querySelector(".request-link");
    }
    if (target) { target.focus(); }
    trigger = triggerRow = null;
  }

  document.addEventListener("close", function (event) {
    if (event.target === drawer()) { afterClose(); }
  }, true);

  document.addEventListener("click", function (event) {
    var closer = event.target.closest && event.target.closest("[data-drawer-close]");
    if (closer && drawer() && drawer().contains(closer)) { event.preventDefault(); closeDrawer(); return; }
    if (event.target === drawer()) { closeDrawer(); return; } // a click on the backdrop
    // A request of the list opens in the drawer (one listener for every row: a page swap then has no
    // per-row htmx wiring to set up). A click with a modifier opens the full page as usual.
    var link = event.target.closest && event.target.closest("a[data-drawer]");
    if (!link || !window.htmx || !drawer() || event.button !== 0 ||
        event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    event.preventDefault();
    trigger = link;
    var row = link.closest("tr");
    triggerRow = row ? row.id : null;
    window.htmx.ajax("GET", link.getAttribute("data-drawer"), { target: "#returns-drawer-body", swap: "innerHTML" });
  });

  // -- the grid: live refresh, selection ---------------------------------------------------------
  function rowsOf(node) { return node ? Array.prototype.slice.call(node.querySelectorAll("tbody tr[id]")) : []; }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "returns-grid") { before = null; return; }
    var config = event.detail.requestConfig || {};
    var state = { live: config.elt === target, versions: {}, checked: [], anchor: null, focus: null };
    rowsOf(target).forEach(function (tr) { state.versions[tr.id] = tr.getAttribute("data-version"); });
    target.querySelectorAll("input[data-row-select]:checked").forEach(function (box) { state.checked.push(box.value); });
    var matching = target.querySelector("input[data-select-matching]");
    state.matching = !!(matching && matching.checked);
    var hovered = target.querySelector("tbody tr:hover");
    var active = document.activeElement;
    var focusedRow = active && target.contains(active) ? active.closest("tr[id]") : null;
    var anchor = focusedRow || hovered;
    if (anchor) { state.anchor = { id: anchor.id, top: anchor.getBoundingClientRect().top }; }
    if (focusedRow) {
      state.focus = { row: focusedRow.id, selector: active.matches("[data-row-select]") ? "[data-row-select]" : ".request-link" };
    }
    before = state;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "returns-drawer-body") { openDrawer(); return; }
    if (target && target.id === "request-detail") {
      var title = document.getElementById("request-title");
      if (title && drawer() && drawer().contains(title)) { title.focus(); }
    }
    var current = grid();
    if (!before || !current || !document.contains(current)) { return; }
    var state = before;
    before = null;
    if (state.live) {
      rowsOf(current).forEach(function (tr) {
        if (state.versions[tr.id] !== tr.getAttribute("data-version")) { tr.classList.add("row-changed"); }
      });
      state.checked.forEach(function (value) {
        var box = current.querySelector('input[data-row-select][value="' + CSS.escape(value) + '"]');
        if (box && !box.disabled) { box.checked = true; }
      });
      var matching = current.querySelector("input[data-select-matching]");
      if (matching && state.matching) { matching.checked = true; selectRows(current, true); }
      if (state.anchor) { // the row under the pointer (or focus) does not move
        var row = document.getElementById(state.anchor.id);
        if (row) { window.scrollBy(0, row.getBoundingClientRect().top - state.anchor.top); }
      }
      if (state.focus) {
        var again = document.getElementById(state.focus.row);
        var element = again && again.querySelector(state.focus.selector);
        if (element) { element.focus({ preventScroll: true }); }
      }
    }
    countSelected();
  });

  function selectRows(scope, on) {
    scope.querySelectorAll("input[data-row-select]").forEach(function (box) { if (!box.disabled) { box.checked = on; } });
  }

  function countSelected() {
    var current = grid();
    var matching = current && current.querySelector("input[data-select-matching]:checked");
    var count = matching ? matching.parentNode.textContent.replace(/[^0-9,]/g, "") :
      String(current ? current.querySelectorAll("input[data-row-select]:checked").length : 0);
    document.querySelectorAll("[data-selected-count]").forEach(function (node) {
      node.textContent = count === "0" ? "" : "(" + count + ")";
    });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    var current = grid();
    if (!current || !current.contains(box)) { return; }
    if (box.matches("[data-select-page]")) {
      selectRows(current, box.checked);
      if (!box.checked) { var m = current.querySelector("input[data-select-matching]"); if (m) { m.checked = false; } }
    } else if (box.matches("[data-select-matching]")) {
      selectRows(current, box.checked);
      var page = current.querySelector("input[data-select-page]");
      if (page) { page.checked = box.checked; }
    } else if (box.matches("[data-row-select]") && !box.checked) {
      current.querySelectorAll("input[data-select-matching], input[data-select-page]").forEach(function (b) { b.checked = false; });
    }
    countSelected();
  });

  // Moving to another tab or page closes a drawer that showed a request of the old list.
  document.addEventListener("htmx:pushedIntoHistory", closeDrawer);

  // -- filters fold away on phones -----------------------------------------------------------------
  function foldFilters(query) {
    var panel = document.getElementById("filter-panel");
    if (panel) { panel.open = !query.matches; }
  }
  if (window.matchMedia) {
    var query = window.matchMedia(NARROW);
    document.addEventListener("DOMContentLoaded", function () { foldFilters(query); countSelected(); });
    if (query.addEventListener) { query.addEventListener("change", foldFilters); }
  }
})();

// Bulk decisions: the toolbar's buttons wait for a selection; sending clears it; Cancel closes the
// confirmation.
(function () {
  "use strict";
  function syncButtons() {
    var grid = document.getElementById("returns-grid");
    var any = grid && grid.querySelector("input[data-row-select]:checked, input[data-select-matching]:checked");
    document.querySelectorAll("[data-bulk-button]").forEach(function (button) { button.disabled = !any; });
  }
  document.addEventListener("change", syncButtons);
  document.addEventListener("htmx:afterSettle", syncButtons);
  document.addEventListener("DOMContentLoaded", syncButtons);
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("[data-bulk-cancel]");
    var box = document.getElementById("bulk-progress");
    if (cancel && box && box.contains(cancel)) { event.preventDefault(); box.innerHTML = ""; }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt.matches || !elt.matches(".bulk-send")) { return; }
    var grid = document.getElementById("returns-grid");
    if (grid) {
      grid.querySelectorAll("input[data-row-select], input[data-select-matching], input[data-select-page]")
        .forEach(function (input) { input.checked = false; });
    }
    syncButtons();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "bulk-progress") {
      var confirm = document.getElementById("bulk-confirm");
      if (confirm) { confirm.focus(); }
    }
  });
})();
