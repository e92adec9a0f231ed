/* The strategy builder. Legs come from the chain as of the page's minute (?at=, default the latest archived:
   GET /api/v1/option-chain/<symbol>?bucket=&at=&offsets=-10..10) by clicking a mid price, or from a template
   (strike offsets from ATM). The payoff is POSTed to /api/v1/strategies/payoff as
   {symbol, legs: [{expiry, strike, option_type, side, lots, price}], spots, at} and drawn from its answer
   {lot_size, at_expiry, before_expiry, breakevens, max_profit, max_loss, unlimited, pop, net_premium, greeks, margin}.
   The what-if sliders re-POST: spot shift centres the spots on the shifted spot, days on moves `at` forward,
   IV shift is sent as `iv_shift` (vol points) when not zero. Where the server has no payoff API (404) the page
   says so and draws only the at-expiry payoff, computed here from the legs (intrinsic value less entry). */
"use strict";
(function () {
  const root = document.getElementById("builder");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const LOTS = JSON.parse($("lot-sizes").textContent);
  const travel = JSON.parse($("time-travel").textContent);
  const symbol = root.dataset.symbol, bucket = root.dataset.bucket;
  const csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  // Templates: [option_type, side, strike offset from ATM, lots].
  const TEMPLATES = {
    long_straddle: [["CE", "buy", 0, 1], ["PE", "buy", 0, 1]],
    short_straddle: [["CE", "sell", 0, 1], ["PE", "sell", 0, 1]],
    long_strangle: [["PE", "buy", -2, 1], ["CE", "buy", 2, 1]],
    short_strangle: [["PE", "sell", -2, 1], ["CE", "sell", 2, 1]],
    bull_call_spread: [["CE", "buy", 0, 1], ["CE", "sell", 2, 1]],
    bear_call_spread: [["CE", "sell", 0, 1], ["CE", "buy", 2, 1]],
    bull_put_spread: [["PE", "buy", -2, 1], ["PE", "sell", 0, 1]],
    bear_put_spread: [["PE", "sell", -2, 1], ["PE", "buy", 0, 1]],
    iron_condor: [["PE", "buy", -4, 1], ["PE", "sell", -2, 1], ["CE", "sell", 2, 1], ["CE", "buy", 4, 1]],
    iron_butterfly: [["PE", "buy", -3, 1], ["PE", "sell", 0, 1], ["CE", "sell", 0, 1], ["CE", "buy", 3, 1]],
    call_butterfly: [["CE", "buy", -2, 1], ["CE", "sell", 0, 2], ["CE", "buy", 2, 1]],
  };
  let chain = null;          // the API chain shown
  const byOffset = new Map();  // "<offset>|<CE|PE>" -> {row, leg}
  let legs = [];             // {expiry, strike, option_type, side, lots, price}
  let chart = null;
  let asked = 0;
  let timer = null;

  const status = (id, text, cls) => { const b = $(id); b.textContent = text; b.className = "badge " + (cls || ""); };
  const rupees = (v) => (v === null || v === undefined ? "—" : Live.num(v, 0));
  const mid = (leg) => (leg && leg.bid && leg.ask ? +((leg.bid + leg.ask) / 2).toFixed(2) : leg ? leg.last_price : null);

  async function api(path, init) {
    const response = await fetch(path, Object.assign({ credentials: "same-origin", headers: { Accept: "application/json" } }, init || {}));
    const body = await response.json().catch(() => null);
    return { status: response.status, ok: response.ok, body: body };
  }

  /* ---- the chain picker ---- */
  function priceButton(row, side) {
    const leg = row[side.toLowerCase()];
    const td = document.createElement("td");
    if (!leg) return td;
    const b = document.createElement("button");
    b.type = "button"; b.className = "price"; b.dataset.strike = String(row.strike); b.dataset.side = side;
    b.textContent = Live.num(mid(leg), 2);
    b.addEventListener("click", () => addLeg(row, side, $("sb-click-side").value, 1));
    td.appendChild(b);
    return td;
  }
  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

  function drawChain() {
    const body = $("sb-chain-body");
    body.replaceChildren();
    byOffset.clear();
    chain.rows.forEach(function (row) {
      const tr = document.createElement("tr");
      tr.dataset.strike = String(row.strike);
      if (row.strike_offset === 0) tr.classList.add("atm");
      const ce = row.ce, pe = row.pe;
      tr.append(cell(ce ? Live.num(ce.bid, 2) : ""), cell(ce ? Live.num(ce.ask, 2) : ""), priceButton(row, "CE"));
      const k = cell(Live.num(row.strike)); k.className = "strike"; tr.appendChild(k);
      tr.append(priceButton(row, "PE"), cell(pe ? Live.num(pe.bid, 2) : ""), cell(pe ? Live.num(pe.ask, 2) : ""));
      body.appendChild(tr);
      if (ce) byOffset.set(row.strike_offset + "|CE", row);
      if (pe) byOffset.set(row.strike_offset + "|PE", row);
    });
    $("sb-minute").textContent = Live.ist(chain.minute);
    root.dataset.at = Live.istParam(chain.minute);
    $("sb-chain-link").href = `/?symbol=${encodeURIComponent(symbol)}&bucket=${encodeURIComponent(bucket)}&at=${encodeURIComponent(Live.istParam(chain.minute))}`;
  }

  async function loadChain() {
    const at = travel.at ? `&at=${encodeURIComponent(Live.istParam(travel.at))}` : "";
    const reply = await api(`/api/v1/option-chain/${encodeURIComponent(symbol)}?bucket=${encodeURIComponent(bucket)}&offsets=-10..10${at}`);
    if (!reply.ok) { status("sb-chain-status", (reply.body && reply.body.error) || `HTTP ${reply.status}`, "failed"); return; }
    chain = reply.body;
    status("sb-chain-status", travel.at ? "archive" : "latest", "ok");
    drawChain();
  }

  /* ---- the legs ---- */
  function addLeg(row, side, buySell, lots) {
    const leg = row[side.toLowerCase()];
    legs.push({ expiry: chain.expiry, strike: row.strike, option_type: side, side: buySell, lots: lots, price: mid(leg) });
    drawLegs();
    schedule();
  }

  function drawLegs() {
    const body = $("sb-legs-body");
    body.replaceChildren();
    if (!legs.length) {
      body.innerHTML = '<tr class="empty"><td colspan="5" class="text muted">No legs yet: pick a template or click a price.</td></tr>';
    }
    legs.forEach(function (leg, i) {
      const tr = document.createElement("tr");
      tr.className = "leg";
      tr.dataset.side = leg.side; tr.dataset.type = leg.option_type; tr.dataset.strike = String(leg.strike);
      const name = cell(`${leg.expiry} ${Live.num(leg.strike)} ${leg.option_type}`); name.className = "text";
      const side = document.createElement("select");
      side.innerHTML = '<option value="buy">Buy</option><option value="sell">Sell</option>';
      side.value = leg.side;
      side.addEventListener("change", () => { leg.side = side.value; tr.dataset.side = leg.side; schedule(); });
      const lots = document.createElement("input");
      lots.type = "number"; lots.min = "1"; lots.step = "1"; lots.value = String(leg.lots); lots.className = "lots";
      lots.addEventListener("change", () => { leg.lots = Math.max(1, Math.round(Number(lots.value) || 1)); lots.value = String(leg.lots); schedule(); });
      const price = document.createElement("input");
      price.type = "number"; price.min = "0"; price.step = "0.05"; price.value = leg.price === null ? "" : String(leg.price); price.className = "price";
      price.addEventListener("change", () => { leg.price = price.value === "" ? null : Number(price.value); schedule(); });
      const remove = document.createElement("button");
      remove.type = "button"; remove.className = "secondary"; remove.textContent = "Remove";
      remove.addEventListener("click", () => { legs.splice(i, 1); drawLegs(); schedule(); });
      const tds = [side, lots, price, remove].map((control) => { const td = document.createElement("td"); td.appendChild(control); return td; });
      tr.append(name, ...tds);
      body.appendChild(tr);
    });
    root.dataset.legs = String(legs.length);
  }

  // A calendar sells the ATM call of the page's expiry and buys the same strike of the next bucket's expiry.
  const NEXT_BUCKET = { this_week: "next_week", next_week: "this_month", this_month: "next_month" };
  async function applyCalendar() {
    const next = NEXT_BUCKET[bucket];
    const near = byOffset.get("0|CE");
    if (!next || !near) { status("sb-status", "a calendar needs a later expiry than " + bucket, "failed"); return; }
    const reply = await api(`/api/v1/option-chain/${encodeURIComponent(symbol)}?bucket=${next}&at=${encodeURIComponent(Live.istParam(chain.minute))}`);
    const far = reply.ok ? reply.body.rows.find((r) => r.strike === near.strike && r.ce) : null;
    if (!far) { status("sb-status", `no ${near.strike} CE in ${next} at this minute`, "failed"); return; }
    legs = [
      { expiry: chain.expiry, strike: near.strike, option_type: "CE", side: "sell", lots: 1, price: mid(near.ce) },
      { expiry: reply.body.expiry, strike: far.strike, option_type: "CE", side: "buy", lots: 1, price: mid(far.ce) },
    ];
    drawLegs();
    schedule();
  }

  function applyTemplate(name) {
    if (name === "calendar" && chain) { applyCalendar(); return; }
    const template = TEMPLATES[name];
    if (!template || !chain) return;
    const missing = template.filter(([type, , offset]) => !byOffset.has(offset + "|" + type));
    if (missing.length) { status("sb-status", "the chain shown lacks strike offset " + missing[0][2] + " " + missing[0][0], "failed"); return; }
    legs = template.map(function ([type, side, offset, lots]) {
      const row = byOffset.get(offset + "|" + type);
      return { expiry: chain.expiry, strike: row.strike, option_type: type, side: side, lots: lots, price: mid(row[type.toLowerCase()]) };
    });
    drawLegs();
    schedule();
  }

  /* ---- the payoff ---- */
  function spotShift() { return Number($("sb-spot-shift").value); }
  function centre() { return (chain.spot || chain.forward) * (1 + spotShift() / 100); }
  function spots() {
    const c = centre(), out = [];
    for (let i = -40; i <= 40; i++) out.push(+(c * (1 + i * 0.0025)).toFixed(2));
    return out;
  }
  function whatIfAt() {
    const days = Number($("sb-days").value);
    const t = new Date(new Date(chain.minute).getTime() + days * 86400000);
    return Live.istParam(t.toISOString());
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(payoff, 150); }

  /* At expiry, computed here (the fallback when the payoff API is missing): intrinsic value less entry, in rupees. */
  function localAtExpiry() {
    return spots().map(function (s) {
      let pnl = 0;
      legs.forEach(function (leg) {
        const lot = LOTS[leg.expiry] || 1;
        const intrinsic = leg.option_type === "CE" ? Math.max(s - leg.strike, 0) : Math.max(leg.strike - s, 0);
        pnl += (leg.side === "buy" ? 1 : -1) * (intrinsic - (leg.price || 0)) * leg.lots * lot;
      });
      return { spot: s, pnl: +pnl.toFixed(2) };
    });
  }

  function interpolate(points, s) {
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1], b = points[i];
      if (s >= a.spot && s <= b.spot) return a.pnl + (b.pnl - a.pnl) * (s - a.spot) / (b.spot - a.spot || 1);
    }
    return null;
  }

  function drawChart(atExpiry, before) {
    const el = $("sb-chart");
    if (!chart) chart = echarts.init(el);
    const series = [{ name: "At expiry", type: "line", showSymbol: false, lineStyle: { width: 3 }, data: atExpiry.map((p) => [p.spot, p.pnl]),
      markLine: { symbol: "none", data: [{ yAxis: 0, lineStyle: { color: "#667085" } }, { xAxis: +centre().toFixed(2), name: "spot", lineStyle: { color: "#1f6feb" } }] } }];
    (before || []).forEach(function (curve) {
      series.push({ name: "On " + curve.date, type: "line", showSymbol: false, lineStyle: { type: "dashed" }, data: curve.points.map((p) => [p.spot, p.pnl]) });
    });
    chart.setOption({
      tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 80, right: 30, top: 30, bottom: 60 },
      xAxis: { type: "value", scale: true, name: "spot at the date" }, yAxis: { type: "value", name: "P&L ₹" }, series: series,
    }, true);
    el.dataset.series = String(series.length);
    el.dataset.state = "drawn";
  }

  function showStats(r) {
    const unlimited = r.unlimited || {};
    $("sb-net").textContent = rupees(r.net_premium);
    $("sb-maxp").textContent = unlimited.profit ? "Unlimited" : rupees(r.max_profit);
    $("sb-maxl").textContent = unlimited.loss ? "Unlimited" : rupees(r.max_loss);
    $("sb-be").textContent = r.breakevens && r.breakevens.length ? r.breakevens.map((b) => Live.num(b, 0)).join(", ") : "none";
    $("sb-pop").textContent = r.pop === null || r.pop === undefined ? "—" : Live.num(r.pop * 100, 1) + "%";
    const g = r.greeks || {};
    $("sb-greeks").textContent = [Live.num(g.delta, 2), Live.num(g.gamma, 4), Live.num(g.theta, 0), Live.num(g.vega, 0)].join(" / ");
    const m = r.margin || {};
    $("sb-margin").textContent = m.available === true ? "available" : "unavailable" + (m.reason ? ": " + m.reason : "");
  }

  function clearStats() { ["sb-net", "sb-maxp", "sb-maxl", "sb-be", "sb-pop", "sb-greeks", "sb-margin", "sb-whatif"].forEach((id) => { $(id).textContent = "—"; }); }

  async function payoff() {
    if (!chain) return;
    if (!legs.length) { clearStats(); if (chart) { chart.clear(); } status("sb-status", "add legs", ""); return; }
    const ticket = ++asked;
    const body = { symbol: symbol, legs: legs.map((l) => ({ expiry: l.expiry, strike: l.strike, option_type: l.option_type, side: l.side, lots: l.lots, price: l.price })),
      spots: spots(), at: whatIfAt() };
    const iv = Number($("sb-iv-shift").value);
    if (iv) body.iv_shift = iv;
    status("sb-status", "pricing…", "partial");
    const reply = await api("/api/v1/strategies/payoff", {
      method: "POST", body: JSON.stringify(body),
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
    });
    if (ticket !== asked) return;
    const routed = reply.body && typeof reply.body.error === "string";
    if (reply.status === 404 && !routed) {
      status("sb-status", "payoff not available", "failed");
      $("sb-unavailable").hidden = false;
      $("sb-unavailable").textContent = "Payoff pricing is not available on this server yet (its API, POST /api/v1/strategies/payoff, is not installed): "
        + "the chart shows only the at-expiry payoff, computed in the browser from the legs; breakevens before expiry, POP, greeks and margin need the API.";
      clearStats();
      if (new Set(legs.map((l) => l.expiry)).size > 1) {
        $("sb-unavailable").textContent = "Payoff pricing is not available on this server yet (its API, POST /api/v1/strategies/payoff, is not installed); "
          + "legs of different expiries (a calendar) have no at-expiry payoff without pricing the later leg, so nothing is drawn.";
        if (chart) chart.clear();
        $("sb-chart").dataset.series = "0";
        root.dataset.payoff = "unavailable";
        return;
      }
      const local = localAtExpiry();
      drawChart(local, []);
      $("sb-whatif").textContent = rupees(interpolate(local, centre()));
      root.dataset.payoff = "local";
      return;
    }
    if (!reply.ok) {
      status("sb-status", routed ? reply.body.error : `HTTP ${reply.status}`, "failed");
      root.dataset.payoff = "error";
      return;
    }
    $("sb-unavailable").hidden = true;
    const r = reply.body;
    status("sb-status", "priced on the smile as of " + Live.ist(chain.minute), "ok");
    showStats(r);
    drawChart(r.at_expiry, r.before_expiry);
    const curve = (r.before_expiry && r.before_expiry.length) ? r.before_expiry[0].points : r.at_expiry;
    $("sb-whatif").textContent = rupees(interpolate(curve, centre()));
    root.dataset.payoff = "api";
  }

  $("sb-template").addEventListener("change", function () { applyTemplate(this.value); });
  $("sb-clear").addEventListener("click", () => { legs = []; drawLegs(); schedule(); });
  [["sb-spot-shift", (v) => (v >= 0 ? "+" : "") + v.toFixed(1) + "%"], ["sb-days", (v) => String(v)], ["sb-iv-shift", (v) => (v >= 0 ? "+" : "") + v.toFixed(1)]]
    .forEach(function ([id, format]) {
      $(id).addEventListener("input", function () { $(id + "-label").textContent = format(Number(this.value)); schedule(); });
    });
  window.addEventListener("resize", () => chart && chart.resize());
  loadChain().then(function () {
    if (chain) {
      const dte = Math.max(0, Math.round((new Date(chain.expiry + "T15:30:00+05:30") - new Date(chain.minute)) / 86400000));
      $("sb-days").max = String(dte);
    }
  });
})();
