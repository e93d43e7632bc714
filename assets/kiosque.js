/* Kiosk engine (/kiosque): rotation, pause on touch, data-version polling, connection notice.
 *
 * One engine per browser tab (a singleton): state is a fixed set of fields, one rotation timer
 * and one polling timer at most, document listeners added once. A slide change only toggles
 * `hidden` / `aria-current` on elements the server rendered: nothing is created, so nothing grows
 * however long the screen runs. Inert on every other page (no #kiosque-root).
 *
 * Hooks for tests and the soak bench: window.kiosque.speed(ms) forces the rotation period,
 * window.kiosque.changes() counts slide changes, window.kiosque.state() describes the engine.
 */
(function () {
  "use strict";
  if (window.kiosque) { return; }

  var S = {
    cfg: null, root: null, index: 0, spots: {}, timer: null, poll: null, pausedUntil: 0,
    version: null, failures: 0, listening: false, changes: 0, speedMs: 0
  };

  function root() {
    var el = document.getElementById("kiosque-root");
    return el && el.isConnected ? el : null;
  }

  function slides(r) { return r.querySelectorAll(".kiosque-slide"); }

  function period() {
    if (S.speedMs > 0) { return S.speedMs; }
    return Math.max(2, (S.cfg && S.cfg.seconds) || 12) * 1000;
  }

  function show(r, next) {
    var list = slides(r);
    if (!list.length) { return; }
    next = ((next % list.length) + list.length) % list.length;
    var el = list[next];
    // the territory slide shows one département per visit, the next one each time
    var spots = el.querySelectorAll(".kiosque-spot");
    if (spots.length > 1 && next !== S.index) {
      var name = el.getAttribute("data-slide");
      var k = ((S.spots[name] === undefined ? 0 : S.spots[name] + 1)) % spots.length;
      S.spots[name] = k;
      for (var j = 0; j < spots.length; j++) { spots[j].hidden = j !== k; }
    }
    for (var i = 0; i < list.length; i++) { list[i].hidden = i !== next; }
    var steps = r.querySelectorAll(".kiosque-steps li");
    for (var s = 0; s < steps.length; s++) {
      if (s === next) { steps[s].setAttribute("aria-current", "step"); } else { steps[s].removeAttribute("aria-current"); }
    }
    if (next !== S.index) { S.changes += 1; }
    S.index = next;
  }

  function schedule(ms) {
    if (S.timer !== null) { clearTimeout(S.timer); }
    S.timer = setTimeout(tick, ms);
  }

  function text(id, value) {
    var el = document.getElementById(id);
    if (el && el.textContent !== value) { el.textContent = value; }
  }

  function tick() {
    S.timer = null;
    var r = root();
    if (!r) { stop(); return; }
    var wait = S.pausedUntil - Date.now();
    if (wait > 0) { countdown(); schedule(Math.min(wait, 1000)); return; }
    text("kiosque-pause", "");
    text("kiosque-pause-status", "");
    show(r, S.index + 1);
    schedule(period());
  }

  function onActivity(event) {
    var r = root();
    if (!r || !S.cfg) { return; }
    S.pausedUntil = Date.now() + (S.cfg.pause || 60) * 1000;
    if (event && event.type === "keydown" && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
      show(r, S.index + (event.key === "ArrowRight" ? 1 : -1));
    }
    text("kiosque-pause-status", "Présentation en pause.");
    countdown();
    schedule(Math.min(S.pausedUntil - Date.now(), 1000));
  }

  /* « En pause : la présentation reprend seule dans 42 secondes. », redrawn each second of the pause. */
  function countdown() {
    var left = Math.max(1, Math.ceil((S.pausedUntil - Date.now()) / 1000));
    text("kiosque-pause", "En pause : la présentation reprend seule dans " + left + " seconde" + (left > 1 ? "s" : "") + ".");
  }

  function setNotice(lost) {
    text("kiosque-notice", lost ? "Connexion perdue, nouvel essai…" : "");
  }

  function pollLater(ms) {
    if (S.poll !== null) { clearTimeout(S.poll); }
    S.poll = setTimeout(checkVersion, ms);
  }

  /* /healthz tells the published data version: a new one reloads the page (new figures);
     no answer shows the notice and retries sooner, until the server is back. */
  function checkVersion() {
    S.poll = null;
    if (!root()) { return; }
    var every = Math.max(2, (S.cfg && S.cfg.poll) || 60) * 1000;
    fetch("/healthz", { cache: "no-store", credentials: "same-origin" })
      .then(function (resp) { return resp.ok ? resp.json() : Promise.reject(new Error("HTTP " + resp.status)); })
      .then(function (body) {
        S.failures = 0;
        setNotice(false);
        if (body.version && S.version && body.version !== S.version) {
          window.location.reload();
          return;
        }
        pollLater(every);
      })
      .catch(function () {
        S.failures += 1;
        setNotice(true);
        pollLater(Math.min(every, 5000));
      });
  }

  function stop() {
    if (S.timer !== null) { clearTimeout(S.timer); S.timer = null; }
    if (S.poll !== null) { clearTimeout(S.poll); S.poll = null; }
    S.root = null;
  }

  function start(cfg) {
    var r = root();
    if (!r || !cfg) { return window.dash_clientside.no_update; }
    S.cfg = cfg;
    S.version = cfg.version || S.version;
    if (S.root !== r) { S.root = r; S.index = 0; S.spots = {}; }
    if (!S.listening) {
      S.listening = true;
      ["pointerdown", "keydown", "touchstart"].forEach(function (type) {
        document.addEventListener(type, onActivity, { passive: true });
      });
    }
    schedule(period());
    pollLater(Math.max(2, cfg.poll || 60) * 1000);
    return cfg.version || "";
  }

  window.kiosque = {
    speed: function (ms) { S.speedMs = Math.max(0, ms | 0); S.pausedUntil = 0; schedule(period()); return S.speedMs; },
    changes: function () { return S.changes; },
    state: function () {
      return { index: S.index, changes: S.changes, failures: S.failures, paused: S.pausedUntil > Date.now(),
               timer: S.timer !== null, poll: S.poll !== null, version: S.version };
    }
  };
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.kiosque = { start: start };
})();
