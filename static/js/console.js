/*
 * The console's only script (no inline script anywhere, so a strict CSP holds). Everything
 * here is an enhancement: with JavaScript off, the links and forms still work.
 * - sends the CSRF token with every htmx request, from <meta name="csrf-token">;
 * - copy buttons ([data-copy="#selector"]), shown only when there is a script to run them;
 * - a revealed key stays until "Done, I have saved it"; leaving the page or pressing Escape
 *   while one is shown asks first;
 * - Escape closes the create form and cancels a confirmation; focus goes back where it was;
 * - errors (the server unreachable, or an answer htmx cannot show) appear in the page's
 *   message area, with Retry; while a request runs its form is aria-busy (htmx disables
 *   its buttons and shows the spinner);
 * - a key name typed when the session expired is kept and offered again after sign-in;
 * - speaks "announce" events (sent by the server in HX-Trigger) in the aria-live region;
 * - after the keys table is swapped: a page change takes focus and the view to the top of
 *   the results; a search or a filter has its result count read aloud;
 * - "select all" in a list with checkboxes ticks every row;
 * - a key name over the limit is kept as typed or pasted, and the field says so and stops
 *   the form until it is shortened (the server refuses it too);
 * - tells the server the browser's time zone (the "tz" cookie), for the times it shows.
 * The words it shows come from the page (<template id="console-words">), in its language.
 */
(function () {
  "use strict";

  var PENDING_NAME = "chameleon:pending-key-name";
  var ZONE_FETCHED = "chameleon:zone-fetched";

  function word(name) {
    var holder = document.getElementById("console-words");
    return (holder && holder.dataset[name]) || "";
  }

  function announce(message) {
    var region = document.getElementById("live-region");
    if (!region) return;
    region.textContent = "";
    // A fresh text node after a tick, so screen readers announce a repeated message too.
    window.setTimeout(function () { region.textContent = message; }, 50);
  }

  function showError(message, retry) {
    var area = document.getElementById("messages");
    if (!area) return;
    var notice = document.createElement("p");
    notice.className = "notice notice-error";
    notice.setAttribute("role", "alert");
    notice.tabIndex = -1;
    notice.textContent = message + " ";
    if (retry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button small";
      button.textContent = word("retry");
      button.addEventListener("click", function () { notice.remove(); retry(); });
      notice.appendChild(button);
    }
    area.replaceChildren(notice);
    notice.focus();
  }

  function opener() {
    return document.querySelector("[data-opens-form]");
  }

  function copyFrom(button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = word("copied");
      button.setAttribute("data-copied", "true");
      announce(word("copiedLong"));
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
      announce(word("copyByHand"));
    }
  }

  function enhance(root) {
    // Copy buttons need this script: show them, and drop the by-hand hint beside them.
    root.querySelectorAll("[data-copy][hidden]").forEach(function (button) {
      button.hidden = false;
    });
    root.querySelectorAll("[data-copy-hint]").forEach(function (hint) { hint.hidden = true; });
    var form = root.querySelector && root.querySelector("[data-create-form]");
    var pending = window.sessionStorage.getItem(PENDING_NAME);
    if (form && pending) {
      // Offered once: a form closed without using it does not come back on every visit.
      window.sessionStorage.removeItem(PENDING_NAME);
      if (!form.elements.name.value) form.elements.name.value = pending;
      form.elements.name.focus(); // where the person left off: Enter creates the key
    }
  }

  function closeReveal(reveal, ask) {
    if (ask && !window.confirm(word("leaveReveal"))) return;
    // Where to go next: another key on screen, Create New Key, or (a rotation, on the
    // key's page) the link to the new key's page; never nowhere (the <body>).
    var after = document.querySelector("[data-focus-after-reveal]");
    reveal.remove();
    var next = document.querySelector("[data-reveal]") || opener() || after;
    if (next) next.focus();
  }

  function closeForm(slot) {
    slot.innerHTML = "";
    var button = opener();
    if (button) button.focus();
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      event.preventDefault();
      copyFrom(copy);
      return;
    }
    var done = event.target.closest("[data-done-reveal]");
    if (done && window.htmx) {
      event.preventDefault();
      closeReveal(done.closest("[data-reveal]"), false);
      return;
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss && window.htmx) {
      var panel = document.querySelector(dismiss.getAttribute("data-dismiss"));
      if (panel) {
        event.preventDefault();
        closeForm(panel);
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var inside = document.activeElement;
    var reveal = inside && inside.closest && inside.closest("[data-reveal]");
    if (reveal) {
      event.preventDefault();
      closeReveal(reveal, true);
      return;
    }
    var confirmation = inside && inside.closest && inside.closest("[data-confirmation]");
    var cancel = confirmation && confirmation.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
      return;
    }
    var form = inside && inside.closest && inside.closest("[data-create-form]");
    var slot = form && form.closest("#form-slot");
    if (slot) {
      event.preventDefault();
      closeForm(slot);
    }
  });

  // A key on screen must not be lost to a stray click elsewhere or a reload.
  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("[data-reveal]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // A page restored from the back/forward cache may still show a key revealed once:
  // drop it at once and fetch the page afresh (no page is ever stored: Cache-Control).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-reveal], [data-secret]").forEach(function (node) {
      node.remove();
    });
    window.location.reload();
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  });

  function isCreateForm(elt) {
    return Boolean(elt && elt.matches && elt.matches("[data-create-form]"));
  }

  // Busy while a request runs: htmx disables the buttons (hx-disabled-elt) and shows the
  // spinner (.htmx-request); aria-busy tells screen readers the same.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.setAttribute) elt.setAttribute("aria-busy", "true");
    if (isCreateForm(elt)) window.sessionStorage.setItem(PENDING_NAME, elt.elements.name.value);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.removeAttribute) elt.removeAttribute("aria-busy");
  });

  // The name is kept only when the answer sends the person to sign in again (401), to be
  // offered after. Checked before the swap (htmx:beforeOnLoad): once the form is swapped
  // out of the page, events on it no longer reach this document's listeners.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.removeAttribute) elt.removeAttribute("aria-busy");
    if (isCreateForm(elt) && event.detail.xhr.status !== 401) {
      window.sessionStorage.removeItem(PENDING_NAME);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.detail.elt); });

  // "Select all" ticks every row on the page (the server takes the keys of every page);
  // unticking a row unticks "select all", so only the ticked rows are sent.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches("[data-select-all]")) {
      document.querySelectorAll("[data-selects]").forEach(function (row) {
        row.checked = box.checked;
      });
    } else if (box.matches("[data-selects]") && !box.checked) {
      var all = document.querySelector("[data-select-all]");
      if (all) all.checked = false;
    }
  });

  // The keys table swaps itself whole (outerHTML), so look it up again after the swap.
  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var target = event.detail.target;
    if (!target || target.id !== "keys" || !document.contains(document.getElementById("keys"))) return;
    var summary = document.querySelector("[data-results-summary]");
    // An action on the selected keys says what it did itself (its notice takes the focus).
    if (!summary || (elt && elt.matches && elt.matches("[data-announces]"))) return;
    if (elt && elt.matches && elt.matches("[data-page-link]")) {
      summary.focus({preventScroll: true});
      document.getElementById("keys").scrollIntoView({block: "start"});
    } else {
      announce(summary.textContent.replace(/\s+/g, " ").trim());
    }
  });

  document.addEventListener("announce", function (event) {
    var detail = event.detail;
    announce(typeof detail === "string" ? detail : (detail && detail.value) || "");
  });

  function retryFor(elt) {
    return function () {
      if (elt.requestSubmit && elt.tagName === "FORM") elt.requestSubmit();
      else elt.click();
    };
  }

  document.addEventListener("htmx:sendError", function (event) {
    if (isCreateForm(event.detail.elt)) window.sessionStorage.removeItem(PENDING_NAME);
    showError(word("unreachable"), retryFor(event.detail.elt));
  });

  document.addEventListener("htmx:responseError", function (event) {
    // Our own error answers say what happened in the message area (HX-Retarget); anything
    // else (a proxy's page, say) gets a plain message and a way to try again.
    var xhr = event.detail.xhr;
    if (!xhr.getResponseHeader("HX-Retarget")) {
      showError(word("failed"), retryFor(event.detail.elt));
    }
  });

  // Characters as the server counts them (code points), after trimming as it does.
  function checkLength(field) {
    var max = parseInt(field.getAttribute("data-max-length"), 10);
    var length = Array.from(field.value.trim()).length;
    var message = length > max ? field.getAttribute("data-too-long").replace("%(length)s", String(length)) : "";
    var note = document.getElementById(field.getAttribute("data-length-note"));
    if (note && note.textContent !== message) note.textContent = message;
    field.setCustomValidity(message);
    if (message) field.setAttribute("aria-invalid", "true");
    else if (!field.closest("form").querySelector("[role=alert]")) field.removeAttribute("aria-invalid");
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-max-length]")) checkLength(event.target);
  });

  // Times are drawn on the server in the zone of the "tz" cookie (UTC without it). A page
  // drawn in another zone than the browser's is fetched again, once, if that loses nothing:
  // it was a GET and shows no key revealed once.
  function rememberZone() {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (error) { return; }
    if (!/^[A-Za-z0-9\/_+-]{1,64}$/.test(zone)) return;
    var match = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
    if (!match || match[1] !== zone) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
    var root = document.body;
    if (root.dataset.timeZone === zone || !root.hasAttribute("data-refetchable")) return;
    if (!document.querySelector("time") || document.querySelector("[data-reveal]")) return;
    if (window.sessionStorage.getItem(ZONE_FETCHED) === zone) return; // cookies refused
    window.sessionStorage.setItem(ZONE_FETCHED, zone);
    window.location.reload();
  }

  document.addEventListener("DOMContentLoaded", function () {
    rememberZone();
    enhance(document);
    var pending = window.sessionStorage.getItem(PENDING_NAME);
    var button = opener();
    if (pending && button && !document.querySelector("[data-create-form]")) button.click();
  });
})();
