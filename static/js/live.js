/* Shared helpers for the live pages: a websocket that reconnects, IST times and number formats. */
"use strict";
window.Live = (function () {
  const IST = new Intl.DateTimeFormat("en-IN", {
    timeZone: "Asia/Kolkata", day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", hour12: false,
  });
  const FATAL = { 4400: "bad request", 4401: "not logged in", 4403: "not allowed" };

  function ist(iso) { return iso ? IST.format(new Date(iso)) : "—"; }
  function num(value, digits) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    return Number(value).toLocaleString("en-IN", { minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0 });
  }
  function pct(value, digits) { return value === null || value === undefined ? "—" : num(value * 100, digits === undefined ? 1 : digits); }

  /* Open path on this host (on the websocket server's own port when the page names one: HTTP and websockets
     are served by different processes); onMessage gets each parsed payload; onStatus gets (text, cls).
     Reconnects with backoff unless the server closed with a 44xx code (that needs the user). */
  function connect(path, onMessage, onStatus) {
    let delay = 1000;
    function open() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const port = document.body.dataset.wsPort;
      const socket = new WebSocket(scheme + (port ? location.hostname + ":" + port : location.host) + path);
      socket.onopen = function () { delay = 1000; onStatus("live", "ok"); };
      socket.onmessage = function (event) {
        const payload = JSON.parse(event.data);
        if (payload.type === "error") { onStatus(payload.error, "failed"); return; }
        onMessage(payload);
      };
      socket.onclose = function (event) {
        if (FATAL[event.code]) { onStatus("closed: " + FATAL[event.code], "failed"); return; }
        onStatus("reconnecting…", "partial");
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
      return socket;
    }
    return open();
  }
  return { connect: connect, ist: ist, num: num, pct: pct };
})();
