/* The volatility page (templates/web/volatility.html), drawn from the APIs' own answers:
   - as of a minute (the "as of" bar, timetravel.js): GET /api/v1/analytics/<symbol>/surface?at= answering
     {symbol, minute, expiries, days_to_expiry, forwards, strikes, iv: [[one per strike] per expiry]} (decimals,
     null where the expiry does not list the strike) as a heatmap of expiries (rows) × strikes (columns) and as one
     smile line per expiry; and GET .../term-structure?at= answering {symbol, minute, expiries: [{expiry, bucket,
     days_to_expiry, forward, atm_iv, straddle, expected_move}]} as the ATM IV per expiry. Live (no at=), the
     latest analysed minute.
   - across days: GET .../skew-history?from=&to=&bucket= answering {symbol, daily, points: [{minute, expiry, rr25,
     bf25, atm_iv, straddle}]} (one per day, its last analysed minute), drawn on the exchange's sessions of the
     range (#vol-range): a session without a point is a gap, never 0.
   Values are drawn as the API gives them × 100 (vol points, %), unrounded; an API error (4xx/5xx) is shown as its
   JSON `error` in place of the chart. An older answer arriving after a newer request is dropped. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const source = $("vol-range");
  if (!source || !window.echarts) return;
  const range = JSON.parse(source.textContent);
  const charts = new Map();  // element id -> its echarts instance
  const base = { tooltip: { trigger: "axis" }, grid: { left: 60, right: 50, top: 40, bottom: 60 } };
  const pct = (v) => (v === null || v === undefined ? null : v * 100);
  const fixed = (v, d) => (v === null || v === undefined ? "—" : Number(v).toFixed(d));
  let surface = null;

  const status = (id, text, cls) => { const el = $(id); el.textContent = text; el.className = "badge " + (cls || ""); };

  /* Draw option on the element, or show message (an error, or "no data") in its place. */
  function draw(id, option, message) {
    const el = $(id);
    if (!option) {
      if (charts.has(id)) { charts.get(id).dispose(); charts.delete(id); }
      el.innerHTML = "";
      const p = document.createElement("p");
      p.className = message && message.error ? "error" : "muted";
      p.id = id + "-message";
      p.textContent = message ? message.text : "No data.";
      el.appendChild(p);
      el.style.height = "auto";
      el.dataset.state = message && message.error ? "failed" : "empty";
      return;
    }
    if (option.legend) option.legend.bottom = 0;
    if (!charts.has(id)) { el.innerHTML = ""; el.style.height = ""; charts.set(id, echarts.init(el)); }
    charts.get(id).setOption(Object.assign({}, base, option), true);
    el.dataset.state = "drawn";
  }

  function drawSurface() {
    const s = surface;
    const cells = [];
    let low = Infinity, high = -Infinity;
    s.iv.forEach(function (row, y) {
      row.forEach(function (v, x) {
        if (v === null || v === undefined) return;  // not listed: left blank, never drawn as 0
        const value = v * 100;
        cells.push([x, y, value]);
        low = Math.min(low, value); high = Math.max(high, value);
      });
    });
    const el = $("vol-surface");
    draw("vol-surface", cells.length && {
      tooltip: {
        formatter: (p) => `${s.expiries[p.value[1]]} (${s.days_to_expiry[p.value[1]].toFixed(1)} d), strike ${s.strikes[p.value[0]]}<br>IV ${p.value[2].toFixed(2)}%`,
      },
      grid: { left: 110, right: 90, top: 20, bottom: 70 },
      xAxis: { type: "category", data: s.strikes.map(String), name: "strike", splitArea: { show: false } },
      yAxis: { type: "category", data: s.expiries, name: "expiry" },
      visualMap: {
        min: Math.floor(low), max: Math.ceil(high), calculable: true, orient: "vertical", right: 0, top: 20,
        formatter: (v) => Number(v).toFixed(1) + "%",
        inRange: { color: ["#f3f6fb", "#7aa7e8", "#1f3f8f"] },
      },
      series: [{ name: "IV %", type: "heatmap", data: cells, progressive: 0 }],
    }, cells.length ? null : { text: `No IVs at ${Live.ist(s.minute)} IST.` });
    el.dataset.cells = String(cells.length);
    el.dataset.at = Live.istParam(s.minute);
    $("vol-minute").textContent = Live.ist(s.minute);
    drawSmile();
  }

  function drawSmile() {
    const s = surface, moneyness = $("smile-x").value === "moneyness";
    const series = s.expiries.map((expiry, y) => ({
      name: expiry, type: "line", symbolSize: 4, connectNulls: false,
      data: s.strikes.map((k, x) => [moneyness ? k / s.forwards[y] : k, pct(s.iv[y][x])]).filter((p) => p[1] !== null),
    }));
    draw("vol-smile", s.expiries.length && {
      legend: { data: s.expiries, type: "scroll" },
      tooltip: { trigger: "item", formatter: (p) => `${p.seriesName}: ${moneyness ? "K/F " + p.value[0].toFixed(4) : "strike " + p.value[0]}<br>IV ${p.value[1].toFixed(2)}%` },
      xAxis: { type: "value", scale: true, name: moneyness ? "K/F" : "strike" },
      yAxis: { type: "value", scale: true, name: "IV %" },
      series: series,
    });
    $("vol-smile").dataset.x = moneyness ? "moneyness" : "strike";
  }

  function drawTerm(term) {
    const points = term.expiries;
    draw("vol-term", points.length && {
      tooltip: {
        trigger: "axis",
        formatter: (items) => {
          const p = points[items[0].dataIndex];
          const iv = p.atm_iv === null ? "—" : (p.atm_iv * 100).toFixed(2) + "%";
          return `${p.expiry} (${p.bucket}, ${p.days_to_expiry.toFixed(1)} d)<br>ATM IV ${iv}<br>straddle ${fixed(p.straddle, 2)}<br>1σ move ${fixed(p.expected_move, 0)}`;
        },
      },
      xAxis: { type: "category", data: points.map((p) => p.expiry), name: "expiry" },
      yAxis: { type: "value", scale: true, name: "ATM IV %" },
      series: [{ name: "ATM IV", type: "line", connectNulls: false, data: points.map((p) => pct(p.atm_iv)) }],
    }, points.length ? null : { text: `No expiry analysed at ${Live.ist(term.minute)} IST.` });
    $("vol-term").dataset.expiries = points.map((p) => p.expiry).join(",");
  }

  const api = (id, query) => $(id).dataset.api + (query.toString() ? "?" + query.toString() : "");

  /* The surface and the term structure of the minute iso (null: the latest analysed); resolves once drawn. */
  const load = (iso, current) => loadAt(iso ? Live.istParam(iso) : null, current);
  async function loadAt(at, current) {
    const q = new URLSearchParams();
    if (at) q.set("at", at);
    status("vol-status", "loading…", "partial");
    const [got, term] = await Promise.all([
      Live.getJson(api("vol-surface", q), "IV surface"),
      Live.getJson(api("vol-term", q), "term structure"),
    ]);
    if (!current()) return;
    if (got.ok) { surface = got.body; drawSurface(); } else {
      surface = null;
      draw("vol-surface", null, { text: got.message, error: true });
      draw("vol-smile", null, { text: got.message, error: true });
    }
    if (term.ok) drawTerm(term.body); else draw("vol-term", null, { text: term.message, error: true });
    if (!got.ok || !term.ok) status("vol-status", got.ok ? term.message : got.message, "failed");
    else status("vol-status", at ? "replay" : "latest", at ? "partial" : "ok");
  }

  /* Each session of the range (and any other day with a point) on the axis; a session without one is a gap. */
  function drawSkew(answer) {
    const byDay = new Map(answer.points.map((p) => [p.minute.slice(0, 10), p]));
    const days = Array.from(new Set([...range.sessions, ...byDay.keys()])).sort();
    const column = (key, scale) => days.map((d) => { const p = byDay.get(d); return p && p[key] !== null ? p[key] * scale : null; });
    const few = days.length < 60;
    const tooltip = {
      trigger: "axis",
      formatter: (items) => {
        const d = days[items[0].dataIndex], p = byDay.get(d);
        if (!p) return `${d}: no analytics`;
        return `${d} (expiry ${p.expiry}, as of ${Live.ist(p.minute)} IST)<br>RR25 ${fixed(pct(p.rr25), 2)}<br>BF25 ${fixed(pct(p.bf25), 2)}` +
          `<br>ATM IV ${fixed(pct(p.atm_iv), 2)}%<br>straddle ${fixed(p.straddle, 2)}`;
      },
    };
    const message = answer.points.length ? null : { text: `No ${range.bucket} analytics from ${range.start} to ${range.end}.` };
    draw("skew-wings", answer.points.length && {
      tooltip: tooltip,
      legend: { data: ["RR25", "BF25"] },
      xAxis: { type: "category", data: days },
      yAxis: { type: "value", scale: true, name: "vol points" },
      series: [
        { name: "RR25", type: "line", showSymbol: few, connectNulls: false, data: column("rr25", 100) },
        { name: "BF25", type: "line", showSymbol: few, connectNulls: false, data: column("bf25", 100) },
      ],
    }, message);
    draw("skew-level", answer.points.length && {
      tooltip: tooltip,
      legend: { data: ["ATM IV", "Straddle"] },
      xAxis: { type: "category", data: days },
      yAxis: [{ type: "value", scale: true, name: "ATM IV %" }, { type: "value", scale: true, name: "straddle ₹" }],
      series: [
        { name: "ATM IV", type: "line", showSymbol: few, connectNulls: false, data: column("atm_iv", 100) },
        { name: "Straddle", type: "line", showSymbol: few, connectNulls: false, yAxisIndex: 1, lineStyle: { type: "dashed" }, data: column("straddle", 1) },
      ],
    }, message);
    $("skew-wings").dataset.days = String(days.length);
    $("skew-wings").dataset.points = String(answer.points.length);
  }

  async function loadSkew() {
    const q = new URLSearchParams({ from: range.start, to: range.end, bucket: range.bucket });
    const got = await Live.getJson(api("skew-wings", q), "skew history");
    if (!got.ok) {
      status("skew-status", got.status === 404 ? "no data" : "error", "failed");
      draw("skew-wings", null, { text: got.message, error: true });
      draw("skew-level", null, { text: got.message, error: true });
      return;
    }
    status("skew-status", `${got.body.points.length} day${got.body.points.length === 1 ? "" : "s"}`, got.body.points.length ? "ok" : "partial");
    drawSkew(got.body);
  }

  $("smile-x").addEventListener("change", () => { if (surface) drawSmile(); });
  // The range keeps the minute shown (the URL's at=, which the "as of" bar keeps current).
  $("skew-form").addEventListener("submit", function (event) {
    event.preventDefault();
    const url = new URL(location.href);
    url.searchParams.set("from", $("skew-from").value);
    url.searchParams.set("to", $("skew-to").value);
    location.assign(url.pathname + "?" + url.searchParams.toString());
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

  loadSkew();
  const travel = JSON.parse($("time-travel").textContent);
  if (!travel.minutes.length) {
    // No archived minute that day: ask anyway, so the page shows what the API answers for it (e.g. its 404).
    // A day picked without a minute is asked at its end: the latest analysed minute at or before it.
    loadAt(travel.at ? Live.istParam(travel.at) : travel.day ? travel.day + "T23:59" : null, () => true);
    return;
  }
  let asked = 0;
  window.TimeTravel.init({
    show: load,
    live: function () { const ticket = ++asked; return load(null, () => ticket === asked); },
    leaveLive: function () { asked++; },
    failed: function (message) { status("vol-status", message, "failed"); },
  });
})();
