/* The live option chain. The feed sends the whole chain first (full: true), then only the legs that changed,
   keyed <expiry>:<strike>:<CE|PE>, and the keys that left: changed cells are updated in place, rows whose
   strikes left are removed, and new strikes are inserted in strike order. The stats come from the chain
   summary embedded in the page, then from each analytics run. */
"use strict";
(function () {
  const table = document.getElementById("chain");
  if (!table) return;
  const body = document.getElementById("chain-body");
  const priceField = document.getElementById("price-field");
  const legs = new Map();        // key -> the leg last received
  const sides = new Map();       // "<strike>|<CE|PE>" -> the same leg, to find a row's other side
  const strikeRows = new Map();  // strike -> its <tr>
  let atmStrike = null;
  const $ = (id) => document.getElementById(id);
  const status = (text, cls) => { const el = $("chain-status"); el.textContent = text; el.className = "badge " + (cls || ""); };
  const FORWARD_SOURCES = { parity: "put-call parity", future: "same-expiry future", carry: "spot carried at r" };

  // Call columns from the outside in to the strike; the put side mirrors them.
  const LEG_COLUMNS = [
    ["vega", (r) => Live.num(r.vega, 2), true],
    ["gamma", (r) => Live.num(r.gamma, 5), true],
    ["delta", (r) => Live.num(r.delta, 2), false],
    ["iv", (r) => Live.pct(r.iv, 1), false],
    ["volume", (r) => Live.num(r.volume), true],
    ["oi", (r) => Live.num(r.oi), false],
    ["oi_change", (r) => Live.num(r.oi_change), false],
    ["price", (r) => Live.num(r[priceField.value], 2), false],
  ];
  const BUILDUPS = ["long_buildup", "short_buildup", "short_covering", "long_unwinding", "neutral"];

  function sideColumns(side) { return side === "CE" ? LEG_COLUMNS : LEG_COLUMNS.slice().reverse(); }

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
      tr.innerHTML = '<td colspan="17" class="text muted" id="chain-empty">No rows in this expiry bucket at the latest collection.</td>';
      body.appendChild(tr);
    }
  }

  function remove(key) {
    const leg = legs.get(key);
    if (!leg) return;
    legs.delete(key);
    sides.delete(leg.strike + "|" + leg.option_type);
    const tr = strikeRows.get(leg.strike);
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
      fillSide(rowFor(leg.strike), leg.option_type, leg, !message.full);
    });
    markAtm(message.atm_strike);
    showEmptyWhenNothing();
    const any = legs.values().next().value;
    if (any) $("stat-expiry").textContent = any.expiry;
    $("chain-minute").textContent = Live.ist(message.minute);
    $("stat-spot").textContent = Live.num(message.spot, 2);
    $("stat-atm").textContent = Live.num(message.atm_strike);
    table.dataset.minute = message.minute;
    table.dataset.updates = String(Number(table.dataset.updates || 0) + 1);
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

  const embedded = $("chain-summary");
  if (embedded) showSummary(JSON.parse(embedded.textContent));
  priceField.addEventListener("change", repaintPrices);
  Live.connect(table.dataset.ws, onChain, status);
  Live.connect(table.dataset.analyticsWs, onAnalytics, function () {});
})();
