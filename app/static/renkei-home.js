/* Renkei's home page: draws each chart from the JSON beside its canvas with the Chart.js
   shipped in static/vendor (nothing loads from outside). A bar opens the list behind it.
   "Show figures" shows the table that screen readers read anyway. */
(function () {
  "use strict";
  var lang = document.documentElement.getAttribute("lang") || navigator.language || "ja";

  function money(value, currency) {
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency: currency }).format(value);
    } catch (e) {
      return String(value) + " " + currency;
    }
  }

  function draw(script) {
    var data = JSON.parse(script.textContent);
    var canvas = document.getElementById(script.getAttribute("data-canvas"));
    if (!canvas || !window.Chart) { return; }
    var horizontal = data.kind === "hbar";
    var colors = data.values.map(function (_v, i) {
      return data.colors[Math.min(i, data.colors.length - 1)];
    });
    var axis = {
      ticks: { callback: function (v) { return money(v, data.currency); } },
      beginAtZero: true
    };
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ data: data.values, backgroundColor: colors, borderRadius: 3 }]
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) { return money(horizontal ? ctx.parsed.x : ctx.parsed.y, data.currency); }
            }
          }
        },
        scales: horizontal ? { x: axis } : { y: axis },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length && data.urls[elements[0].index] ? "pointer" : "default";
        },
        onClick: function (_event, elements) {
          if (elements.length && data.urls[elements[0].index]) {
            window.location.href = data.urls[elements[0].index];
          }
        }
      }
    });
    canvas.setAttribute("data-drawn", "true");
    return chart;
  }

  Array.prototype.forEach.call(document.querySelectorAll("script.renkei-chart-data"), draw);

  Array.prototype.forEach.call(document.querySelectorAll(".renkei-figures-toggle"), function (button) {
    var shown = button.textContent;
    button.addEventListener("click", function () {
      var table = document.getElementById(button.getAttribute("aria-controls"));
      var open = table.classList.toggle("sr-only") === false;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? (button.getAttribute("data-hide") || shown) : shown;
    });
  });
})();
