/* Charts from the analytics selectors' data embedded in the page (apps.analytics.selectors). With the "as of"
   control (timetravel.js) each chosen minute's data is read from /charts/data?at=... and every chart redrawn;
   "Back to live" draws the latest analysed minute again. */
"use strict";
(function () {
  const source = document.getElementById("charts-data");
  if (!source || !window.echarts) return;
  const charts = new Map();  // element id -> its echarts instance
  const ist = (iso) => new Intl.DateTimeFormat("en-IN", { timeZone: "Asia/Kolkata", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
  const base = { tooltip: { trigger: "axis" }, grid: { left: 60, right: 50, top: 40, bottom: 60 } };

  function draw(id, option) {
    const el = document.getElementById(id);
    if (!el) return;
    if (!option) {
      if (charts.has(id)) { charts.get(id).dispose(); charts.delete(id); }
      el.innerHTML = '<p class="muted">No data yet.</p>'; el.style.height = "auto"; return;
    }
    if (option.legend) option.legend.bottom = 0;  // below the axis labels, clear of the plot
    if (!charts.has(id)) { el.innerHTML = ""; el.style.height = ""; charts.set(id, echarts.init(el)); }
    charts.get(id).setOption(Object.assign({}, base, option), true);
  }

  const fixed = (v, d) => (v === null || v === undefined ? "—" : Number(v).toFixed(d));
  function stats(data) {
    const s = data.summary, vix = data.our_vix || {};
    const values = {
      pcr_oi: fixed(s.pcr_oi, 2), max_pain: fixed(s.max_pain, 0), atm_iv: (s.atm_iv === null ? "—" : (s.atm_iv * 100).toFixed(1)) + "%",
      straddle: fixed(s.straddle, 2), expected_move: fixed(s.expected_move, 0), net_gex: fixed(s.net_gex, 0),
      our_vix: fixed(vix.our_vix, 2), india_vix: fixed(vix.india_vix, 2),
    };
    document.querySelectorAll("[data-stat]").forEach((b) => { b.textContent = values[b.dataset.stat]; });
    document.getElementById("charts-minute").textContent = Live.ist(s.minute);
    document.getElementById("charts-expiry").textContent = s.expiry;
    document.getElementById("chart-stats").dataset.at = Live.istParam(s.minute);
  }

  function render(data) {

  const smile = data.smile;
  draw("chart-smile", smile && {
    legend: { data: ["OTM IV", "Call IV", "Put IV"] },
    xAxis: { type: "value", scale: true, name: "strike" },
    yAxis: { type: "value", scale: true, name: "IV %" },
    series: [["OTM IV", "iv"], ["Call IV", "call_iv"], ["Put IV", "put_iv"]].map(([name, key]) => ({
      name: name, type: "line", symbolSize: 4, lineStyle: { width: key === "iv" ? 3 : 1 },
      data: smile.points.filter((p) => p[key] !== null).map((p) => [p.strike, +(p[key] * 100).toFixed(2)]),
      markLine: key === "iv" ? { symbol: "none", data: [{ xAxis: smile.forward, name: "forward" }] } : undefined,
    })),
  });

  const oi = data.oi;
  const strikes = oi ? oi.strikes.map((s) => s.strike) : [];
  const bars = (callKey, putKey) => [
    { name: "Calls", type: "bar", data: oi.strikes.map((s) => s[callKey]), itemStyle: { color: "#c0362c" } },
    { name: "Puts", type: "bar", data: oi.strikes.map((s) => s[putKey]), itemStyle: { color: "#0a7f3f" } },
  ];
  draw("chart-oi", oi && { legend: { data: ["Calls", "Puts"] }, xAxis: { type: "category", data: strikes }, yAxis: { type: "value", name: "OI (units)" }, series: bars("call_oi", "put_oi") });
  draw("chart-doi", oi && { legend: { data: ["Calls", "Puts"] }, xAxis: { type: "category", data: strikes }, yAxis: { type: "value", name: "ΔOI (units)" }, series: bars("call_oi_change", "put_oi_change") });

  const pcr = data.pcr_oi, pain = data.max_pain;
  draw("chart-pcr", (pcr || pain) && {
    legend: { data: ["PCR (OI)", "Max pain"] },
    xAxis: { type: "category", data: (pcr || pain).points.map((p) => ist(p.minute)) },
    yAxis: [{ type: "value", scale: true, name: "PCR" }, { type: "value", scale: true, name: "max pain" }],
    series: [
      { name: "PCR (OI)", type: "line", showSymbol: false, data: pcr ? pcr.points.map((p) => p.value) : [] },
      { name: "Max pain", type: "line", step: "end", showSymbol: false, yAxisIndex: 1, data: pain ? pain.points.map((p) => p.value) : [] },
    ],
  });

  const ov = data.overlay;
  draw("chart-straddle", ov && {
    legend: { data: ["Today", "Mean", "±1σ", "Min", "Max"] },
    xAxis: { type: "category", data: ov.times },
    yAxis: { type: "value", scale: true, name: "₹" },
    series: [
      { name: "±1σ", type: "line", data: ov.bands.lower, lineStyle: { opacity: 0 }, stack: "band", symbol: "none" },
      { name: "±1σ", type: "line", data: ov.bands.upper.map((u, i) => (u === null || ov.bands.lower[i] === null ? null : u - ov.bands.lower[i])),
        lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(31,111,235,0.15)" }, stack: "band", symbol: "none" },
      { name: "Mean", type: "line", data: ov.bands.mean, symbol: "none", lineStyle: { type: "dashed" } },
      { name: "Min", type: "line", data: ov.bands.min, symbol: "none", lineStyle: { width: 1, opacity: 0.5 } },
      { name: "Max", type: "line", data: ov.bands.max, symbol: "none", lineStyle: { width: 1, opacity: 0.5 } },
      { name: "Today", type: "line", data: ov.today, symbol: "none", lineStyle: { width: 3 } },
    ],
  });

  const g = data.gex;
  // GEX by strike on a numeric strike axis, so the forward and the gamma flip (levels between strikes) are drawn
  // where they are; the flip is the exposures selector's (none when the net keeps its sign within ±10 %).
  const ex = data.exposures;
  const flip = ex ? ex.gamma_flip : null;
  draw("chart-gex", g && {
    xAxis: { type: "value", scale: true, name: "strike", min: "dataMin", max: "dataMax" },
    yAxis: { type: "value", name: "₹ per 1%" },
    series: [{
      name: "GEX", type: "bar", barMaxWidth: 14,
      data: g.strikes.map((s) => ({ value: [s.strike, s.gex], itemStyle: { color: s.gex >= 0 ? "#0a7f3f" : "#c0362c" } })),
      markLine: {
        symbol: "none",
        data: [
          ...(ex ? [{ xAxis: ex.forward, name: "forward", label: { formatter: "forward" }, lineStyle: { color: "#111827" } }] : []),
          ...(flip === null ? [] : [{ xAxis: flip, name: "gamma flip", label: { formatter: "flip " + flip.toFixed(0) }, lineStyle: { color: "#7c3aed", type: "dashed", width: 2 } }]),
        ],
      },
    }],
  });
  const gexEl = document.getElementById("chart-gex");
  if (gexEl) gexEl.dataset.flip = flip === null ? "none" : String(flip);

  // The term structure: ATM IV (in %) of every expiry analysed at the minute, in expiry order; the tooltip adds
  // the days to expiry, the straddle and the 1-sigma move (F·σ·√t). An expiry without an ATM IV is a gap.
  const term = data.term;
  const termEl = document.getElementById("chart-term");
  draw("chart-term", term && term.expiries.length && {
    tooltip: {
      trigger: "axis",
      formatter: (items) => {
        const p = term.expiries[items[0].dataIndex];
        const iv = p.atm_iv === null ? "—" : (p.atm_iv * 100).toFixed(2) + "%";
        return `${p.expiry} (${p.bucket}, ${p.days_to_expiry.toFixed(1)} d)<br>ATM IV ${iv}<br>straddle ${p.straddle === null ? "—" : p.straddle.toFixed(2)}<br>1σ move ${p.expected_move === null ? "—" : p.expected_move.toFixed(0)}`;
      },
    },
    xAxis: { type: "category", data: term.expiries.map((p) => p.expiry), name: "expiry" },
    yAxis: { type: "value", scale: true, name: "ATM IV %" },
    series: [{ name: "ATM IV", type: "line", connectNulls: false, data: term.expiries.map((p) => (p.atm_iv === null ? null : +(p.atm_iv * 100).toFixed(2))) }],
  });
  if (termEl) termEl.dataset.expiries = term ? term.expiries.map((p) => p.expiry).join(",") : "";

  // The spot path with the expected-move bands: the spot at the minute shown ± 1σ and ± 2σ (σ the summary's
  // 1-sigma move to the expiry, F·σ·√t); without an ATM IV, the path alone.
  const path = data.spot || [], sum = data.summary, move = sum ? sum.expected_move : null;
  const SIGMAS = [-2, -1, 1, 2];
  const bands = move === null || !sum ? [] : SIGMAS.map((k) => sum.spot + k * move);
  const band = (y, k) => {
    const name = (k > 0 ? "+" : "−") + Math.abs(k) + "σ", one = Math.abs(k) === 1;
    return { yAxis: y, name: name, label: { formatter: name + " " + y.toFixed(0) },
             lineStyle: { type: one ? "dashed" : "dotted", color: one ? "#7c3aed" : "#a78bfa" } };
  };
  draw("chart-spot", path.length && {
    xAxis: { type: "category", data: path.map((p) => ist(p.minute)) },
    yAxis: { type: "value", scale: true, name: "spot", axisLabel: { formatter: (v) => v.toFixed(0) },
             min: bands.length ? Math.floor(Math.min(bands[0], ...path.map((p) => p.spot))) : "dataMin",
             max: bands.length ? Math.ceil(Math.max(bands[3], ...path.map((p) => p.spot))) : "dataMax" },
    series: [{ name: "Spot", type: "line", showSymbol: path.length < 30, data: path.map((p) => p.spot),
      markLine: { symbol: "none", data: bands.map((y, i) => band(y, SIGMAS[i])) } }],
  });
  const spotEl = document.getElementById("chart-spot");
  if (spotEl) { spotEl.dataset.points = String(path.length); spotEl.dataset.bands = bands.join(","); }

  // The skew of the chosen expiry through the session: RR25 and BF25 in vol points (left), ATM IV in % (right).
  const skew = data.skew;
  const points = skew ? skew.points : [];
  const volPoints = (key) => points.map((p) => (p[key] === null ? null : +(p[key] * 100).toFixed(2)));
  draw("chart-skew", points.length && {
    legend: { data: ["RR25", "BF25", "ATM IV"] },
    xAxis: { type: "category", data: points.map((p) => ist(p.minute)) },
    yAxis: [{ type: "value", scale: true, name: "vol points" }, { type: "value", scale: true, name: "ATM IV %" }],
    series: [
      { name: "RR25", type: "line", showSymbol: points.length < 30, connectNulls: false, data: volPoints("rr25") },
      { name: "BF25", type: "line", showSymbol: points.length < 30, connectNulls: false, data: volPoints("bf25") },
      { name: "ATM IV", type: "line", showSymbol: points.length < 30, yAxisIndex: 1, lineStyle: { type: "dashed" }, data: volPoints("atm_iv") },
    ],
  });
  const skewEl = document.getElementById("chart-skew");
  if (skewEl) {
    skewEl.dataset.points = String(points.length);
    skewEl.dataset.rr25 = points.length ? String(points[points.length - 1].rr25) : "";
  }

  // Our index is drawn only where it is a number; where the snapshot could not support it the line breaks and
  // the tooltip says why (never a made-up value).
  const vol = data.volatility;
  const few = vol && vol.points.length < 30;  // an end-of-day archive has one point a day: show the dots
  const hasVix = vol && vol.points.some((p) => p.our_vix !== null || p.india_vix !== null || p.cm30_atm_iv !== null);
  draw("chart-vix", hasVix && {
    legend: { data: [vol.our_vix_label, "India VIX", "30-day ATM IV"] },
    tooltip: {
      trigger: "axis",
      formatter: (items) => {
        const p = vol.points[items[0].dataIndex];
        const ours = p.our_vix !== null ? p.our_vix.toFixed(2) : "not computed (" + p.our_vix_reason + ": " + p.our_vix_note + ")";
        const nse = p.india_vix !== null ? p.india_vix.toFixed(2) : "—";
        const cm30 = p.cm30_atm_iv !== null ? (p.cm30_atm_iv * 100).toFixed(2) : "—";
        return ist(p.minute) + "<br>ours: " + ours + "<br>India VIX: " + nse + "<br>30-day ATM IV: " + cm30;
      },
    },
    xAxis: { type: "category", data: vol.points.map((p) => ist(p.minute)) },
    yAxis: { type: "value", scale: true, name: "vol points" },
    series: [
      { name: vol.our_vix_label, type: "line", showSymbol: few, connectNulls: false, lineStyle: { width: 3 }, data: vol.points.map((p) => p.our_vix) },
      { name: "India VIX", type: "line", showSymbol: few, data: vol.points.map((p) => p.india_vix) },
      { name: "30-day ATM IV", type: "line", showSymbol: few, lineStyle: { type: "dashed" },
        data: vol.points.map((p) => (p.cm30_atm_iv === null ? null : +(p.cm30_atm_iv * 100).toFixed(2))) },
    ],
  });

  }

  render(JSON.parse(source.textContent));
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

  const table = new URLSearchParams(location.search);
  const query = (iso) => {
    const q = new URLSearchParams({ symbol: table.get("symbol") || "", bucket: table.get("bucket") || "" });
    if (iso) q.set("at", Live.istParam(iso));
    return "/charts/data?" + q.toString();
  };
  const status = (text, cls) => { const el = document.getElementById("charts-status"); el.textContent = text; el.className = "badge " + (cls || ""); };
  async function load(iso, current) {
    const response = await fetch(query(iso), { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const body = await response.json().catch(() => ({}));
    if (!current()) return;
    if (!response.ok) { status(body.error || `HTTP ${response.status}`, "failed"); return; }
    status(iso ? "replay" : "latest", iso ? "partial" : "ok");
    stats(body);
    render(body);
  }
  let started = false;
  window.TimeTravel && TimeTravel.init({
    show: load,
    live: function () { if (started) load(null, () => true); started = true; status("latest", "ok"); },
    leaveLive: function () { started = true; },
    failed: function (message) { status(message, "failed"); },
  });
})();
