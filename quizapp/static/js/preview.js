// Question editor: live preview of the question as a participant will see it.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var target = document.getElementById("preview");
  if (!form || !target) { return; }
  var timer = null;
  function refresh() {
    fetch(form.dataset.previewUrl, {method: "POST", body: new FormData(form),
                                    credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) { target.innerHTML = html; })
      .catch(function () { /* keep the last preview when offline */ });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  form.addEventListener("change", refresh);
})();
