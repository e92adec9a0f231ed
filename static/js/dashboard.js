/* The live option chain: a full chain on connect, then only the rows that changed, applied in place. */
"use strict";
(function () {
  const table = document.getElementById("chain");
  if (!table) return;
  const body = document.getElementById("chain-body");
  const priceField = document.getElementById("price-field");
  const rows = new Map();      // key -> row payload
  let atmStrike = null;
  const $ = (id) => document.getElementById(id);
  const status = (text, cls) => { const el = $("chain-status"); el.textContent = text; el.className = "badge " + (cls || ""); };

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

  function legCells(row, side) {
    const columns = side === "CE" ? LEG_COLUMNS : LEG_COLUMNS.slice().reverse();
    return columns.map(function ([name, format, wide]) {
      const td = document.createElement("td");
      if (wide) td.classList.add("wide");
      td.dataset.field = name;
      if (row) {
        td.textContent = format(row);
        if ((name === "oi_change" || name === "oi") && row.buildup) td.classList.add(row.buildup);
        if (name === "price" && row.change !== null) td.classList.add(row.change >= 0 ? "up" : "down");
      } else {
        td.textContent = "";
      }
      return td;
    });
  }

  function render(changedKeys) {
    const byStrike = new Map();
    rows.forEach(function (row) {
      const entry = byStrike.get(row.strike) || { strike: row.strike, expiry: row.expiry };
      entry[row.option_type] = row;
      byStrike.set(row.strike, entry);
    });
    const strikes = Array.from(byStrike.keys()).sort((a, b) => a - b);
    body.replaceChildren();
    if (!strikes.length) {
      const tr = document.createElement("tr");
      tr.innerHTML = '<td colspan="17" class="text muted">No rows in this expiry bucket at the latest collection.</td>';
      body.appendChild(tr);
      return;
    }
    strikes.forEach(function (strike) {
      const entry = byStrike.get(strike);
      const tr = document.createElement("tr");
      tr.dataset.strike = String(strike);
      if (strike === atmStrike) tr.classList.add("atm");
      legCells(entry.CE, "CE").forEach((td) => tr.appendChild(td));
      const mid = document.createElement("td");
      mid.className = "strike";
      mid.textContent = Live.num(strike, strike % 1 ? 2 : 0);
      tr.appendChild(mid);
      legCells(entry.PE, "PE").forEach((td) => tr.appendChild(td));
      ["CE", "PE"].forEach(function (side) {
        if (entry[side] && changedKeys.has(entry[side].key)) {
          tr.querySelectorAll("td").forEach(function (td, i) {
            if ((side === "CE" && i < 8) || (side === "PE" && i > 8)) td.classList.add("flash");
          });
        }
      });
      body.appendChild(tr);
    });
    const expiry = byStrike.get(strikes[0]).expiry;
    $("stat-expiry").textContent = expiry;
  }

  function onChain(message) {
    if (message.type !== "chain.update") return;
    if (message.full) rows.clear();
    message.removed.forEach((key) => rows.delete(key));
    const changed = new Set();
    message.rows.forEach(function (row) { rows.set(row.key, row); changed.add(row.key); });
    atmStrike = message.atm_strike;
    $("chain-minute").textContent = Live.ist(message.minute);
    $("stat-spot").textContent = Live.num(message.spot, 2);
    $("stat-forward").textContent = Live.num(message.forward, 2);
    $("stat-atm").textContent = Live.num(message.atm_strike);
    table.dataset.minute = message.minute;
    table.dataset.updates = String(Number(table.dataset.updates || 0) + 1);
    render(message.full ? new Set() : changed);
  }

  function onAnalytics(message) {
    if (message.type !== "analytics.summary") return;
    const bucket = table.dataset.bucket;
    const s = (message.expiries || []).find((e) => e.bucket === bucket) || (message.expiries || [])[0];
    if (!s) return;
    $("stat-pcr").textContent = Live.num(s.pcr_oi, 2);
    $("stat-maxpain").textContent = Live.num(s.max_pain);
    $("stat-atmiv").textContent = Live.pct(s.atm_iv, 1) + "%";
    $("stat-straddle").textContent = Live.num(s.straddle, 2);
  }

  priceField.addEventListener("change", () => render(new Set()));
  Live.connect(table.dataset.ws, onChain, status);
  Live.connect(table.dataset.analyticsWs, onAnalytics, function () {});
})();
