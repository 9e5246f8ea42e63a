// Dashboard: reload every N seconds unless the reader pauses it (WCAG 2.2.1).
(function () {
  "use strict";
  var box = document.getElementById("autorefresh");
  if (!box) { return; }
  var seconds = parseInt(box.dataset.seconds, 10) || 30;
  var button = box.querySelector("button");
  var timer = null;
  function start() { timer = setTimeout(function () { location.reload(); }, seconds * 1000); }
  button.addEventListener("click", function () {
    if (timer) {
      clearTimeout(timer); timer = null;
      button.textContent = box.dataset.resume;
    } else {
      start();
      button.textContent = box.dataset.pause;
    }
  });
  button.hidden = false;
  start();
})();
