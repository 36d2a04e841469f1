(function () {
  "use strict";
  var d = Dash.data("chart-data");
  if (!d) return;
  var c = Dash.colors;
  Dash.stackedDays(document.getElementById("chart-daily"), d.days, [
    { label: "DMARC pass", data: d.pass, color: c.pass },
    { label: "DMARC fail", data: d.fail, color: c.fail },
  ]);
  Dash.stackedDays(document.getElementById("chart-dispositions"), d.days, [
    { label: "none", data: d.none, color: c.none },
    { label: "quarantine", data: d.quarantine, color: c.quarantine },
    { label: "reject", data: d.reject, color: c.reject },
  ]);

  var trend = document.getElementById("chart-trend");
  if (trend && d.trend) {
    new Chart(trend, {
      type: "line",
      data: {
        labels: d.days.map(Dash.dayLabel),
        datasets: [
          { label: "DMARC pass rate", data: d.trend.pass_pct, borderColor: c.pass, backgroundColor: c.pass, spanGaps: true, pointRadius: 2 },
          { label: "Legitimate mail aligned", data: d.trend.aligned_pct, borderColor: c.quarantine, backgroundColor: c.quarantine, spanGaps: true, pointRadius: 2 },
        ],
      },
      options: {
        responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false }, ticks: { maxTicksLimit: 10, maxRotation: 0 } },
          y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (item) {
            return item.dataset.label + ": " + (item.raw === null ? "no mail" : item.raw + "%");
          } } },
        },
      },
    });
  }

  var top = document.getElementById("chart-top");
  if (!top) return;
  new Chart(top, {
    type: "bar",
    data: {
      labels: d.top.labels,
      datasets: [
        { label: "DMARC pass", data: d.top.pass, backgroundColor: c.pass, borderWidth: 0, maxBarThickness: 28 },
        { label: "DMARC fail", data: d.top.fail, backgroundColor: c.fail, borderWidth: 0, maxBarThickness: 28 },
      ],
    },
    options: {
      indexAxis: "y", responsive: true, maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, beginAtZero: true, ticks: { precision: 0, callback: function (v) { return Dash.number.format(v); } } },
        y: { stacked: true, grid: { display: false } },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: function (item) {
          return item.dataset.label + ": " + Dash.number.format(item.raw);
        } } },
      },
      onClick: function (event, elements) {
        if (!elements.length) return;
        var link = d.top.links[elements[0].index];
        // Only our own paths: the links come from the server, but a page never navigates elsewhere.
        if (typeof link === "string" && link.charAt(0) === "/" && link.charAt(1) !== "/") {
          window.location.assign(link);
        }
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      },
    },
  });
})();
