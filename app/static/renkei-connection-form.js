/* The new-connection form: show only the optional fields the chosen provider uses
   (#provider-fields: provider → field names, from the provider registry). */
(function () {
  "use strict";
  var data = document.getElementById("provider-fields");
  var select = document.getElementById("provider");
  if (!data || !select) { return; }
  var used = JSON.parse(data.textContent);
  var optional = {};
  Object.keys(used).forEach(function (k) { used[k].forEach(function (f) { optional[f] = true; }); });

  function apply() {
    var mine = used[select.value] || [];
    Object.keys(optional).forEach(function (name) {
      var field = document.getElementById(name);
      var row = field && field.closest("tr");
      if (row) { row.hidden = mine.indexOf(name) < 0; }
    });
  }
  select.addEventListener("change", apply);
  if (window.jQuery) { window.jQuery(select).on("change select2:select", apply); }
  apply();
})();
