/* The option chain, live or replayed from the archive.

   Live: the feed sends the whole chain first (full: true), then only the legs that changed, keyed
   <expiry>:<strike>:<CE|PE>, and the keys that left: changed cells are updated in place, rows whose strikes
   left are removed, and new strikes are inserted in strike order. The stats come from the chain summary
   embedded in the page, then from each analytics run.

   Replay (timetravel.js): the websockets are closed and each chosen minute is read from the API
   (/api/v1/option-chain/<symbol>?at=...&offsets=-N..N and /api/v1/analytics/<symbol>/summary?at=...),
   drawn as a full chain message. "Back to live" reconnects the feeds.

   Rows shown are the strikes within ATM ± N of the "Strikes" control; OI, ΔOI and volume are shown in units
   or lots (the "OI in" control).

   Greeks "all" adds vanna, charm, vomma, speed, zomma and color to each side. The feed carries first-order greeks
   only, so they are read from /api/v1/option-chain/<symbol>?bucket=&at=<the minute shown>&offsets=-N..N&greeks=all,
   once per minute shown (live: when a new minute arrives; replay: with each minute), and drawn as the API gives
   them; an unknown value is "—", an API error is shown as its JSON error beside the table. With "first" nothing
   more is asked. All three choices are remembered in this browser (localStorage). */
"use strict";
(function () {
  const table = document.getElementById("chain");
  if (!table) return;
  const body = document.getElementById("chain-body");
  const priceField = document.getElementById("price-field");
  const rangeField = document.getElementById("strike-range");
  const unitField = document.getElementById("oi-unit");
  const greeksField = document.getElementById("greeks");
  const LOTS = JSON.parse((document.getElementById("lot-sizes") || { textContent: "{}" }).textContent);
  const remembered = (key, field) => {
    const saved = localStorage.getItem(key);
    if (saved && Array.from(field.options).some((o) => o.value === saved)) field.value = saved;
    field.addEventListener("change", () => localStorage.setItem(key, field.value));
  };
  remembered("optrading.strikeRange", rangeField);
  remembered("optrading.oiUnit", unitField);
  remembered("optrading.greeks", greeksField);
  const legs = new Map();        // key -> the leg last received
  const sides = new Map();       // "<strike>|<CE|PE>" -> the same leg, to find a row's other side
  const strikeRows = new Map();  // strike -> its <tr>
  let atmStrike = null;
  let travel = null;             // the "as of" control (timetravel.js), once initialised
  const $ = (id) => document.getElementById(id);
  const status = (text, cls) => { const el = $("chain-status"); el.textContent = text; el.className = "badge " + (cls || ""); };
  const FORWARD_SOURCES = { parity: "put-call parity", future: "same-expiry future", carry: "spot carried at r" };

  /* A quantity in the chosen unit: units as reported, or lots of the leg's expiry ("—" when its lot is unknown). */
  function qty(value, leg) {
    if (value === null || value === undefined) return "—";
    if (unitField.value !== "lots") return Live.lakhs(value);
    const lot = LOTS[leg.expiry];
    return lot ? Live.lakhs(value / lot) : "—";
  }
  function range() { return rangeField.value === "all" ? null : Number(rangeField.value); }
  function inRange(leg) { const n = range(); return n === null || leg.strike_offset === null || Math.abs(leg.strike_offset) <= n; }

  // Call columns from the outside in to the strike; the put side mirrors them.
  const LEG_COLUMNS = [
    ["vega", (r) => Live.num(r.vega, 2), true],
    ["gamma", (r) => Live.num(r.gamma, 5), true],
    ["delta", (r) => Live.num(r.delta, 2), false],
    ["iv", (r) => Live.pct(r.iv, 1), false],
    ["volume", (r) => qty(r.volume, r), true],
    ["oi", (r) => qty(r.oi, r), false],
    ["oi_change", (r) => qty(r.oi_change, r), false],
    ["price", (r) => Live.num(r[priceField.value], 2), false],
  ];
  const BUILDUPS = ["long_buildup", "short_buildup", "short_covering", "long_unwinding", "neutral"];

  /* The second-order greeks of the minute shown, from the chain API (greeks=all): "off" (Greeks: first), "loading",
     "drawn" or "failed"; `second` maps "<strike>|<CE|PE>" to the API's leg. */
  let secondState = "off";
  let second = new Map();
  let secondTicket = 0;          // only the latest request's answer is drawn
  let secondMinute = null;       // the live minute last asked for
  const SECOND_ORDER = ["vanna", "charm", "vomma", "speed", "zomma", "color"];
  const SIG = new Intl.NumberFormat("en-IN", { minimumSignificantDigits: 3, maximumSignificantDigits: 3 });
  const SCI = new Intl.NumberFormat("en-IN", { notation: "scientific", minimumFractionDigits: 2, maximumFractionDigits: 2 });
  /* 3 significant figures (E notation below 0.001, where speed, zomma and color live); "—" when unknown. */
  function sig(value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "—";
    return value !== 0 && Math.abs(value) < 1e-3 ? SCI.format(value) : SIG.format(value);
  }
  function secondOf(leg, name) {
    if (secondState === "loading") return "…";
    if (secondState !== "drawn") return "—";
    const got = second.get(leg.strike + "|" + leg.option_type);
    return sig(got ? got[name] : null);
  }
  const SECOND_COLUMNS = SECOND_ORDER.map((name) => [name, (r) => secondOf(r, name), false]);
  function allGreeks() { return greeksField.value === "all"; }
  function columns() { return allGreeks() ? SECOND_COLUMNS.concat(LEG_COLUMNS) : LEG_COLUMNS; }
  function sideColumns(side) { return side === "CE" ? columns() : columns().slice().reverse(); }
  function width() { return 2 * columns().length + 1; }

  function legCell(side, name, wide) {
    const td = document.createElement("td");
    if (wide) td.classList.add("wide");
    td.dataset.side = side;
    td.dataset.field = name;
    return td;
  }

  function newRow(strike) {
    const tr = document.createElement("tr");
    tr.dataset.strike = String(strike);
    sideColumns("CE").forEach(([name, , wide]) => tr.appendChild(legCell("CE", name, wide)));
    const mid = document.createElement("td");
    mid.className = "strike";
    mid.textContent = Live.num(strike, strike % 1 ? 2 : 0);
    tr.appendChild(mid);
    sideColumns("PE").forEach(([name, , wide]) => tr.appendChild(legCell("PE", name, wide)));
    return tr;
  }

  function rowFor(strike) {
    let tr = strikeRows.get(strike);
    if (tr) return tr;
    tr = newRow(strike);
    const after = Array.from(strikeRows.keys()).filter((k) => k > strike).sort((a, b) => a - b)[0];
    body.insertBefore(tr, after === undefined ? null : strikeRows.get(after));
    strikeRows.set(strike, tr);
    return tr;
  }

  /* Write one side of a row from its leg (or blank it when the leg is gone). */
  function fillSide(tr, side, leg, flash) {
    sideColumns(side).forEach(function ([name, format]) {
      const td = tr.querySelector(`td[data-side="${side}"][data-field="${name}"]`);
      td.textContent = leg ? format(leg) : "";
      td.classList.remove("up", "down", ...BUILDUPS);
      if (leg && (name === "oi_change" || name === "oi") && leg.buildup) td.classList.add(leg.buildup);
      if (leg && name === "price" && leg.change !== null) td.classList.add(leg.change >= 0 ? "up" : "down");
      td.classList.toggle("flash", flash);
    });
  }

  function legOf(strike, side) { return sides.get(strike + "|" + side); }

  function clear() {
    legs.clear();
    sides.clear();
    strikeRows.clear();
    body.replaceChildren();
  }

  function showEmptyWhenNothing() {
    const empty = $("chain-empty");
    if (strikeRows.size && empty) empty.closest("tr").remove();
    if (!strikeRows.size && !empty) {
      const tr = document.createElement("tr");
      tr.innerHTML = `<td colspan="${width()}" class="text muted" id="chain-empty">No rows in this expiry bucket at the latest collection.</td>`;
      body.appendChild(tr);
    }
  }

  function remove(key) {
    const leg = legs.get(key);
    if (!leg) return;
    legs.delete(key);
    sides.delete(leg.strike + "|" + leg.option_type);
    const tr = strikeRows.get(leg.strike);
    if (!tr) return;  // outside the strike range: not drawn
    const other = leg.option_type === "CE" ? "PE" : "CE";
    if (legOf(leg.strike, other)) {
      fillSide(tr, leg.option_type, null, false);
    } else {
      tr.remove();
      strikeRows.delete(leg.strike);
    }
  }

  function markAtm(strike) {
    if (atmStrike !== null && strikeRows.has(atmStrike)) strikeRows.get(atmStrike).classList.remove("atm");
    atmStrike = strike;
    if (strike !== null && strikeRows.has(strike)) strikeRows.get(strike).classList.add("atm");
  }

  function onChain(message) {
    if (message.type !== "chain.update") return;
    if (message.full) clear();
    body.querySelectorAll("td.flash").forEach((td) => td.classList.remove("flash"));
    message.removed.forEach(remove);
    message.rows.forEach(function (leg) {
      legs.set(leg.key, leg);
      sides.set(leg.strike + "|" + leg.option_type, leg);
      if (inRange(leg)) {
        fillSide(rowFor(leg.strike), leg.option_type, leg, !message.full);
      } else if (strikeRows.has(leg.strike)) {  // moved out of range as ATM moved
        strikeRows.get(leg.strike).remove();
        strikeRows.delete(leg.strike);
      }
    });
    markAtm(message.atm_strike);
    showEmptyWhenNothing();
    const any = legs.values().next().value;
    if (any) $("stat-expiry").textContent = any.expiry;
    $("chain-minute").textContent = Live.ist(message.minute);
    $("stat-spot").textContent = Live.num(message.spot, 2);
    $("stat-atm").textContent = Live.num(message.atm_strike);
    table.dataset.minute = message.minute;
    table.dataset.at = Live.istParam(message.minute);
    table.dataset.updates = String(Number(table.dataset.updates || 0) + 1);
    if (travel && message.full !== "replay") travel.liveMinute(message.minute);
    if (message.full !== "replay" && allGreeks() && message.minute !== secondMinute) {
      secondMinute = message.minute;
      showSecondOrder(message.minute);
    }
    const link = new URL($("to-strategy").href);
    if (message.full === "replay") link.searchParams.set("at", table.dataset.at); else link.searchParams.delete("at");
    $("to-strategy").href = link.toString();
  }

  /* Redraw every kept leg (after the strike range or the unit changed). */
  function redraw() {
    strikeRows.clear();
    body.replaceChildren();
    legs.forEach(function (leg) { if (inRange(leg)) fillSide(rowFor(leg.strike), leg.option_type, leg, false); });
    markAtm(atmStrike);
    showEmptyWhenNothing();
  }

  /* One expiry's chain summary (the selector's, embedded in the page, or an analytics.summary entry). */
  function showSummary(s) {
    $("stat-forward").textContent = Live.num(s.forward, 2);
    $("stat-forward-source").textContent = FORWARD_SOURCES[s.forward_source] || s.forward_source;
    $("stat-pcr").textContent = Live.num(s.pcr_oi, 2);
    $("stat-maxpain").textContent = Live.num(s.max_pain);
    $("stat-atmiv").textContent = Live.pct(s.atm_iv, 1) + "%";
    $("stat-straddle").textContent = Live.num(s.straddle, 2);
  }

  function onAnalytics(message) {
    if (message.type !== "analytics.summary") return;
    const bucket = table.dataset.bucket;
    const s = (message.expiries || []).find((e) => e.bucket === bucket) || (message.expiries || [])[0];
    if (s) showSummary(s);
  }

  function repaintPrices() {
    strikeRows.forEach(function (tr, strike) {
      ["CE", "PE"].forEach(function (side) {
        const leg = legOf(strike, side);
        if (leg) tr.querySelector(`td[data-side="${side}"][data-field="price"]`).textContent = Live.num(leg[priceField.value], 2);
      });
    });
  }

  /* An API chain (apps/api/chain.py) as a full feed message: one leg per side, keyed as the feed keys them. */
  function chainMessage(chain) {
    const rows = [];
    let atm = null;
    chain.rows.forEach(function (row) {
      if (row.strike_offset === 0) atm = row.strike;
      [["CE", row.ce], ["PE", row.pe]].forEach(function ([side, leg]) {
        if (!leg) return;
        rows.push(Object.assign({}, leg, {
          key: `${chain.expiry}:${row.strike}:${side}`, expiry: chain.expiry, strike: row.strike, option_type: side,
          strike_offset: row.strike_offset,
          change: leg.close_price === null || leg.last_price === null ? null : +(leg.last_price - leg.close_price).toFixed(2),
        }));
      });
    });
    return { type: "chain.update", full: "replay", removed: [], rows: rows, minute: chain.minute, spot: chain.spot, atm_strike: atm };
  }

  /* Redraw the second-order cells of the rows shown (after an answer, or while one is being read). */
  function repaintSecond() {
    strikeRows.forEach(function (tr, strike) {
      ["CE", "PE"].forEach(function (side) {
        const leg = legOf(strike, side);
        SECOND_COLUMNS.forEach(function ([name, format]) {
          const td = tr.querySelector(`td[data-side="${side}"][data-field="${name}"]`);
          if (td) td.textContent = leg ? format(leg) : "";
        });
      });
    });
  }

  /* Read the second-order greeks of the minute `iso` (the chain's own request with greeks=all) and draw them; an
     API error is shown as its JSON error and leaves the rest of the chain as it is. Resolves once drawn. */
  async function showSecondOrder(iso) {
    if (!allGreeks() || !iso) return;
    const ticket = ++secondTicket;
    secondState = "loading";
    table.dataset.greeksState = "loading";
    repaintSecond();
    const n = range();
    const offsets = n === null ? "" : `&offsets=${-n}..${n}`;
    const at = encodeURIComponent(Live.istParam(iso));
    const got = await Live.getJson(`/api/v1/option-chain/${symbol}?bucket=${bucket}&at=${at}${offsets}&greeks=all`, "second-order greeks");
    if (ticket !== secondTicket || !allGreeks()) return;
    second = new Map();
    if (got.ok) {
      got.body.rows.forEach(function (row) {
        if (row.ce) second.set(row.strike + "|CE", row.ce);
        if (row.pe) second.set(row.strike + "|PE", row.pe);
      });
      secondState = "drawn";
      table.dataset.greeks = Live.istParam(got.body.minute);
    } else {
      secondState = "failed";
      delete table.dataset.greeks;
    }
    $("greeks-error").textContent = got.ok ? "" : got.message;
    $("greeks-failed").hidden = got.ok;
    repaintSecond();
    table.dataset.greeksState = secondState;
  }

  /* Show or hide the second-order columns (the header's, then every row's, redrawn). */
  function greekColumns() {
    const all = allGreeks();
    table.querySelectorAll("thead th.g2").forEach((th) => { th.hidden = !all; });
    const span = String(columns().length);
    $("calls-head").colSpan = span;
    $("puts-head").colSpan = span;
    const empty = $("chain-empty");
    if (empty) empty.colSpan = width();
    $("greeks-units").hidden = !all;
    if (!all) {
      secondTicket++;
      secondState = "off";
      second = new Map();
      secondMinute = null;
      delete table.dataset.greeks;
      delete table.dataset.greeksState;
      $("greeks-failed").hidden = true;
    }
    redraw();
  }

  async function api(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    return body;
  }

  const symbol = encodeURIComponent(table.dataset.symbol), bucket = encodeURIComponent(table.dataset.bucket);
  async function showMinute(iso, current) {
    const at = encodeURIComponent(Live.istParam(iso));
    const n = range();
    const offsets = n === null ? "" : `&offsets=${-n}..${n}`;
    const [chain, summary] = await Promise.all([
      api(`/api/v1/option-chain/${symbol}?bucket=${bucket}&at=${at}${offsets}`),
      api(`/api/v1/analytics/${symbol}/summary?bucket=${bucket}&at=${at}`).catch(() => null),
      showSecondOrder(iso),
    ]);
    if (!current()) return;
    onChain(chainMessage(chain));
    if (summary) showSummary(summary);
    status("replay", "partial");
  }

  let feeds = [];
  function goLive() {
    feeds.forEach((f) => f.close());
    secondMinute = null;  // the feed's first minute is read again
    feeds = [Live.connect(table.dataset.ws, onChain, status), Live.connect(table.dataset.analyticsWs, onAnalytics, function () {})];
  }
  function leaveLive() {
    feeds.forEach((f) => f.close());
    feeds = [];
    status("replay", "partial");
  }

  const embedded = $("chain-summary");
  if (embedded) showSummary(JSON.parse(embedded.textContent));
  priceField.addEventListener("change", repaintPrices);
  unitField.addEventListener("change", function () {
    const lots = unitField.value === "lots";
    $("unit-name").textContent = lots ? "lots" : "units";
    $("unit-note").textContent = lots ? "units divided by the expiry's lot size" : "quantity, as the exchange reports them";
    redraw();
  });
  rangeField.addEventListener("change", function () {
    if (travel && travel.replaying()) { travel.reload(); return; }
    redraw();
    if (allGreeks()) showSecondOrder(table.dataset.minute);  // the strikes now in range
  });
  greeksField.addEventListener("change", function () {
    greekColumns();
    if (!allGreeks()) return;
    if (!(travel && travel.replaying())) secondMinute = table.dataset.minute || null;
    showSecondOrder(table.dataset.minute);
  });
  if (unitField.value === "lots") unitField.dispatchEvent(new Event("change"));
  if (allGreeks()) greekColumns();
  travel = window.TimeTravel && TimeTravel.init({
    show: showMinute, live: goLive, leaveLive: leaveLive,
    failed: function (message) { status(message, "failed"); },
  });
  if (!travel) goLive();
})();
