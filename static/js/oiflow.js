/* The OI-flow heatmap: strikes (rows) × minutes (columns) of one expiry and IST day, from
   GET /api/v1/analytics/<symbol>/oi-flow?date=&bucket=&interval=&field= answering
   {symbol, expiry, date, interval, field, strikes, minutes, spot, values: {CE: [[...] per strike], PE: ...},
    walls: {call_wall: [...], put_wall: [...]}} (apps/api/flow.py), where `spot` and each wall list hold one value
   per column, aligned with `minutes` (null: unknown).
   The spot path and the walls are drawn over the cells on a hidden axis in strike-index units (a price between two
   strikes sits between their rows). An API error (4xx/5xx) is shown as its JSON `error`. */
"use strict";
(function () {
  const el = document.getElementById("flow-chart");
  if (!el || !window.echarts) return;
  const $ = (id) => document.getElementById(id);
  const FIELDS = { oi: "OI", doi_open: "ΔOI vs the previous close", doi_interval: "ΔOI per interval", volume: "Volume" };
  let side = "CE";
  let flow = null;
  let chart = null;
  let asked = 0;  // the latest request: an older answer arriving after it is dropped

  const status = (text, cls) => { const b = $("flow-status"); b.textContent = text; b.className = "badge " + (cls || ""); };
  const hhmm = (iso) => Live.ist(iso).slice(-5);

  /* A price as a fractional row index: linear between the two strikes around it; null outside the strikes. */
  function row(strikes, price) {
    if (price === null || price === undefined || !strikes.length) return null;
    if (price <= strikes[0]) return price === strikes[0] ? 0 : null;
    for (let i = 1; i < strikes.length; i++) {
      if (price <= strikes[i]) return i - 1 + (price - strikes[i - 1]) / (strikes[i] - strikes[i - 1]);
    }
    return null;
  }

  function failed(message) {
    if (chart) { chart.dispose(); chart = null; }
    el.innerHTML = "";
    const p = document.createElement("p");
    p.className = "muted";
    p.id = "flow-error";
    p.textContent = message;
    el.appendChild(p);
    el.style.height = "auto";
    el.dataset.state = "failed";
  }

  function draw() {
    const strikes = flow.strikes, minutes = flow.minutes;
    const matrix = (flow.values || {})[side] || [];
    const cells = [];
    let low = Infinity, high = -Infinity;
    matrix.forEach(function (values, y) {
      values.forEach(function (v, x) {
        if (v === null || v === undefined) return;  // unknown: left blank, never drawn as 0
        cells.push([x, y, v]);
        low = Math.min(low, v); high = Math.max(high, v);
      });
    });
    if (!cells.length) { low = 0; high = 1; }
    const signed = low < 0;
    const bound = Math.max(Math.abs(low), Math.abs(high));
    const walls = $("flow-walls").checked ? flow.walls || {} : {};
    // A wall list (or the spot) as [column, fractional row] points; an unknown value is a gap, not a point.
    const path = (values) => (values || []).map((v, x) => [x, row(strikes, v)]).filter((p) => p[1] !== null);
    const wallLine = (name, key, color) => ({
      name: name, type: "line", yAxisIndex: 1, showSymbol: false, step: "end", lineStyle: { type: "dashed", width: 2, color: color }, itemStyle: { color: color },
      data: path(walls[key]),
    });
    const calls = wallLine("Call wall", "call_wall", "#c0362c"), puts = wallLine("Put wall", "put_wall", "#0a7f3f");
    el.style.height = "";
    if (!chart) { el.innerHTML = ""; chart = echarts.init(el); }
    chart.setOption({
      tooltip: {
        formatter: function (p) {
          if (p.seriesType === "heatmap") {
            return `${side} ${strikes[p.value[1]]} at ${hhmm(minutes[p.value[0]])}<br>${FIELDS[flow.field] || flow.field}: ${Live.lakhs(p.value[2])}`;
          }
          return `${p.seriesName} at ${hhmm(minutes[p.value[0]])}`;
        },
      },
      legend: { bottom: 0, data: ["Spot", "Call wall", "Put wall"] },
      grid: { left: 70, right: 90, top: 20, bottom: 70 },
      xAxis: { type: "category", data: minutes.map(hhmm), splitArea: { show: false } },
      yAxis: [
        { type: "category", data: strikes.map((s) => String(s)), name: "strike" },
        { type: "value", min: -0.5, max: strikes.length - 0.5, show: false },
      ],
      visualMap: {
        min: signed ? -bound : low, max: signed ? bound : high, calculable: true, orient: "vertical", right: 0, top: 20,
        formatter: (v) => Live.lakhs(v),
        inRange: { color: signed ? ["#c0362c", "#f7f7f7", "#0a7f3f"] : ["#f3f6fb", "#7aa7e8", "#1f3f8f"] },
      },
      series: [
        { name: FIELDS[flow.field] || flow.field, type: "heatmap", data: cells, progressive: 0 },
        { name: "Spot", type: "line", yAxisIndex: 1, showSymbol: false, lineStyle: { width: 2, color: "#111827" }, itemStyle: { color: "#111827" },
          data: path(flow.spot) },
        calls,
        puts,
      ],
    }, true);
    el.dataset.state = "drawn";
    el.dataset.side = side;
    el.dataset.cells = String(cells.length);
    el.dataset.walls = `${calls.data.length}/${puts.data.length}`;
    el.dataset.columns = String(minutes.length);
    $("flow-expiry").textContent = `expiry ${flow.expiry}, ${flow.date}, ${flow.interval}-minute interval`;
  }

  async function load() {
    const q = new URLSearchParams({ bucket: el.dataset.bucket, field: $("flow-field").value, interval: $("flow-interval").value });
    if ($("flow-date").value) q.set("date", $("flow-date").value);
    history.replaceState(null, "", "?" + new URLSearchParams({ symbol: el.dataset.symbol, ...Object.fromEntries(q) }).toString());
    status("loading…", "partial");
    const ticket = ++asked;
    const got = await Live.getJson(el.dataset.api + "?" + q.toString(), "OI-flow data");
    if (ticket !== asked) return;  // a later request was made meanwhile
    if (!got.ok) {
      status(got.status === 0 ? "failed" : got.status === 404 ? "no data" : "error", "failed");
      failed(got.message);
      return;
    }
    flow = got.body;
    status("archive", "ok");
    draw();
  }

  function choose(next) {
    side = next;
    ["CE", "PE"].forEach(function (s) {
      const b = $(s === "CE" ? "flow-ce" : "flow-pe");
      b.setAttribute("aria-pressed", String(s === side));
      b.classList.toggle("secondary", s !== side);
    });
    if (flow) draw();
  }

  $("flow-ce").addEventListener("click", () => choose("CE"));
  $("flow-pe").addEventListener("click", () => choose("PE"));
  $("flow-walls").addEventListener("change", () => { if (flow) draw(); });
  ["flow-field", "flow-interval", "flow-date"].forEach((id) => $(id).addEventListener("change", load));
  $("flow-form").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  window.addEventListener("resize", () => chart && chart.resize());
  load();
})();
