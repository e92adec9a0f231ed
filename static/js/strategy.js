/* The strategy builder. Legs come from the chain as of the page's minute (?at=, default the latest archived:
   GET /api/v1/option-chain/<symbol>?bucket=&at=&offsets=-10..10) by clicking a mid price, or from a template of
   GET /api/v1/strategies/templates ([{key, name, view, legs: [{option_type, side, strike_offset, lots,
   expiry: "near"|"next"}]}], strike steps from ATM; a "next" leg takes the same strike in the next bucket's expiry).
   The payoff is POSTed to /api/v1/strategies/payoff as {symbol, legs: [{expiry, strike, option_type, side, lots,
   price}], spots, at, dates?, iv_shift?} and drawn from its answer (apps/strategies/serializers.py PayoffSerializer:
   {lot_size, at_expiry, before_expiry: [{date, points}], breakevens, max_profit, max_loss, unlimited: {profit, loss},
   pop, net_premium, greeks: {delta, gamma, theta, vega}, margin: {available, reason, source, initial, final,
   hedge_benefit, span, exposure, premium}}). The margin is the broker's (Kite's basket-margin API) for the legs now:
   the final figure (with the hedge benefit) in the stat, initial / final / benefit and final's breakdown below it;
   when unavailable, "unavailable" and the API's reason (what Kite said, or that the simulated market has none).
   The what-if sliders re-POST: spot shift centres the spots on the shifted spot, "days on" sends `dates` [the day
   that many days after the chain's], IV shift is sent as `iv_shift` (vol points) when not zero (the API applies it
   to the curves before expiry). An API error (4xx/5xx) is shown as its JSON `error`.
   Saved strategies: GET/POST /api/v1/strategies (yours), loaded back into the legs. */
"use strict";
(function () {
  const root = document.getElementById("builder");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const travel = JSON.parse($("time-travel").textContent);
  const symbol = root.dataset.symbol, bucket = root.dataset.bucket;
  const csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  const TEMPLATES = new Map();  // key -> the API's template
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
    if (!reply.ok) { status("sb-chain-status", Live.apiError(reply.body, reply.status), "failed"); return; }
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
    if (chain) $("sb-days").max = String(daysMax());
  }

  /* ---- the templates (GET /api/v1/strategies/templates: one home for them, apps/strategies/presets.py) ---- */
  const NEXT_BUCKET = { this_week: "next_week", next_week: "this_month", this_month: "next_month" };

  async function loadTemplates() {
    const reply = await api("/api/v1/strategies/templates");
    if (!reply.ok) { status("sb-status", "templates: " + (Live.apiError(reply.body, reply.status)), "failed"); return; }
    const select = $("sb-template");
    reply.body.forEach(function (template) {
      TEMPLATES.set(template.key, template);
      const option = document.createElement("option");
      option.value = template.key;
      option.textContent = template.name;
      option.title = template.view;
      select.appendChild(option);
    });
    root.dataset.templates = String(TEMPLATES.size);
  }

  /* A template's legs on the chain shown: a "near" leg at its strike offset of the page's expiry; a "next" leg at
     the same strike (that offset of the page's chain) in the next bucket's expiry, as of the same minute. */
  async function applyTemplate(key) {
    const template = TEMPLATES.get(key);
    if (!template || !chain) return;
    const missing = template.legs.find((l) => !byOffset.has(l.strike_offset + "|" + l.option_type));
    if (missing) { status("sb-status", `the chain shown lacks strike offset ${missing.strike_offset} ${missing.option_type}`, "failed"); return; }
    let far = null;
    if (template.legs.some((l) => l.expiry === "next")) {
      const next = NEXT_BUCKET[bucket];
      if (!next) { status("sb-status", `${template.name} needs a later expiry than ${bucket}`, "failed"); return; }
      const reply = await api(`/api/v1/option-chain/${encodeURIComponent(symbol)}?bucket=${next}&offsets=-10..10&at=${encodeURIComponent(Live.istParam(chain.minute))}`);
      if (!reply.ok) { status("sb-status", `${next}: ` + (Live.apiError(reply.body, reply.status)), "failed"); return; }
      far = reply.body;
    }
    const out = [];
    for (const l of template.legs) {
      const near = byOffset.get(l.strike_offset + "|" + l.option_type);
      const side = l.option_type.toLowerCase();
      if (l.expiry === "next") {
        const row = far.rows.find((r) => r.strike === near.strike && r[side]);
        if (!row) { status("sb-status", `no ${near.strike} ${l.option_type} in ${far.expiry} at this minute`, "failed"); return; }
        out.push({ expiry: far.expiry, strike: row.strike, option_type: l.option_type, side: l.side, lots: l.lots, price: mid(row[side]) });
      } else {
        out.push({ expiry: chain.expiry, strike: near.strike, option_type: l.option_type, side: l.side, lots: l.lots, price: mid(near[side]) });
      }
    }
    legs = out;
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
  /* "Days on": the IST day that many days after the chain's, valued at its close (the API's `dates`); it has to
     come before the first expiry of the legs, so the slider stops the day before it. */
  const DAY = 86400000;
  const chainDay = () => Live.istParam(chain.minute).slice(0, 10);
  function whatIfDate() {
    const days = Number($("sb-days").value);
    if (!days) return null;
    const day = new Date(Date.parse(chainDay() + "T00:00:00Z") + days * DAY).toISOString().slice(0, 10);
    const first = legs.map((l) => l.expiry).sort()[0];
    return first && day < first ? day : null;
  }
  function daysMax() {
    const first = legs.length ? legs.map((l) => l.expiry).sort()[0] : chain.expiry;
    return Math.max(0, Math.round((Date.parse(first + "T00:00:00Z") - Date.parse(chainDay() + "T00:00:00Z")) / DAY) - 1);
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(payoff, 150); }

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
    if (m.available === true) {
      $("sb-margin").textContent = "₹" + rupees(m.final);
      $("sb-margin-reason").textContent = "Margin from " + (m.source || "the broker") + ", now: initial ₹" + rupees(m.initial) +
        ", final ₹" + rupees(m.final) + " after the hedge benefit of ₹" + rupees(m.hedge_benefit) +
        " (SPAN ₹" + rupees(m.span) + ", exposure ₹" + rupees(m.exposure) + ", premium ₹" + rupees(m.premium) + ").";
    } else {
      $("sb-margin").textContent = "unavailable";
      $("sb-margin-reason").textContent = m.reason || "";
    }
  }

  function clearStats() { ["sb-net", "sb-maxp", "sb-maxl", "sb-be", "sb-pop", "sb-greeks", "sb-margin", "sb-whatif"].forEach((id) => { $(id).textContent = "—"; }); $("sb-margin-reason").textContent = ""; }

  async function payoff() {
    if (!chain) return;
    if (!legs.length) { clearStats(); if (chart) { chart.clear(); } status("sb-status", "add legs", ""); return; }
    const ticket = ++asked;
    const body = { symbol: symbol, legs: legs.map((l) => ({ expiry: l.expiry, strike: l.strike, option_type: l.option_type, side: l.side, lots: l.lots, price: l.price })),
      spots: spots(), at: Live.istParam(chain.minute) };
    const day = whatIfDate();
    if (day) body.dates = [day];
    const iv = Number($("sb-iv-shift").value);
    if (iv) body.iv_shift = iv;
    status("sb-status", "pricing…", "partial");
    const reply = await api("/api/v1/strategies/payoff", {
      method: "POST", body: JSON.stringify(body),
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
    });
    if (ticket !== asked) return;
    if (!reply.ok) {
      status("sb-status", Live.apiError(reply.body, reply.status), "failed");
      root.dataset.payoff = "error";
      return;
    }
    const r = reply.body;
    status("sb-status", "priced on the smile as of " + Live.ist(chain.minute), "ok");
    showStats(r);
    drawChart(r.at_expiry, r.before_expiry);
    const curve = (r.before_expiry && r.before_expiry.length) ? r.before_expiry[0].points : r.at_expiry;
    $("sb-whatif").textContent = rupees(interpolate(curve, centre()));
    root.dataset.payoff = "api";
  }

  /* ---- saved strategies (/api/v1/strategies: your own) ---- */
  let saved = [];
  async function loadSaved(select) {
    const reply = await api("/api/v1/strategies");
    if (!reply.ok) { status("sb-saved-status", Live.apiError(reply.body, reply.status), "failed"); return false; }
    saved = reply.body.filter((s) => s.symbol === symbol);
    const list = $("sb-saved");
    list.replaceChildren();
    const none = document.createElement("option");
    none.value = ""; none.textContent = saved.length ? "— pick —" : "none saved yet";
    list.appendChild(none);
    saved.forEach(function (s) {
      const option = document.createElement("option");
      option.value = String(s.id);
      option.textContent = `${s.name} (${s.legs.length} legs)`;
      list.appendChild(option);
    });
    if (select) list.value = String(select);
    root.dataset.saved = String(saved.length);
    return true;
  }

  async function save() {
    const name = $("sb-name").value.trim();
    if (!name) { status("sb-saved-status", "give it a name", "failed"); return; }
    if (!legs.length) { status("sb-saved-status", "add legs first", "failed"); return; }
    const reply = await api("/api/v1/strategies", {
      method: "POST",
      body: JSON.stringify({ name: name, symbol: symbol, legs: legs.map((l) => ({ expiry: l.expiry, strike: l.strike, option_type: l.option_type, side: l.side, lots: l.lots, price: l.price })) }),
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
    });
    if (!reply.ok) { status("sb-saved-status", Live.apiError(reply.body, reply.status), "failed"); return; }
    if (await loadSaved(reply.body.id)) status("sb-saved-status", "saved", "ok");  // once the list shows it
  }

  /* The saved strategy's P&L through the chain's day, every leg marked at its mid at each archived minute
     (GET /api/v1/strategies/<id>/pnl?date=); a minute where a leg has no quote is a gap. */
  let pnlChart = null;
  async function drawDay(strategy) {
    const el = $("sb-pnl-chart");
    const day = chainDay();
    const reply = await api(`/api/v1/strategies/${strategy.id}/pnl?date=${day}`);
    if (!reply.ok) { status("sb-saved-status", Live.apiError(reply.body, reply.status), "failed"); el.dataset.state = "failed"; return; }
    const r = reply.body;
    el.hidden = false;
    if (!pnlChart) pnlChart = echarts.init(el);
    pnlChart.setOption({
      title: { text: `${strategy.name}: P&L through ${r.date} (at the mids)`, left: "center", textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis" }, grid: { left: 80, right: 30, top: 55, bottom: 40 },
      xAxis: { type: "category", data: r.minutes.map((m) => Live.ist(m).slice(-5)) },
      yAxis: { type: "value", name: "P&L ₹" },
      series: [{ name: "P&L", type: "line", showSymbol: r.minutes.length < 60, data: r.pnl, connectNulls: false }],
    }, true);
    el.dataset.state = "drawn";
    el.dataset.points = String(r.pnl.filter((v) => v !== null).length);
    el.dataset.last = r.pnl.length ? String(r.pnl[r.pnl.length - 1]) : "";
  }

  function load() {
    const strategy = saved.find((s) => String(s.id) === $("sb-saved").value);
    if (!strategy) return;
    drawDay(strategy);
    legs = strategy.legs.map((l) => ({ expiry: l.expiry, strike: l.strike, option_type: l.option_type, side: l.side, lots: l.lots, price: l.price }));
    $("sb-name").value = strategy.name;
    status("sb-saved-status", "loaded " + strategy.name, "ok");
    drawLegs();
    schedule();
  }

  $("sb-template").addEventListener("change", function () { applyTemplate(this.value); });
  $("sb-clear").addEventListener("click", () => { legs = []; drawLegs(); schedule(); });
  $("sb-save").addEventListener("click", save);
  $("sb-load").addEventListener("click", load);
  [["sb-spot-shift", (v) => (v >= 0 ? "+" : "") + v.toFixed(1) + "%"], ["sb-days", (v) => String(v)], ["sb-iv-shift", (v) => (v >= 0 ? "+" : "") + v.toFixed(1)]]
    .forEach(function ([id, format]) {
      $(id).addEventListener("input", function () { $(id + "-label").textContent = format(Number(this.value)); schedule(); });
    });
  window.addEventListener("resize", () => { if (chart) chart.resize(); if (pnlChart) pnlChart.resize(); });
  loadSaved();
  loadChain().then(function () {
    if (chain) $("sb-days").max = String(daysMax());
    return loadTemplates();
  });
})();
