/*
 * The console's only script (no inline script anywhere, so a strict CSP holds):
 * - sends the CSRF token with every htmx request, from the page's <meta name="csrf-token">;
 * - copy buttons ([data-copy="#selector"]);
 * - dismiss links ([data-dismiss="#selector"]) that empty a panel instead of navigating;
 * (htmx itself moves focus to swapped-in content marked [autofocus].)
 * - speaks "announce" events (sent by the server in HX-Trigger) in the aria-live region.
 * Everything here is an enhancement: with JavaScript off, the links and forms still work.
 */
(function () {
  "use strict";

  function announce(message) {
    var region = document.getElementById("live-region");
    if (!region) return;
    region.textContent = "";
    // A fresh text node after a tick, so screen readers announce a repeated message too.
    window.setTimeout(function () { region.textContent = message; }, 50);
  }

  function copyFrom(button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.setAttribute("data-copied", "true");
      announce("Copied to the clipboard");
      window.setTimeout(function () {
        button.textContent = label;
        button.removeAttribute("data-copied");
      }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectAndCopy(source, done); });
    } else {
      selectAndCopy(source, done);
    }
  }

  function selectAndCopy(source, done) {
    // Plain http (not localhost) has no async clipboard: select the text, use execCommand.
    source.focus();
    if (source.select) source.select();
    try {
      if (document.execCommand("copy")) done();
    } catch (error) {
      announce("Press Ctrl+C (or Cmd+C) to copy the selected text");
    }
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      event.preventDefault();
      copyFrom(copy);
      return;
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss && window.htmx) {
      var panel = document.querySelector(dismiss.getAttribute("data-dismiss"));
      if (panel) {
        event.preventDefault();
        panel.innerHTML = "";
        var opener = document.querySelector(".page-head .button.primary");
        if (opener) opener.focus();
      }
    }
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  });

  document.addEventListener("announce", function (event) {
    var detail = event.detail;
    announce(typeof detail === "string" ? detail : (detail && detail.value) || "");
  });

  // A page restored from the back/forward cache may still show a key revealed once:
  // drop it at once and fetch the page afresh (no page is ever stored: Cache-Control).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    var reveals = document.querySelectorAll("#reveal, [data-secret]");
    for (var i = 0; i < reveals.length; i++) reveals[i].remove();
    window.location.reload();
  });

  document.addEventListener("htmx:sendError", function () {
    announce("The server could not be reached. Check your connection and try again.");
  });
})();
