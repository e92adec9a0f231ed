/* The "as of" control shared by the chain and charts pages (templates/web/_timebar.html).

   The page embeds the archived minutes of one IST day (#time-travel). The slider, the ±1 minute buttons and the
   play button choose one of them; the page's show(minuteIso) loads that minute from the archive (the API's at=)
   and returns a promise. Playing steps one archived minute every 60/speed seconds (60× = a minute a second),
   waiting for each minute to be shown before the next. The URL keeps ?at=<IST minute> so a moment can be
   shared; "Back to live" drops it and calls the page's live(). Picking another day reloads the page for it. */
"use strict";
window.TimeTravel = (function () {
  const $ = (id) => document.getElementById(id);

  function init(options) {
    const source = $("time-travel");
    if (!source) return null;
    const travel = JSON.parse(source.textContent);
    const minutes = travel.minutes.slice();
    const slider = $("tt-slider"), play = $("tt-play"), speed = $("tt-speed"), label = $("tt-label"), mode = $("tt-mode");
    const bar = $("timebar");
    let index = minutes.length - 1;
    let replaying = false;
    let timer = null;
    let playing = false;
    let shown = 0;  // a counter: only the latest request's answer is kept

    function setUrl(iso) {
      const url = new URL(location.href);
      if (iso) { url.searchParams.set("at", Live.istParam(iso)); url.searchParams.delete("date"); } else { url.searchParams.delete("at"); url.searchParams.delete("date"); }
      history.replaceState(null, "", url.pathname + "?" + url.searchParams.toString());
    }

    function paint() {
      slider.max = String(Math.max(0, minutes.length - 1));
      slider.value = String(Math.max(0, index));
      slider.disabled = minutes.length === 0;
      $("tt-back").disabled = !minutes.length || index <= 0;
      $("tt-forward").disabled = !minutes.length || index >= minutes.length - 1;
      play.disabled = minutes.length < 2;
      $("tt-live").disabled = !replaying;
      mode.textContent = replaying ? (playing ? "replay ▶" : "replay") : "live";
      mode.className = "badge " + (replaying ? "partial" : "ok");
      label.textContent = index >= 0 && minutes[index] ? Live.ist(minutes[index]) + " IST" : "—";
      bar.dataset.mode = replaying ? "replay" : "live";
      bar.dataset.index = String(index);
      bar.dataset.at = index >= 0 && minutes[index] ? Live.istParam(minutes[index]) : "";
    }

    /* Show minutes[i] from the archive; resolves when the page has drawn it. */
    function go(i) {
      if (!minutes.length) return Promise.resolve();
      index = Math.min(Math.max(0, i), minutes.length - 1);
      if (!replaying) { replaying = true; options.leaveLive(); }
      setUrl(minutes[index]);
      paint();
      const ticket = ++shown;
      return Promise.resolve(options.show(minutes[index], () => ticket === shown)).catch(function (error) {
        options.failed(String(error && error.message ? error.message : error));
      });
    }

    function stop() {
      playing = false;
      if (timer) clearTimeout(timer);
      timer = null;
      play.textContent = "▶ Play";
      play.setAttribute("aria-pressed", "false");
      paint();
    }

    function tick() {
      if (!playing) return;
      if (index >= minutes.length - 1) { stop(); return; }
      const started = Date.now();
      go(index + 1).then(function () {
        if (!playing) return;
        const wait = Math.max(0, 60000 / Number(speed.value) - (Date.now() - started));
        timer = setTimeout(tick, wait);
      });
    }

    function start() {
      if (minutes.length < 2) return;
      if (index >= minutes.length - 1) index = -1;  // at the end of the day, play from its first minute
      playing = true;
      play.textContent = "❚❚ Pause";
      play.setAttribute("aria-pressed", "true");
      tick();
    }

    function backToLive() {
      stop();
      replaying = false;
      shown++;
      index = minutes.length - 1;
      setUrl(null);
      paint();
      options.live();
    }

    slider.addEventListener("input", function () { const to = Number(slider.value); stop(); go(to); });
    $("tt-back").addEventListener("click", function () { stop(); go(index - 1); });
    $("tt-forward").addEventListener("click", function () { stop(); go(index + 1); });
    play.addEventListener("click", function () { if (playing) stop(); else start(); });
    $("tt-live").addEventListener("click", backToLive);
    $("tt-date").addEventListener("change", function () { if (this.value) $("tt-day-form").submit(); });

    paint();
    if (travel.at) {
      // A deep link: the latest archived minute of its day at or before the moment asked for.
      const at = new Date(travel.at).getTime();
      let found = 0;
      minutes.forEach(function (m, i) { if (new Date(m).getTime() <= at) found = i; });
      go(found);
    } else {
      options.live();
    }

    return {
      /* A live minute arrived: keep the slider's day current (a new minute of the same day is appended). */
      liveMinute: function (iso) {
        if (replaying || !iso) return;
        const last = minutes[minutes.length - 1];
        if (last && new Date(iso).getTime() <= new Date(last).getTime()) return;
        if (!minutes.length || (travel.day && Live.istParam(iso).slice(0, 10) === travel.day)) {
          minutes.push(iso);
          index = minutes.length - 1;
          $("tt-count").textContent = minutes.length + " archived minute" + (minutes.length === 1 ? "" : "s");
          paint();
        }
      },
      replaying: function () { return replaying; },
      reload: function () { return replaying ? go(index) : Promise.resolve(); },
    };
  }

  return { init: init };
})();
