/* Renkei: a sync run's progress bar. No libraries: polls the JSON endpoint named by
   #sync-progress[data-progress-url] and reloads the page (without ?run=) when finished. */
(function () {
  "use strict";
  var box = document.getElementById("sync-progress");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector(".progress-bar");
  var counts = box.querySelector(".sync-progress-counts");
  var message = box.querySelector(".sync-progress-message");
  var template = counts.getAttribute("data-template") || "";
  var dealsTemplate = counts.getAttribute("data-template-deals") || template;

  function show(p) {
    var percent = Math.max(0, Math.min(100, Math.round(p.percent || 0)));
    bar.style.width = percent + "%";
    bar.setAttribute("aria-valuenow", String(percent));
    bar.textContent = percent + "%";
    counts.textContent = (p.deals ? dealsTemplate : template).replace(/\{(\w+)\}/g, function (_m, key) {
      return p[key] === undefined || p[key] === null ? "0" : String(p[key]);
    });
    message.textContent = p.message ? " " + p.message : "";
    if (p.failed) { bar.className = "progress-bar progress-bar-warning"; }
  }

  /* On a list (data-keep): reload once to show the new statuses, keeping the list's
     filters and this panel (?run= stays; ?shown=1 says the result is on screen); the
     panel's × closes it. */
  function finish() {
    bar.className = bar.className.replace(" progress-bar-striped active", "");
    box.className = box.className.replace("panel-info", "panel-success");
    var here = new URL(window.location.href);
    if (box.getAttribute("data-keep") !== "true") {  // a deal's page: reload without the panel
      here.searchParams.delete("run");
      window.setTimeout(function () { window.location.replace(here.toString()); }, 800);
      return;
    }
    if (here.searchParams.get("shown")) { return; }
    here.searchParams.set("shown", "1");
    window.setTimeout(function () { window.location.replace(here.toString()); }, 800);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { return; }
        show(p);
        if (p.finished) { finish(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
