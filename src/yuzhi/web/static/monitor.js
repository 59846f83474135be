// Operator's console: live tile updates by server-sent events (/monitor/stream).
// No inline script anywhere (the pages run under a CSP without 'unsafe-inline').
(function () {
  "use strict";
  var live = document.getElementById("mon-live");
  if (!live || live.dataset.replay || !window.EventSource) { return; }
  var STATES = ["critical", "alarm", "warning", "stale", "ok"];
  var src = new EventSource(live.dataset.stream);
  src.addEventListener("tiles", function (ev) {
    var data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    live.classList.remove("off");
    live.textContent = live.dataset.live;
    var upd = document.getElementById("mon-updated");
    if (upd) { upd.textContent = data.updated; }
    data.tiles.forEach(function (t) {
      var el = document.getElementById("tile-" + t.id);
      if (!el) { return; }
      STATES.forEach(function (s) { el.classList.remove("st-" + s); });
      el.classList.add("st-" + t.state);
      var v = el.querySelector(".mon-value .v");
      if (v) { v.textContent = t.value; }
      var badge = el.querySelector(".mon-state .badge");
      if (badge) {
        STATES.forEach(function (s) { badge.classList.remove("st-" + s); });
        badge.classList.add("st-" + t.state);
        badge.textContent = t.state_label;
      }
      var lv = el.querySelector(".mon-state .lv");
      if (lv) { lv.textContent = t.levels.join(" · "); }
      var ts = el.querySelector(".mon-ts");
      if (ts) { ts.textContent = t.last; }
      var sp = el.querySelector(".mon-spark");
      if (sp) { sp.innerHTML = t.spark; }  // server-rendered SVG of our own numbers
    });
  });
  src.onerror = function () {
    live.classList.add("off");
    live.textContent = live.dataset.paused;
  };
}());
