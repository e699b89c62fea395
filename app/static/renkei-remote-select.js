/* Renkei: search-as-you-type selects for list filters (select.rk-remote-select). The select
   holds only the chosen rows; select2 (shipped with Flask-AppBuilder) asks data-url?q=…
   as the person types. FAB adds filter rows from HTML at any time, so new selects are
   picked up as they appear. */
(function ($) {
  "use strict";
  if (!$ || !$.fn.select2) { return; }

  function start(select) {
    var $s = $(select);
    if ($s.data("rk-started")) { return; }
    $s.data("rk-started", true);
    $s.select2({
      theme: "bootstrap",
      width: "100%",
      placeholder: $s.attr("data-placeholder") || "",
      minimumInputLength: 0,
      ajax: {
        url: $s.attr("data-url"),
        dataType: "json",
        delay: 200,
        data: function (params) { return { q: params.term || "" }; },
        processResults: function (data) { return { results: data.results || [] }; }
      }
    });
  }

  function scan(root) {
    $(root).find("select.rk-remote-select").each(function () { start(this); });
  }

  $(function () {
    scan(document);
    var box = document.querySelector("#filter_form .filters");
    if (box && window.MutationObserver) {
      new MutationObserver(function () { scan(box); }).observe(box, { childList: true, subtree: true });
    }
  });
})(window.jQuery);
