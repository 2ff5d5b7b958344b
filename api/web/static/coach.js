/* Coach pages: draw the charts described by JSON blocks; everything else is plain HTML + htmx. */
(function () {
  "use strict";

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var COLORS = { history: "#1f5fa8", commit: "#b45309", target: "#15803d", stretch: "#7c3aed",
                 completion: "#1f5fa8", effective: "#15803d" };

  function metricChart(canvas, d, labels) {
    var periods = d.periods.slice();
    var values = d.values.slice();
    // Counts are whole things per period: bars on whole-number ticks, never a curve between them.
    var history = { label: labels.history, data: values, borderColor: COLORS.history,
                    backgroundColor: COLORS.history, tension: 0.2, pointRadius: 3 };
    if (d.counts) { history = { type: "bar", label: labels.history, data: values,
                                backgroundColor: COLORS.history, maxBarThickness: 28 }; }
    var datasets = [history];
    if (d.range) {
      if (periods.indexOf(d.range.period) < 0) { periods.push(d.range.period); }
      // A fan from the last actual value to next period's commit / target / stretch.
      var last = d.periods.length - 1;
      var next = periods.indexOf(d.range.period);
      var line = function (value) {
        return periods.map(function (_, i) {
          if (i === next) { return value; }
          return i === last ? d.values[last] : null;
        });
      };
      datasets.push({ label: labels.commit, data: line(d.range.commit), borderColor: COLORS.commit,
                      borderDash: [6, 4], pointRadius: 0, fill: false });
      datasets.push({ label: labels.target, data: line(d.range.target), borderColor: COLORS.target,
                      borderWidth: 3, pointRadius: 4, fill: false });
      datasets.push({ label: labels.stretch, data: line(d.range.stretch), borderColor: COLORS.stretch,
                      borderDash: [6, 4], pointRadius: 0,
                      fill: { target: 1 }, backgroundColor: "rgba(21, 128, 61, 0.12)" });
    }
    return new Chart(canvas, {
      type: "line",
      data: { labels: periods, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, spanGaps: false,
                 plugins: { legend: { position: "bottom" } },
                 scales: { y: { title: { display: !!d.unit, text: d.unit },
                                beginAtZero: !!d.counts,
                                ticks: d.counts ? { precision: 0 } : {} } } }
    });
  }

  function shareChart(canvas, d, labels, type) {
    // null is n/a (nothing to measure): a gap in the chart, never a 0% bar.
    var pct = function (xs) { return xs.map(function (x) { return x === null ? null : Math.round(x * 1000) / 10; }); };
    return new Chart(canvas, {
      type: type,
      data: { labels: d.labels, datasets: [
        { label: labels.completion, data: pct(d.completion), backgroundColor: COLORS.completion,
          borderColor: COLORS.completion, tension: 0.2 },
        { label: labels.effective, data: pct(d.effective), backgroundColor: COLORS.effective,
          borderColor: COLORS.effective, tension: 0.2 }
      ] },
      options: { responsive: true, maintainAspectRatio: false,
                 plugins: { legend: { position: "bottom" } },
                 scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } } }
    });
  }

  function drawCharts(root) {
    if (typeof Chart === "undefined") { return; }
    Chart.defaults.animation = false;  // figures, not motion; screenshots show the final state
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    var labels = data("chart-labels") || {};
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (Chart.getChart(canvas)) { return; }
      var d = data(canvas.dataset.source);
      if (!d) { return; }
      var kind = canvas.dataset.chart;
      if (kind === "metric") { metricChart(canvas, d, labels); }
      else if (kind === "managers") { shareChart(canvas, d, labels, "bar"); }
      else if (kind === "trend") { shareChart(canvas, d, labels, "line"); }
    });
  }

  // Scripts are deferred, so Chart.js (loaded before this file) is ready at DOMContentLoaded.
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
