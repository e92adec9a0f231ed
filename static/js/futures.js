/* The futures page (templates/web/futures.html), drawn from GET /api/v1/analytics/<symbol>/futures?date= answering
   {symbol, date, minutes, spot, futures: [{expiry, price, oi, basis, carry}], calendar_spread: {near, next, values},
    rollover: {available, reason, expiry_week, near, values}} (apps/api/volviews.py), every list one value per
   minute (null: not quoted, or its OI not kept, drawn as a gap, never 0):
   - the basis of each future (F − S, points), its annualised carry (decimal, drawn × 100 as % a year), the
     calendar spread next − near (points);
   - each future's open interest (units, in lakhs on the axis) and rollover % (OI beyond the near / all futures'
     OI × 100) on its own axis; where the archive holds no futures' OI for the day, the API's reason instead.
   An API error (4xx/5xx) is shown as its JSON `error`. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const host = $("fut-basis");
  if (!host || !window.echarts) return;
  const charts = new Map();  // element id -> its echarts instance
  const hhmm = (iso) => Live.ist(iso).slice(-5);
  const base = { tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 70, right: 70, top: 30, bottom: 60 } };

  function status(text, cls) { const b = $("fut-status"); b.textContent = text; b.className = "badge " + (cls || ""); }

  function message(id, text, isError) {
    if (charts.has(id)) { charts.get(id).dispose(); charts.delete(id); }
    const el = $(id);
    el.innerHTML = "";
    const p = document.createElement("p");
    p.className = isError ? "error" : "muted";
    p.id = id + "-message";
    p.textContent = text;
    el.appendChild(p);
    el.style.height = "auto";
    el.dataset.state = isError ? "failed" : "empty";
  }

  function draw(id, option) {
    const el = $(id);
    if (!charts.has(id)) { el.innerHTML = ""; el.style.height = ""; charts.set(id, echarts.init(el)); }
    charts.get(id).setOption(Object.assign({}, base, option), true);
    el.dataset.state = "drawn";
  }

  const line = (name, data, extra) => Object.assign({ name: name, type: "line", showSymbol: false, connectNulls: false, data: data }, extra || {});
  const times = (day) => ({ type: "category", data: day.minutes.map(hhmm) });

  function render(day) {
    if (!day.minutes.length) { ["fut-basis", "fut-carry", "fut-spread", "fut-rollover"].forEach((id) => message(id, "No minutes archived.")); return; }
    if (!day.futures.length) {
      ["fut-basis", "fut-carry", "fut-spread", "fut-rollover"].forEach((id) => message(id, `No future of ${day.symbol} was quoted on ${day.date}.`));
      return;
    }
    draw("fut-basis", {
      xAxis: times(day),
      yAxis: { type: "value", name: "F − S (points)", scale: true },
      series: day.futures.map((f) => line(f.expiry, f.basis)),
    });
    draw("fut-carry", {
      xAxis: times(day),
      yAxis: { type: "value", name: "% a year", scale: true },
      series: day.futures.map((f) => line(f.expiry, f.carry.map((v) => (v === null ? null : v * 100)))),
    });
    const spread = day.calendar_spread;
    if (spread.near && spread.next) {
      $("fut-spread-note").textContent = `Next (${spread.next}) − near (${spread.near}) future, index points.`;
      draw("fut-spread", { xAxis: times(day), yAxis: { type: "value", name: "points", scale: true }, series: [line("next − near", spread.values)] });
    } else {
      message("fut-spread", "A calendar spread needs two futures quoted that day.");
    }
    const roll = day.rollover;
    $("fut-rollover-note").textContent = roll.reason + (roll.expiry_week ? " The near future expires this week." : "");
    const known = roll.values.filter((v) => v !== null);
    $("fut-rollover-now").textContent = known.length ? `rollover ${known[known.length - 1].toFixed(2)} % at ${hhmm(day.minutes[roll.values.lastIndexOf(known[known.length - 1])])}` : "";
    if (!roll.available) { message("fut-rollover", roll.reason); return; }
    draw("fut-rollover", {
      tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : String(v)) },
      xAxis: times(day),
      yAxis: [
        { type: "value", name: "OI", axisLabel: { formatter: (v) => Live.lakhs(v) } },
        { type: "value", name: "rollover %", min: 0, max: 100 },
      ],
      series: [
        ...day.futures.map((f) => ({ name: `OI ${f.expiry}`, type: "bar", stack: "oi", data: f.oi })),
        line("rollover %", roll.values, { yAxisIndex: 1 }),
      ],
    });
  }

  async function load() {
    const url = new URL(host.dataset.api, window.location.origin);
    const day = $("fut-date").value;
    if (day) url.searchParams.set("date", day);
    status("loading…");
    const answer = await Live.getJson(url.toString(), "futures");
    if (!answer.ok) {
      ["fut-basis", "fut-carry", "fut-spread", "fut-rollover"].forEach((id) => message(id, answer.message, true));
      $("fut-rollover-note").textContent = "";
      status("error", "failed");
      return;
    }
    render(answer.body);
    status(answer.body.date, "ok");
  }

  load();
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
