// Quiz page: save every answer the moment it is chosen, keep answers made offline in this
// phone's storage and send them when the connection returns, and count down the time the
// server gave (never the phone's clock). Without this script the page still works by posting.
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  var timer = document.getElementById("timer");
  var conn = document.getElementById("conn");
  var token = document.querySelector("input[name=csrf_token]");

  // --- countdown (server-given remaining seconds; elapsed time measured monotonically) ---
  if (timer) {
    var remaining = parseInt(timer.dataset.remaining, 10) || 0;
    var t0 = performance.now();
    var fired = false;
    var tick = function () {
      var left = Math.max(0, Math.round(remaining - (performance.now() - t0) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      timer.textContent = (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
      if (left <= 60) { timer.classList.add("urgent"); }
      if (left === 0 && !fired) {
        fired = true;
        flush().then(submitNow, submitNow);
        return;
      }
      setTimeout(tick, 250);
    };
    tick();
  }

  function submitNow() {
    var f = document.createElement("form");
    f.method = "post";
    f.action = timer.dataset.doneUrl;
    if (token) {
      var i = document.createElement("input");
      i.type = "hidden"; i.name = "csrf_token"; i.value = token.value;
      f.appendChild(i);
    }
    document.body.appendChild(f);
    f.submit();
  }

  if (!form) { return; }
  var key = "quizapp-pending-" + form.dataset.attempt;
  var pending = {};
  try { pending = JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { pending = {}; }
  var delay = 1000, timerId = null, busy = false, stopped = false;

  function persist() {
    try { localStorage.setItem(key, JSON.stringify(pending)); } catch (e) { /* full: keep in memory */ }
  }
  function slotOf(pos) { return form.querySelector(".slot[data-position='" + pos + "']"); }
  function setState(pos, state) {
    var slot = slotOf(pos);
    if (!slot) { return; }
    var el = slot.querySelector("[data-state]");
    el.textContent = form.dataset[state];
    el.className = "save-state " + state;
    var nav = document.querySelector("[data-nav='" + pos + "']");
    if (nav && state === "saved") {
      nav.classList.toggle("answered", hasAnswer(pending[pos] ? pending[pos].answer : readSlot(slot).answer));
    }
  }
  function hasAnswer(a) {
    if (!a) { return false; }
    if (a.choices) { return a.choices.length > 0; }
    if (a.pairs) { return Object.keys(a.pairs).some(function (k) { return a.pairs[k]; }); }
    return a.value !== undefined ? a.value !== "" : !!(a.text && a.text.trim());
  }
  function readSlot(slot) {
    var pos = slot.dataset.position, type = slot.dataset.type, name = "a" + pos, answer;
    if (type === "single" || type === "multi") {
      answer = {choices: Array.prototype.map.call(
        slot.querySelectorAll("input[name='" + name + "']:checked"),
        function (i) { return parseInt(i.value, 10); })};
    } else if (type === "truefalse") {
      var c = slot.querySelector("input[name='" + name + "']:checked");
      answer = {value: c ? c.value : ""};
    } else if (type === "matching") {
      answer = {pairs: {}};
      slot.querySelectorAll("select").forEach(function (s) {
        answer.pairs[s.name.split("-")[1]] = s.value;
      });
    } else {
      var t = slot.querySelector("[name='" + name + "']");
      answer = {text: t ? t.value : ""};
    }
    var flag = slot.querySelector("input[name='flag" + pos + "']");
    return {position: parseInt(pos, 10), answer: answer, flagged: !!(flag && flag.checked)};
  }
  function applyPending() {  // after a reload while offline, show what was chosen
    Object.keys(pending).forEach(function (pos) {
      var slot = slotOf(pos), p = pending[pos];
      if (!slot || !p.answer) { return; }
      var name = "a" + pos;
      if (p.answer.choices) {
        slot.querySelectorAll("input[name='" + name + "']").forEach(function (i) {
          i.checked = p.answer.choices.indexOf(parseInt(i.value, 10)) >= 0;
        });
      } else if (p.answer.value !== undefined) {
        slot.querySelectorAll("input[name='" + name + "']").forEach(function (i) {
          i.checked = i.value === p.answer.value;
        });
      } else if (p.answer.text !== undefined) {
        var t = slot.querySelector("[name='" + name + "']");
        if (t) { t.value = p.answer.text; }
      }
      setState(pos, "unsaved");
    });
  }
  function schedule(ms) {
    clearTimeout(timerId);
    timerId = setTimeout(function () { flush(); }, ms);
  }
  function showOffline(on) {
    if (!conn) { return; }
    if (on) { conn.textContent = conn.dataset.offline; }
    conn.hidden = !on;
  }
  function send(p) {
    return fetch(form.dataset.saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""},
      body: JSON.stringify(p)
    });
  }
  function flush() {
    if (busy || stopped) { return Promise.resolve(); }
    var positions = Object.keys(pending);
    if (!positions.length) { return Promise.resolve(); }
    busy = true;
    var chain = Promise.resolve();
    positions.forEach(function (pos) {
      chain = chain.then(function () {
        var p = pending[pos];
        if (!p) { return; }
        return send(p).then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (body) {
            if (r.ok) {
              if (pending[pos] === p) { delete pending[pos]; persist(); setState(pos, "saved"); }
            } else if (r.status === 409) {
              stopped = true;
              delete pending[pos]; persist();
              showOffline(false);
              conn.textContent = body.error || "";
              conn.hidden = false;
              if (body.result && timer) { setTimeout(function () { location.href = body.result; }, 2500); }
              throw new Error("stopped");
            } else if (r.status === 422 || r.status === 400) {
              delete pending[pos]; persist(); setState(pos, "failed");
            } else {
              throw new Error("retry");
            }
          });
        });
      });
    });
    return chain.then(function () {
      busy = false; delay = 1000; showOffline(false);
    }, function (err) {
      busy = false;
      if (err && err.message === "stopped") { return; }
      showOffline(true);
      delay = Math.min(delay * 2, 30000);
      schedule(delay);
    });
  }
  function queue(slot) {
    var p = readSlot(slot);
    pending[p.position] = p;
    persist();
    setState(p.position, "unsaved");
    flush();
  }
  var typing = null;
  form.addEventListener("change", function (e) {
    var slot = e.target.closest(".slot");
    if (slot) { queue(slot); }
  });
  form.addEventListener("input", function (e) {
    var t = e.target;
    var texty = t.tagName === "TEXTAREA" ||
      (t.tagName === "INPUT" && t.type !== "radio" && t.type !== "checkbox");
    if (!texty) { return; }
    var slot = e.target.closest(".slot");
    clearTimeout(typing);
    typing = setTimeout(function () { if (slot) { queue(slot); } }, 600);
  });
  window.addEventListener("online", function () { delay = 1000; flush(); });
  window.addEventListener("offline", function () { showOffline(true); });
  // Leaving the page by a button also posts the form; send what is queued first.
  form.addEventListener("submit", function () { persist(); });
  applyPending();
  flush();
})();
