(function () {
  "use strict";
  var d = Dash.data("chart-data");
  if (!d) return;
  Dash.stackedDays(document.getElementById("chart-daily"), d.days, [
    { label: "DMARC pass", data: d.pass, color: Dash.colors.pass },
    { label: "DMARC fail", data: d.fail, color: Dash.colors.fail },
  ]);
})();
