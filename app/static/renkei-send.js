/* Renkei: the send preview and its outcome on the document page. No libraries.
   "Send by email…" opens the preview (recipient, cc, subject, body, attachment name, all
   editable); Send posts it and polls the email's status URL until the job is done, then
   puts the page as stored now in place of this one (state, actions, emails, trail) without
   navigating. Emails already queued or sending when the page loads (a form post without
   script) are polled the same way. */
(function () {
  "use strict";
  if (!window.fetch) { return; }
  function polled(url, done) {
    var delay = 700;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s && s.finished) { done(s); return; }
          delay = Math.min(delay * 1.3, 4000);
          window.setTimeout(poll, delay);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  }

  /* The job is done: fetch this page again and put its content in place of ours (state,
     actions, emails, trail all as stored now), then say how it went. No navigation. */
  function settle(s) {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("document-page");
        var current = document.getElementById("document-page");
        if (fresh && current) {
          current.parentNode.replaceChild(document.importNode(fresh, true), current);
          init();
        }
        announce(s);
      })
      .catch(function () { announce(s); });
  }

  function announce(s) {
    var badge = document.getElementById("doc-state");
    if (badge && s.document_badge) { badge.innerHTML = s.document_badge; }
    var progress = document.getElementById("send-progress");
    if (progress) {
      progress.className = "alert " + (s.state === "sent" ? "alert-success" : "alert-danger");
      progress.textContent = s.state_label + (s.error ? " — " + s.error : "");
      progress.setAttribute("data-state", s.state);
    }
    document.body.setAttribute("data-email-state", s.state);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".dispatch-row[data-status-url]"), function (row) {
      polled(row.getAttribute("data-status-url"), settle);
    });

    var preview = document.getElementById("send-preview");
    var opener = document.getElementById("btn-send");
    var progress = document.getElementById("send-progress");
    if (!preview || !opener) { return; }
    preview.classList.add("hidden");
    opener.addEventListener("click", function () {
      var open = preview.classList.toggle("hidden") === false;
      opener.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) { document.getElementById("send-subject").focus(); }
    });
    document.getElementById("btn-send-cancel").addEventListener("click", function () {
      preview.classList.add("hidden");
      opener.setAttribute("aria-expanded", "false");
    });

    preview.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = document.getElementById("btn-send-now");
      var alert = document.getElementById("send-alert");
      button.disabled = true;
      Array.prototype.forEach.call(preview.querySelectorAll("[data-error-for]"), function (el) { el.textContent = ""; });
      alert.classList.add("hidden");
      fetch(preview.getAttribute("action"), {
        method: "POST", credentials: "same-origin", body: new FormData(preview),
        headers: { Accept: "application/json" }
      }).then(function (r) {
        return r.json().then(function (data) { return { status: r.status, data: data }; });
      }).then(function (r) {
        if (r.status === 200 && r.data.status_url) {
          preview.classList.add("hidden");
          opener.disabled = true;
          progress.className = "alert alert-info";
          progress.textContent = preview.getAttribute("data-msg-queued");
          progress.setAttribute("data-state", "queued");
          polled(r.data.status_url, settle);
          return;
        }
        button.disabled = false;
        var errors = r.data.errors || {};
        var shown = false;
        Object.keys(errors).forEach(function (name) {
          var el = preview.querySelector("[data-error-for='" + name + "']");
          if (el) { el.textContent = errors[name]; shown = true; }
        });
        if (!shown) {
          alert.textContent = Object.keys(errors).map(function (k) { return errors[k]; }).join(" ");
          alert.classList.remove("hidden");
        }
      }).catch(function () {
        button.disabled = false;
        alert.textContent = preview.getAttribute("data-msg-failed");
        alert.classList.remove("hidden");
      });
    });
  }
  init();
})();
