/* Net index futures per participant category through the stored sessions. */
"use strict";
(function () {
  const el = document.getElementById("participants-chart");
  const data = document.getElementById("participants-history");
  if (!el || !data || !window.echarts) return;
  const history = JSON.parse(data.textContent);
  const categories = ["FII", "DII", "Pro", "Client"];
  const chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: categories },
    grid: { left: 70, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: history.map((s) => s.date) },
    yAxis: { type: "value", name: "contracts" },
    series: categories.map((c) => ({ name: c, type: "line", data: history.map((s) => s.categories[c].net_index_futures) })),
  });
  window.addEventListener("resize", () => chart.resize());
})();

/* The session picker submits its form when changed (no inline handler: the pages run under a content security policy). */
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
