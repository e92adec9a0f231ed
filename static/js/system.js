/* The health panel, refreshed from /ws/system-health/ every 10 s. */
"use strict";
(function () {
  const panel = document.getElementById("health");
  if (!panel) return;
  const $ = (id) => document.getElementById(id);
  Live.connect(panel.dataset.ws, function (message) {
    if (message.type !== "system.health") return;
    const h = message.health;
    $("health-status").textContent = h.status;
    $("health-status").className = "badge " + h.status;
    $("health-database").textContent = h.database;
    $("health-broker").textContent = h.broker;
    $("health-last").textContent = Live.ist(h.last_collection_at);
    $("health-age").textContent = h.last_collection_age_seconds === null ? "—" : h.last_collection_age_seconds;
    $("health-run-status").textContent = h.last_collection_status || "—";
  }, function (text, cls) { const el = $("health-feed"); el.textContent = "live updates: " + text; el.className = "badge " + cls; });
})();
