/* The alerts page: firings and fault notices arrive over /ws/alerts/ and are listed at the top. */
"use strict";
(function () {
  const panel = document.getElementById("alerts");
  if (!panel) return;
  const list = document.getElementById("alerts-live");
  Live.connect(panel.dataset.ws, function (message) {
    const item = document.createElement("li");
    if (message.type === "alert.fired") item.textContent = message.message;
    else if (message.type === "fault.problem" || message.type === "fault.resolved") item.textContent = message.subject + ": " + message.message;
    else return;
    list.prepend(item);
  }, function (text, cls) { const el = document.getElementById("alerts-feed"); el.textContent = "live alerts: " + text; el.className = "badge " + cls; });
})();
