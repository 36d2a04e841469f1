// Shared chart helpers. Chart data arrives through json_script and is drawn on canvas:
// labels and tooltips are plain text, never HTML.
window.Dash = (function () {
  "use strict";
  var colors = {
    pass: "#2e8540", fail: "#c8372d", none: "#9aa5b5", quarantine: "#d69e2e", reject: "#8f1d16",
  };
  var number = new Intl.NumberFormat();
  var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function dayLabel(iso) {
    var p = iso.split("-");
    return Number(p[2]) + " " + months[Number(p[1]) - 1];
  }

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#5f6b7a";
  Chart.defaults.animation = false;

  function stackedDays(canvas, days, series) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: days.map(dayLabel),
        datasets: series.map(function (s) {
          return { label: s.label, data: s.data, backgroundColor: s.color, borderWidth: 0,
                   barPercentage: 1.0, categoryPercentage: days.length > 60 ? 1.0 : 0.85 };
        }),
      },
      options: {
        responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { maxTicksLimit: 10, maxRotation: 0 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0, callback: function (v) { return number.format(v); } } },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              title: function (items) { return days[items[0].dataIndex]; },
              label: function (item) { return item.dataset.label + ": " + number.format(item.raw); },
            },
          },
        },
      },
    });
  }

  return { colors: colors, data: data, number: number, stackedDays: stackedDays, dayLabel: dayLabel };
})();
