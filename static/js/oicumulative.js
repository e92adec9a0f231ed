/* Cumulative OI on the OI-flow page: calls and puts by strike summed over the expiries ticked, from
   GET /api/v1/analytics/<symbol>/oi-cumulative?expiries=&at= answering
   {symbol, minute, expiries, strikes, CE: {oi, oi_change}, PE: {oi, oi_change}} (apps/api/flow.py), each list one
   value per strike (null: unknown). The first answer (every expiry archived at the minute) lists the expiries the
   boxes offer; the day is the heatmap's (#flow-date), or the latest when it is empty. The walls are the strikes of
   the largest summed call and put OI. An API error is shown as its JSON `error`. */
"use strict";
(function () {
  const el = document.getElementById("cum-chart");
  if (!el || !window.echarts) return;
  const $ = (id) => document.getElementById(id);
  let chart = null;
  let answer = null;
  let asked = 0;  // the latest request: an older answer arriving after it is dropped

  const status = (text, cls) => { const b = $("cum-status"); b.textContent = text; b.className = "badge " + (cls || ""); };
  const ticked = () => Array.from(document.querySelectorAll("#cum-expiries input:checked")).map((box) => box.value);
  const sum = (values) => values.reduce((total, v) => (v === null ? total : total + v), 0);

  function wall(strikes, values) {
    let best = null, at = null;
    values.forEach(function (v, i) { if (v !== null && (best === null || v > best)) { best = v; at = strikes[i]; } });
    return at;
  }

  function failed(message) {
    el.dataset.state = "failed";
    if (chart) chart.clear();
    const p = $("cum-error");
    p.textContent = message;
    p.hidden = false;
  }

  function offer(expiries) {
    const holder = $("cum-expiries");
    holder.textContent = "";
    expiries.forEach(function (expiry) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = expiry;
      box.checked = true;
      box.addEventListener("change", () => load(false));
      label.append(box, " " + expiry + " ");
      holder.append(label);
    });
  }

  function draw() {
    const field = $("cum-field").value;
    const strikes = answer.strikes, ce = answer.CE[field], pe = answer.PE[field];
    const walls = field === "oi" ? [wall(strikes, ce), wall(strikes, pe)] : [null, null];
    const line = (strike, color, name) => (strike === null ? [] : [{ name: name, xAxis: String(strike), lineStyle: { color: color, type: "dashed", width: 2 } }]);
    if (!chart) chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "unknown" : Live.lakhs(v)) },
      legend: { bottom: 0, data: ["Calls (CE)", "Puts (PE)"] },
      grid: { left: 70, right: 20, top: 20, bottom: 60 },
      xAxis: { type: "category", data: strikes.map((s) => String(s)), name: "strike" },
      yAxis: { type: "value", axisLabel: { formatter: (v) => Live.lakhs(v) } },
      series: [
        { name: "Calls (CE)", type: "bar", data: ce, itemStyle: { color: "#c0362c" },
          markLine: { symbol: "none", label: { formatter: "call wall" }, data: line(walls[0], "#c0362c", "call wall") } },
        { name: "Puts (PE)", type: "bar", data: pe, itemStyle: { color: "#0a7f3f" },
          markLine: { symbol: "none", label: { formatter: "put wall" }, data: line(walls[1], "#0a7f3f", "put wall") } },
      ],
    }, true);
    $("cum-error").hidden = true;
    $("cum-minute").textContent = `${answer.expiries.length} expiries at ${Live.ist(answer.minute)}`;
    el.dataset.state = "drawn";
    el.dataset.field = field;
    el.dataset.expiries = answer.expiries.join(",");
    el.dataset.strikes = String(strikes.length);
    el.dataset.ce = String(sum(ce));
    el.dataset.pe = String(sum(pe));
    el.dataset.walls = `${walls[0]}/${walls[1]}`;
  }

  async function load(fresh) {
    const day = $("flow-date") ? $("flow-date").value : "";
    if (fresh) $("cum-expiries").textContent = "";  // another day: its own expiries
    const q = new URLSearchParams();
    if (day) q.set("at", day + "T23:59");
    const boxes = document.querySelectorAll("#cum-expiries input");
    if (boxes.length) {
      const chosen = ticked();
      if (!chosen.length) {
        asked++;  // an answer still on its way for an earlier choice is dropped, not drawn over this
        status("no expiry", "partial");
        failed("Tick at least one expiry to sum.");
        return;
      }
      q.set("expiries", chosen.join(","));
    }
    status("loading…", "partial");
    const ticket = ++asked;
    const got = await Live.getJson(el.dataset.api + "?" + q.toString(), "cumulative OI");
    if (ticket !== asked) return;  // a later request (or "no expiry") came meanwhile
    if (!got.ok) {
      status(got.status === 0 ? "failed" : got.status === 404 ? "no data" : "error", "failed");
      failed(got.message);
      return;
    }
    answer = got.body;
    if (!boxes.length) offer(answer.expiries);
    status("archive", "ok");
    draw();
  }

  $("cum-field").addEventListener("change", () => { if (answer) draw(); });
  if ($("flow-date")) $("flow-date").addEventListener("change", () => load(true));
  if ($("flow-form")) $("flow-form").addEventListener("submit", () => load(true));
  window.addEventListener("resize", () => chart && chart.resize());
  load(true);
})();
