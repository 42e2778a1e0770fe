// The partner portal's only script: the progress bar of a match in progress.
// It polls the list's status (same origin, the session cookie) and reloads the page
// when the match is done or failed. Pages work without it (reload by hand).
"use strict";
(function () {
  var bar = document.getElementById("progress");
  if (!bar) { return; }
  var stage = document.getElementById("stage");
  var url = bar.getAttribute("data-status-url");
  // "score partner rows, for 1 min 20 s": a long stage shows that it is still running
  function describe(p) {
    if (!p.stage_started) { return p.stage; }
    var secs = Math.max(0, Math.round((Date.now() - Date.parse(p.stage_started)) / 1000));
    var took = secs < 60 ? secs + " s" : Math.floor(secs / 60) + " min " + (secs % 60) + " s";
    return p.stage + ", for " + took;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 3000); return; }
        if (s.progress) {
          bar.value = s.progress.fraction;
          if (stage) { stage.textContent = describe(s.progress); }
        }
        if (s.status === "queued" || s.status === "matching") {
          setTimeout(poll, 700);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
