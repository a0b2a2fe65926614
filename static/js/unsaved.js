// Never lose an editor's work on the desk.
//
// 1. Ask before leaving a page while a form marked `data-warn-unsaved` has changes not yet saved.
//    A form is dirty after any input in it, or from the start when marked `data-unsaved` (the conflict
//    view, which holds text the server refused). A plain submit clears it; an htmx submit clears it
//    once the server has accepted the save. A link marked `data-discard-unsaved` leaves deliberately.
// 2. Let htmx swap 409 (conflict) and 422 (refused, with reasons) responses: they carry a fragment
//    the editor must see. htmx 2 drops every 4xx/5xx body by default.
// 3. Show a visible message for any other failed htmx request, instead of doing nothing.
(function () {
  "use strict";

  const SELECTOR = "form[data-warn-unsaved]";
  const dirty = new Set();
  let leaving = false;

  function trackedForm(element) {
    const form = element && element.form ? element.form : element && element.closest && element.closest("form");
    return form && form.matches(SELECTOR) ? form : null;
  }

  function markChanged(event) {
    const form = trackedForm(event.target);
    if (form) dirty.add(form);
  }

  function markInitiallyDirty(root) {
    const scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches(SELECTOR + "[data-unsaved]")) dirty.add(scope);
    scope.querySelectorAll(SELECTOR + "[data-unsaved]").forEach(function (form) {
      dirty.add(form);
    });
  }

  function hasUnsaved() {
    return Array.from(dirty).some(function (form) {
      return form.isConnected;
    });
  }

  document.addEventListener("input", markChanged);
  document.addEventListener("change", markChanged);

  document.addEventListener("submit", function (event) {
    const form = event.target;
    // htmx forms stay dirty until the server accepts the save (see htmx:afterRequest below).
    if (form.matches(SELECTOR) && !form.hasAttribute("hx-post")) dirty.delete(form);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-discard-unsaved]")) leaving = true;
  });

  window.addEventListener("beforeunload", function (event) {
    if (leaving || !hasUnsaved()) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers need a value to show the prompt
  });

  document.addEventListener("DOMContentLoaded", function () {
    markInitiallyDirty(document);
  });

  document.addEventListener("htmx:load", function (event) {
    markInitiallyDirty(event.detail.elt);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    const form = trackedForm(event.detail.elt);
    if (form && event.detail.successful) dirty.delete(form);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    const status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function showProblem(text) {
    let box = document.getElementById("request-problem");
    if (!box) {
      box = document.createElement("div");
      box.id = "request-problem";
      box.className = "request-problem";
      box.setAttribute("role", "alert");
      const main = document.getElementById("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
    box.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr.status;
    const why =
      status === 403
        ? "You are not allowed to do that, or your session has expired: reload the page (sign in again if asked)."
        : "The server could not do that (error " + status + "). Nothing was saved.";
    showProblem(why + " What you typed is still on this page.");
  });

  document.addEventListener("htmx:sendError", function () {
    showProblem("The server could not be reached, so nothing was saved. What you typed is still on this page.");
  });
})();
