/* Renkei: the one-page document editor. No libraries, no build step.
   Header and line grid; products and customers as you type; contacts of the chosen
   customer only; the default due date from the customer's or issuer's terms; totals
   per tax rate computed by the server (POST …/editor/totals) with the rules the saved
   document gets; one save (POST …/editor/save) whose refusals are shown per field. */
(function () {
  "use strict";
  var root = document.getElementById("document-editor");
  if (!root || !window.fetch) { return; }
  var urls = JSON.parse(root.getAttribute("data-urls"));
  var csrf = root.getAttribute("data-csrf");
  var state = JSON.parse(document.getElementById("editor-state").textContent);
  var form = document.getElementById("editor-form");
  var rows = document.getElementById("editor-rows");
  var rowTemplate = document.getElementById("editor-row-template");
  var HEADER = ["legal_entity", "company", "contact", "recipient_name", "recipient_email",
    "currency", "language", "issue_date", "transaction_date", "due_date", "terms", "notes"];
  var LINE = ["product", "name", "unit", "unit_price", "quantity", "discount_percent", "tax_rate"];
  // Values the editor filled in itself: replaced when the customer changes, kept once typed.
  var auto = { recipient_name: false, recipient_email: false, due_date: false };
  var totalsTimer = null, totalsSeq = 0;

  function $(id) { return document.getElementById(id); }
  function field(name) { return $("ed-" + name); }
  function msg(name) { return root.getAttribute("data-msg-" + name) || ""; }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; });
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) { return { status: r.status, data: data }; },
        function () { return { status: r.status, data: {} }; });
    });
  }

  /* ---- search-as-you-type (customers, products) ---- */
  function suggest(input, list, fetchUrl, render, pick) {
    var items = [], active = -1;
    function close() { list.classList.add("hidden"); input.setAttribute("aria-expanded", "false"); active = -1; }
    function mark() {
      Array.prototype.forEach.call(list.children, function (li, i) { li.classList.toggle("active", i === active); });
    }
    function show(found) {
      items = found || [];
      list.innerHTML = "";
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "text-muted editor-no-match";
        none.textContent = msg("no-match");
        list.appendChild(none);
      }
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.className = "editor-option";
        render(li, item);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.classList.remove("hidden");
      input.setAttribute("aria-expanded", "true");
      active = items.length ? 0 : -1;
      mark();
    }
    function choose(i) { if (items[i]) { pick(items[i]); } close(); }
    var lookup = debounce(function () {
      getJSON(fetchUrl + "?q=" + encodeURIComponent(input.value.trim())).then(function (found) {
        if (document.activeElement === input) { show(found); }
      });
    }, 150);
    input.addEventListener("input", lookup);
    input.addEventListener("focus", lookup);
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
    input.addEventListener("keydown", function (e) {
      if (list.classList.contains("hidden")) { return; }
      if (e.key === "ArrowDown") { active = Math.min(items.length - 1, active + 1); mark(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(0, active - 1); mark(); e.preventDefault(); }
      else if (e.key === "Enter") { if (active >= 0) { choose(active); } e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
  }

  /* ---- the customer: contacts, recipient, due date ---- */
  function customerUrl() {
    return urls.customer + "?company=" + encodeURIComponent(field("company").value) +
      "&legal_entity=" + encodeURIComponent(field("legal_entity").value) +
      "&issue_date=" + encodeURIComponent(field("issue_date").value);
  }

  function loadCustomer(keepContact, changed) {
    var company = field("company").value;
    var select = field("contact");
    if (!company) { fillContacts([], ""); return Promise.resolve(); }
    return getJSON(customerUrl()).then(function (c) {
      if (!c) { return; }
      fillContacts(c.contacts, keepContact ? select.value : "");
      if (changed) {
        if (!field("recipient_name").value || auto.recipient_name) { field("recipient_name").value = c.name; auto.recipient_name = true; }
        if (!field("recipient_email").value || auto.recipient_email) { field("recipient_email").value = c.email; auto.recipient_email = true; }
      }
      if (c.due_date && (!field("due_date").value || auto.due_date)) {
        field("due_date").value = c.due_date; auto.due_date = true;
      }
      // Only kinds with a due date (invoices) get one; the hint says where it came from.
      $("ed-terms-hint").textContent = c.due_date ? msg("terms").replace("{days}", c.terms) : "";
    });
  }

  function fillContacts(contacts, keep) {
    var select = field("contact");
    select.innerHTML = "";
    var none = document.createElement("option");
    none.value = ""; none.textContent = msg("no-contact");
    select.appendChild(none);
    contacts.forEach(function (c) {
      var o = document.createElement("option");
      o.value = String(c.id);
      o.textContent = c.name + (c.department ? " (" + c.department + ")" : "");
      o.setAttribute("data-email", c.email);
      select.appendChild(o);
    });
    select.value = keep || "";
  }

  field("contact").addEventListener("change", function () {
    var chosen = field("contact").selectedOptions[0];
    var email = chosen ? chosen.getAttribute("data-email") : "";
    if (email && (!field("recipient_email").value || auto.recipient_email)) {
      field("recipient_email").value = email; auto.recipient_email = true;
    }
  });
  ["recipient_name", "recipient_email", "due_date"].forEach(function (name) {
    field(name).addEventListener("input", function () { auto[name] = false; });
  });
  field("issue_date").addEventListener("change", function () { if (auto.due_date || !field("due_date").value) { loadCustomer(true, false); } });
  field("legal_entity").addEventListener("change", function () {
    if (auto.due_date || !field("due_date").value) { loadCustomer(true, false); }
    scheduleTotals();
  });
  field("currency").addEventListener("change", scheduleTotals);

  suggest(field("company-search"), $("ed-company-list"), urls.companies,
    function (li, c) { li.textContent = c.name; var s = document.createElement("small"); s.textContent = c.code; li.appendChild(s); },
    function (c) {
      field("company-search").value = c.name;
      field("company").value = String(c.id);
      loadCustomer(false, true);
    });
  field("company-search").addEventListener("input", function () { field("company").value = ""; });

  /* ---- lines ---- */
  function lineInput(tr, name) { return tr.querySelector("[data-line='" + name + "']"); }

  function renumber() {
    Array.prototype.forEach.call(rows.children, function (tr, i) {
      tr.querySelector(".editor-position").textContent = String(i + 1);
      tr.setAttribute("data-index", String(i));
    });
  }

  function addRow(values) {
    var tr = rowTemplate.content.firstElementChild.cloneNode(true);
    values = values || {};
    if (values.id) { tr.setAttribute("data-id", String(values.id)); }
    LINE.forEach(function (name) {
      if (values[name] !== undefined && values[name] !== null && values[name] !== "") {
        lineInput(tr, name).value = String(values[name]);
      }
    });
    if (!values.tax_rate) { lineInput(tr, "tax_rate").value = "standard_10"; }
    var search = tr.querySelector(".ed-line-product-search");
    search.value = values.product_label || "";
    suggest(search, tr.querySelector(".editor-suggest"), urls.products,
      function (li, p) {
        li.textContent = p.name;
        var s = document.createElement("small");
        s.textContent = p.code + " · " + p.price_label + " / " + p.unit + " · " + p.tax_label;
        li.appendChild(s);
      },
      function (p) {
        search.value = p.name;
        lineInput(tr, "product").value = String(p.id);
        lineInput(tr, "name").value = p.name;
        lineInput(tr, "unit").value = p.unit;
        lineInput(tr, "unit_price").value = p.unit_price;
        lineInput(tr, "tax_rate").value = p.tax_rate;
        scheduleTotals();
      });
    search.addEventListener("input", function () {
      if (!search.value.trim()) { lineInput(tr, "product").value = ""; scheduleTotals(); }
    });
    tr.addEventListener("input", scheduleTotals);
    tr.addEventListener("change", scheduleTotals);
    tr.querySelector(".editor-remove").addEventListener("click", function () {
      rows.removeChild(tr); renumber(); scheduleTotals();
    });
    tr.querySelector(".editor-up").addEventListener("click", function () {
      if (tr.previousElementSibling) { rows.insertBefore(tr, tr.previousElementSibling); renumber(); scheduleTotals(); }
    });
    tr.querySelector(".editor-down").addEventListener("click", function () {
      if (tr.nextElementSibling) { rows.insertBefore(tr.nextElementSibling, tr); renumber(); scheduleTotals(); }
    });
    rows.appendChild(tr);
    renumber();
    return tr;
  }

  $("editor-add-line").addEventListener("click", function () {
    var tr = addRow({});
    tr.querySelector(".ed-line-product-search").focus();
  });

  /* ---- what is sent ---- */
  function collect() {
    var data = { version: state.version || "" };
    HEADER.forEach(function (name) { data[name] = field(name).value; });
    data.lines = Array.prototype.map.call(rows.children, function (tr) {
      var line = { id: tr.getAttribute("data-id") || null };
      LINE.forEach(function (name) { line[name] = lineInput(tr, name).value; });
      return line;
    });
    return data;
  }

  /* The server skips empty rows; line errors and amounts come back by index among the
     rows it read, so map them onto the rows that are not empty. */
  function filledRows() {
    return Array.prototype.filter.call(rows.children, function (tr) {
      return tr.getAttribute("data-id") || lineInput(tr, "product").value ||
        lineInput(tr, "name").value.trim() || lineInput(tr, "unit_price").value.trim();
    });
  }

  function showErrors(errors, lineErrorsOnly) {
    if (!lineErrorsOnly) {
      Array.prototype.forEach.call(root.querySelectorAll("[data-error-for]"), function (el) {
        el.textContent = (errors && errors[el.getAttribute("data-error-for")]) || "";
        var group = el.closest(".form-group");
        if (group) { group.classList.toggle("has-error", !!el.textContent); }
      });
    }
    Array.prototype.forEach.call(rows.querySelectorAll("[data-line-error]"), function (el) { el.textContent = ""; });
    filledRows().forEach(function (tr, i) {
      LINE.forEach(function (name) {
        var text = errors && errors["lines." + i + "." + name];
        var el = tr.querySelector("[data-line-error='" + name + "']");
        if (el) { el.textContent = text || ""; }
      });
    });
  }

  function showTotals(t) {
    var body = $("editor-rates");
    body.innerHTML = "";
    t.rates.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.className = "rate-row";
      tr.setAttribute("data-rate", r.code);
      [r.label + (r.reduced ? " ※" : ""), r.net, r.tax, r.gross].forEach(function (text, i) {
        var td = document.createElement("td");
        td.textContent = text;
        if (i) { td.className = "num"; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    $("editor-net").textContent = t.net;
    $("editor-tax").textContent = t.tax;
    $("editor-gross").textContent = t.gross;
    $("editor-gross").setAttribute("data-plain", t.gross_plain);
    var amounts = t.lines || [];
    Array.prototype.forEach.call(rows.children, function (tr) { tr.querySelector(".editor-amount").textContent = ""; });
    filledRows().forEach(function (tr, i) { tr.querySelector(".editor-amount").textContent = amounts[i] || ""; });
    var lineErrors = {};
    Object.keys(t.errors || {}).forEach(function (k) { if (k.indexOf("lines.") === 0) { lineErrors[k] = t.errors[k]; } });
    showErrors(lineErrors, true);
  }

  function computeTotals() {
    var seq = ++totalsSeq;
    root.setAttribute("data-totals", "pending");
    postJSON(urls.totals, collect()).then(function (r) {
      if (seq !== totalsSeq) { return; }  // an older answer arriving late
      if (r.status === 200) { showTotals(r.data); }
      root.setAttribute("data-totals", "ready");
    }).catch(function () { root.setAttribute("data-totals", "ready"); });
  }

  function scheduleTotals() {
    root.setAttribute("data-totals", "pending");
    window.clearTimeout(totalsTimer);
    totalsTimer = window.setTimeout(computeTotals, 250);
  }

  /* ---- save ---- */
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var alert = $("editor-alert");
    var button = $("editor-save");
    button.disabled = true;
    $("editor-status").textContent = msg("saving");
    postJSON(urls.save, collect()).then(function (r) {
      if (r.status === 200 && r.data.url) { window.location.assign(r.data.url); return; }
      button.disabled = false;
      $("editor-status").textContent = "";
      var errors = r.data.errors || {};
      showErrors(errors, false);
      var general = errors.form || errors.version || errors.state || errors.lines;
      alert.textContent = general ? general : msg("refused");
      alert.classList.remove("hidden");
      alert.scrollIntoView({ block: "center" });
    }).catch(function () {
      button.disabled = false;
      $("editor-status").textContent = "";
      alert.textContent = msg("failed");
      alert.classList.remove("hidden");
    });
  });

  /* ---- start ---- */
  var h = state.header || {};
  HEADER.forEach(function (name) {
    if (h[name] !== undefined && h[name] !== null && field(name)) {
      if (name === "contact") { return; }  // its options come with the customer
      field(name).value = String(h[name]);
    }
  });
  field("company-search").value = h.company_label || "";
  (state.lines || []).forEach(addRow);
  if (!rows.children.length) { addRow({}); }
  if (h.company) {
    loadCustomer(false, false).then(function () { field("contact").value = h.contact ? String(h.contact) : ""; });
  }
  computeTotals();
})();
