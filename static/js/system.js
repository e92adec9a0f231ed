/* The system page, refreshed from /ws/system-health/ every 10 s: components, heartbeats, open errors, deliveries. */
"use strict";
(function () {
  const panel = document.getElementById("health");
  if (!panel) return;
  const $ = (id) => document.getElementById(id);
  function cell(text, cls) {
    const td = document.createElement("td");
    td.className = cls === undefined ? "text" : cls;
    td.textContent = text === null || text === undefined || text === "" ? "—" : String(text);
    return td;
  }
  function badge(text, cls) {
    const td = document.createElement("td");
    td.className = "text";
    const span = document.createElement("span");
    span.className = "badge " + cls;
    span.textContent = text;
    td.appendChild(span);
    return td;
  }
  function fill(id, rows, build, empty, span) {
    const body = $(id).querySelector("tbody");
    body.replaceChildren();
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = cell(empty, "text muted"); td.colSpan = span; tr.appendChild(td); body.appendChild(tr);
      return;
    }
    rows.forEach(function (row) { const tr = document.createElement("tr"); build(row).forEach((td) => tr.appendChild(td)); body.appendChild(tr); });
  }
  Live.connect(panel.dataset.ws, function (message) {
    if (message.type !== "system.health") return;
    const h = message.health;
    $("health-status").textContent = h.status;
    $("health-status").className = "badge " + h.status;
    fill("components", h.components, (c) => [cell(c.name), badge(c.status, c.status), cell(c.detail),
      cell(c.status === "ok" ? "" : c.suggestion, "text suggestion")], "No components.", 4);
    fill("heartbeats", h.heartbeats, (b) => [cell(b.name), cell(b.at ? Live.ist(b.at) : "never"), cell(b.age_seconds, ""),
      cell(b.interval_seconds, ""), badge(b.stale ? "stale" : "fresh", b.stale ? "down" : "ok"), cell(b.holder)], "No heartbeats.", 6);
    fill("errors", message.errors, (e) => [cell(e.component + " (" + e.severity + ") " + e.code), cell(e.message),
      cell(e.suggestion, "text suggestion"), cell(e.count, ""), cell(Live.ist(e.last_seen))], "No open errors.", 5);
    fill("deliveries", message.deliveries, (d) => [cell(Live.ist(d.at)), cell(d.kind + ": " + d.what), cell(d.channel),
      badge(d.status, d.status), cell(d.attempts, ""), cell(d.error)], "No deliveries yet.", 6);
  }, function (text, cls) { const el = $("health-feed"); el.textContent = "live updates: " + text; el.className = "badge " + cls; });
})();
