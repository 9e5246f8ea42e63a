// Registration: choose the unit level by level (any depth) or by typing part of its name.
// Progressive enhancement of the plain numeric "unit_id" field, which stays as the fallback.
(function () {
  "use strict";
  var root = document.getElementById("unit-levels");
  if (!root) { return; }
  document.documentElement.classList.add("js");
  var idInput = document.getElementById("unit_id");
  var labelInput = document.getElementById("unit_label");
  var chosen = document.getElementById("unit-chosen");
  var search = document.getElementById("unit-search");
  var results = document.getElementById("unit-results");
  var chooseLabel = root.dataset.chooseLabel;
  var levelLabel = root.dataset.levelLabel;
  var chosenPrefix = chosen.dataset.prefix || "✓ ";

  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function choose(id, label) {
    idInput.value = id || "";
    labelInput.value = label || "";
    chosen.textContent = id ? chosenPrefix + label : "";
  }
  function addLevel(parentId, depth) {
    var url = root.dataset.childrenUrl + (parentId ? "?parent=" + parentId : "");
    return getJSON(url).then(function (units) {
      if (!units.length) { return; }
      var wrap = document.createElement("div");
      wrap.className = "field level";
      var id = "unit-level-" + depth;
      var label = document.createElement("label");
      label.setAttribute("for", id);
      label.textContent = levelLabel.replace("%(n)s", String(depth + 1));
      var select = document.createElement("select");
      select.id = id;
      var none = document.createElement("option");
      none.value = ""; none.textContent = chooseLabel;
      select.appendChild(none);
      units.forEach(function (u) {
        var o = document.createElement("option");
        o.value = u.id; o.textContent = u.name + " (" + u.type + ")";
        o.dataset.hasChildren = u.has_children ? "1" : "";
        select.appendChild(o);
      });
      select.addEventListener("change", function () {
        while (wrap.nextSibling) { root.removeChild(wrap.nextSibling); }
        var opt = select.options[select.selectedIndex];
        if (!select.value) {
          var prev = wrap.previousSibling && wrap.previousSibling.querySelector("select");
          if (prev && prev.value) { choose(prev.value, pathLabel()); } else { choose("", ""); }
          return;
        }
        choose(select.value, pathLabel());
        if (opt.dataset.hasChildren) { addLevel(select.value, depth + 1); }
      });
      wrap.appendChild(label); wrap.appendChild(select);
      root.appendChild(wrap);
    });
  }
  function pathLabel() {
    var parts = [];
    root.querySelectorAll("select").forEach(function (s) {
      if (s.value) { parts.push(s.options[s.selectedIndex].textContent); }
    });
    return parts.join(" › ");
  }
  var timer = null;
  search.addEventListener("input", function () {
    clearTimeout(timer);
    var q = search.value.trim();
    if (q.length < 2) { results.innerHTML = ""; return; }
    timer = setTimeout(function () {
      getJSON(root.dataset.searchUrl + "?q=" + encodeURIComponent(q)).then(function (units) {
        results.innerHTML = "";
        units.forEach(function (u) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button"; b.textContent = u.path;
          b.addEventListener("click", function () {
            choose(u.id, u.path); results.innerHTML = ""; search.value = "";
          });
          li.appendChild(b); results.appendChild(li);
        });
      });
    }, 250);
  });
  addLevel(null, 0);
})();
