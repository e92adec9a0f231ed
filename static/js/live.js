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
  /* A quantity as Indian traders read it: 45,000 below a lakh, then 12.5 L, then 1.25 Cr (1 Cr = 100 L). */
  function lakhs(value) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    const size = Math.abs(value);
    if (size >= 1e7) return num(value / 1e7, 2) + " Cr";
    if (size >= 1e5) return num(value / 1e5, 1) + " L";
    return num(value, size && size < 10 && value % 1 ? 1 : 0);
  }
  /* IST wall-clock minute of an ISO time as the pages' URLs carry it: 2026-03-24T10:15. */
  function istParam(iso) {
    const parts = {};
    new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Kolkata", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso)).forEach((p) => { parts[p.type] = p.value; });
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
  }

  /* The API's JSON error ({"error", "fields"?}, apps/core/api.py) as one line: the error, then each field's
     messages by path (legs[0].price: ...); without a JSON error, the HTTP status. */
  function apiError(body, status) {
    if (!body || typeof body.error !== "string") return `HTTP ${status}`;
    const out = [];
    (function walk(value, path) {
      if (typeof value === "string") { out.push((path ? path + ": " : "") + value); return; }
      if (Array.isArray(value)) {
        if (value.every((v) => typeof v === "string")) { value.forEach((v) => walk(v, path)); return; }
        value.forEach((v, i) => walk(v, `${path}[${i}]`));
        return;
      }
      // A list's items come as {"0": ...} from DRF's ListField: written legs[0], not legs.0.
      if (value && typeof value === "object") Object.keys(value).forEach((k) => walk(value[k], /^\d+$/.test(k) ? `${path}[${k}]` : path ? `${path}.${k}` : k));
    })(body.fields, "");
    return out.length ? `${body.error} ${out.join("; ")}` : body.error;
  }

  /* Open path on this host (on the websocket server's own port when the page names one: HTTP and websockets
     are served by different processes); onMessage gets each parsed payload; onStatus gets (text, cls).
     Reconnects with backoff unless the server closed with a 44xx code (that needs the user) or the caller
     closed it (the returned handle's close(), e.g. when a page leaves live for a replay). */
  function connect(path, onMessage, onStatus) {
    let delay = 1000;
    let stopped = false;
    let current = null;
    function open() {
      if (stopped) return null;
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const port = document.body.dataset.wsPort;
      const socket = new WebSocket(scheme + (port ? location.hostname + ":" + port : location.host) + path);
      socket.onopen = function () { delay = 1000; onStatus("live", "ok"); };
      socket.onmessage = function (event) {
        if (stopped) return;
        const payload = JSON.parse(event.data);
        if (payload.type === "error") { onStatus(payload.error, "failed"); return; }
        onMessage(payload);
      };
      socket.onclose = function (event) {
        if (stopped) return;
        if (FATAL[event.code]) { onStatus("closed: " + FATAL[event.code], "failed"); return; }
        onStatus("reconnecting…", "partial");
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
      current = socket;
      return socket;
    }
    open();
    return { close: function () { stopped = true; if (current) current.close(); } };
  }
  /* GET one of the API's JSON answers for a panel: {ok: true, body}, or {ok: false, status, message} with the API's
     own error (apiError), the HTTP status when the reply is no JSON error, or status 0 when nothing came back.
     `label` names the data in those messages ("The OI-flow data ..."). */
  async function getJson(url, label) {
    let response, body;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      body = await response.json().catch(() => null);
    } catch (error) {
      return { ok: false, status: 0, message: `The ${label} could not be fetched: ${error}` };
    }
    if (!response.ok) {
      const message = body && typeof body.error === "string" ? apiError(body, response.status) : `The ${label} API answered HTTP ${response.status}.`;
      return { ok: false, status: response.status, message: message };
    }
    return { ok: true, status: response.status, body: body };
  }

  return { connect: connect, ist: ist, num: num, pct: pct, lakhs: lakhs, istParam: istParam, apiError: apiError, getJson: getJson };
})();
