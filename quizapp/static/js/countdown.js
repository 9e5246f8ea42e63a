// Contest landing page: countdowns to a round's opening or closing (server-given seconds),
// and the service worker installed before the quiz starts, so that the quiz page is kept
// for offline use from its first opening (templates/offline/sw.js).
(function () {
  "use strict";
  if ("serviceWorker" in navigator && document.querySelector("form[action$='/start']")) {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* online only */ });
  }
  var els = document.querySelectorAll(".countdown[data-seconds]");
  if (!els.length) { return; }
  var t0 = performance.now();
  function fmt(total) {
    var d = Math.floor(total / 86400), h = Math.floor(total % 86400 / 3600);
    var m = Math.floor(total % 3600 / 60), s = total % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d ? d + " " + (els[0].dataset.days || "d") + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }
  function tick() {
    var elapsed = (performance.now() - t0) / 1000;
    els.forEach(function (el) {
      // Without this script the line gives the date and time; with it, the time left too.
      el.textContent = " · " + el.dataset.label + " " +
        fmt(Math.max(0, Math.round(parseInt(el.dataset.seconds, 10) - elapsed)));
      el.hidden = false;
    });
    setTimeout(tick, 1000);
  }
  tick();
})();
