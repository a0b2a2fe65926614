// Quote a passage by selecting it: fill the capture form on the source page with the selection's
// words and its character offsets in the text, then show the form. The server checks both against
// its own copy of the page and builds the selector itself; this script only says what was selected.
// Without JavaScript the "Paste the passage" form does the same job.
(function () {
  "use strict";

  function textBlock() {
    return document.getElementById("source-text");
  }

  function captureForm() {
    return document.getElementById("capture-form");
  }

  // Characters of the block before a boundary point. Range.toString() joins the data of the text
  // nodes the range covers, like textContent, so <mark> elements inside the block do not shift it.
  function offsetOf(block, node, offset) {
    var before = document.createRange();
    before.selectNodeContents(block);
    before.setEnd(node, offset);
    return before.toString().length;
  }

  function selectedSpan(block) {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return null;
    }
    var range = selection.getRangeAt(0);
    if (!block.contains(range.startContainer) || !block.contains(range.endContainer)) {
      return null;
    }
    var text = block.textContent;
    var start = offsetOf(block, range.startContainer, range.startOffset);
    var end = offsetOf(block, range.endContainer, range.endOffset);
    // Leave out the spaces and line breaks a selection picks up at its edges.
    while (start < end && /\s/.test(text.charAt(start))) {
      start += 1;
    }
    while (end > start && /\s/.test(text.charAt(end - 1))) {
      end -= 1;
    }
    return start < end ? { start: start, end: end, exact: text.slice(start, end) } : null;
  }

  function offer(reveal) {
    var block = textBlock();
    var form = captureForm();
    if (!block || !form) {
      return;
    }
    var span = selectedSpan(block);
    if (!span) {
      return; // a click elsewhere (on the form's own button, say) keeps the form as it is
    }
    form.elements.exact.value = span.exact;
    form.elements.start.value = String(span.start);
    form.elements.end.value = String(span.end);
    form.elements.snapshot.value = block.getAttribute("data-snapshot");
    form.querySelector("[data-capture-preview]").textContent = "\u201c" + span.exact + "\u201d";
    form.hidden = false;
    if (reveal) {
      form.scrollIntoView({ block: "nearest" }); // the selection is made: show where to confirm it
    }
  }

  var pending = null;
  function offerSoon() {
    window.clearTimeout(pending);
    pending = window.setTimeout(offer, 250, false);
  }

  document.addEventListener("mouseup", function (event) {
    var block = textBlock();
    if (block && block.contains(event.target)) {
      offer(true);
    }
  });
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey) {
      offerSoon(); // a selection made with Shift and the arrow keys
    }
  });
  // Touch screens select with a long press, which sends no mouseup.
  document.addEventListener("selectionchange", offerSoon);

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-capture-cancel]");
    if (cancel) {
      cancel.form.hidden = true;
      window.getSelection().removeAllRanges();
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "capture-step") {
      var form = captureForm();
      if (form) {
        form.hidden = true;
      }
      // Move focus to the new step's heading, unless it focused a button itself (autofocus).
      var heading = target.querySelector(".capture-step__heading");
      if (heading && !target.contains(document.activeElement)) {
        heading.focus();
      }
      target.scrollIntoView({ block: "nearest" });
    }
  });

  // A speaker added inline is picked in the list above; empty the little form for the next one.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var refused = event.detail.xhr && event.detail.xhr.getResponseHeader("HX-Retarget");
    if (event.detail.successful && !refused && form.classList && form.classList.contains("new-actor__form")) {
      form.reset();
      form.closest("details").open = false;
    }
  });
})();
