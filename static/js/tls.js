(function () {
  "use strict";
  var d = Dash.data("tls-data");
  if (!d) return;
  var c = Dash.colors;
  new Chart(document.getElementById("chart-tls"), {
    type: "line",
    data: {
      labels: d.days.map(Dash.dayLabel),
      datasets: [{ label: "TLS success rate", data: d.rate, borderColor: c.pass, backgroundColor: c.pass, spanGaps: true, pointRadius: 2 }],
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
          var i = item.dataIndex;
          return item.raw === null ? "no sessions" : item.raw + "% of " + Dash.number.format(d.ok[i] + d.failed[i]) + " sessions";
        } } },
      },
    },
  });
})();
