// The quiz page (templates/contests/attempt.html) on a phone whose connection comes and goes.
// - Every answer is kept on the phone (localStorage) the moment it is chosen and sent to the
//   server; it stays "waiting to send" until the server has it, whatever happens meanwhile
//   (no connection, a login that ended, another phone holding the attempt).
// - The page holds every question: moving between them, the review and the submission need
//   no network. A submission made offline is kept and sent when the connection returns; the
//   server decides by its own clock what counts.
// - The service worker (/sw.js) keeps this page, so a reload without network shows it again
//   with the answers kept on the phone.
// - The countdown uses the seconds the server gave, never the phone's clock for the deadline.
// Without this script the page works by posting one question (or all) at a time.
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  var timer = document.getElementById("timer");
  var conn = document.getElementById("conn");
  var notice = document.getElementById("notice");
  var submitForm = document.getElementById("submit-form");
  var panel = document.getElementById("review-panel");
  var attemptId = form ? form.dataset.attempt : (timer ? timer.dataset.doneUrl.split("/")[2] : "");
  var store = {
    get: function (name, fallback) {
      try { return JSON.parse(localStorage.getItem("quizapp-" + name + "-" + attemptId)) || fallback; }
      catch (e) { return fallback; }
    },
    set: function (name, value) {
      try { localStorage.setItem("quizapp-" + name + "-" + attemptId, JSON.stringify(value)); }
      catch (e) { /* storage full or refused: the answer stays in memory */ }
    },
    drop: function (name) {
      try { localStorage.removeItem("quizapp-" + name + "-" + attemptId); } catch (e) { /* none */ }
    }
  };
  function text(key) { return form ? form.dataset[key] || "" : ""; }
  function csrf() {
    var t = document.querySelector("input[name=csrf_token]");
    return t ? t.value : "";
  }

  // --- notices -------------------------------------------------------------------------
  function showOffline(on) {
    if (!conn) { return; }
    if (on) { conn.textContent = conn.dataset.offline; }
    conn.hidden = !on;
  }
  function showNotice(message, action) {
    if (!notice) { return; }
    notice.querySelector("[data-text]").textContent = message;
    ["relogin", "takeback", "see-result"].forEach(function (id) {
      document.getElementById(id).hidden = id !== action;
    });
    notice.hidden = false;
  }

  // --- countdown -----------------------------------------------------------------------
  // The deadline is kept as this phone's time of it when the page came from the server, so
  // that a copy of the page served offline counts down from where it was.
  var deadline = null;
  if (timer) {
    var fromNetwork = !form || form.dataset.fromNetwork === "1";
    var given = parseInt(timer.dataset.remaining, 10) || 0;
    deadline = fromNetwork ? Date.now() + given * 1000 : store.get("deadline", Date.now() + given * 1000);
    store.set("deadline", deadline);
    var t0 = performance.now(), start = Date.now(), warned = {}, fired = false;
    var warning = document.getElementById("time-warning");
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - start - (performance.now() - t0)) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      timer.textContent = (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
      if (left <= 60) { timer.classList.add("urgent"); }
      [[300, "warn5"], [60, "warn1"]].forEach(function (w) {
        if (left <= w[0] && left > w[0] - 5 && !warned[w[1]] && warning) {
          warned[w[1]] = true;
          warning.textContent = timer.dataset[w[1]];
        }
      });
      if (left === 0 && !fired) {
        fired = true;
        submitAttempt();
        return;
      }
      setTimeout(tick, 250);
    };
    tick();
  }

  // --- submission ----------------------------------------------------------------------
  var submitting = false;
  function predictionValue() {
    var p = document.getElementById("prediction");
    return p && /^\d+$/.test(p.value.trim()) ? p.value.trim() : "";
  }
  function submitAttempt() {
    if (submitting || !submitForm) { return; }
    submitting = true;
    store.set("submit", {prediction: predictionValue()});
    flush().then(function () {
      if (stopped) { submitting = false; return; }  // the notice says what to do first
      var body = new FormData();
      body.append("csrf_token", csrf());
      body.append("prediction", store.get("submit", {}).prediction || "");
      return fetch(submitForm.action, {method: "POST", body: body, credentials: "same-origin"})
        .then(function (r) {
          submitting = false;
          var path = new URL(r.url, location.href).pathname;
          if (r.status === 400 || /\/login$/.test(path)) {
            stopped = true;
            showNotice(text("loginEnded"), "relogin");
          } else if (r.ok) {  // submitted: the result (of a contest or a programme's check)
            ["submit", "pending", "answers", "deadline"].forEach(store.drop);
            location.href = r.url;
          } else {
            location.href = form ? form.dataset.resultUrl : submitForm.action.replace(/submit$/, "result");
          }
        });
    }).catch(function () {
      submitting = false;
      showOffline(false);
      showNotice(text("submitWaiting") || (conn && conn.dataset.offline) || "", null);
      setTimeout(submitAttempt, 10000);
    });
  }
  window.addEventListener("online", function () {
    if (store.get("submit", null)) { submitAttempt(); }
  });
  if (submitForm) {
    submitForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var ask = submitForm.dataset.confirm || text("confirm");
      if (ask && !window.confirm(ask)) { return; }
      submitAttempt();
    });
  }

  if (!form) { return; }

  // --- answers kept on the phone ---------------------------------------------------------
  // pending: what the server does not have yet; answers: everything chosen on this phone
  // (a copy of the page served offline shows them).
  var pending = store.get("pending", {});
  var answers = store.get("answers", {});
  var delay = 1000, retryId = null, inflight = null, stopped = false;

  function slotOf(pos) { return form.querySelector(".slot[data-position='" + pos + "']"); }
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
  function fill(slot, p) {
    var name = "a" + p.position, a = p.answer || {};
    if (a.choices) {
      slot.querySelectorAll("input[name='" + name + "']").forEach(function (i) {
        i.checked = a.choices.indexOf(parseInt(i.value, 10)) >= 0;
      });
    } else if (a.value !== undefined) {
      slot.querySelectorAll("input[name='" + name + "']").forEach(function (i) {
        i.checked = i.value === a.value;
      });
    } else if (a.pairs) {
      slot.querySelectorAll("select").forEach(function (s) {
        var v = a.pairs[s.name.split("-")[1]];
        if (v !== undefined) { s.value = v; }
      });
    } else if (a.text !== undefined) {
      var t = slot.querySelector("[name='" + name + "']");
      if (t) { t.value = a.text; }
    }
    var flag = slot.querySelector("input[name='flag" + p.position + "']");
    if (flag) { flag.checked = !!p.flagged; }
  }
  function setState(pos, state) {
    var slot = slotOf(pos);
    if (!slot) { return; }
    var el = slot.querySelector("[data-state]");
    var current = readSlot(slot);
    if (state === "saved" && !hasAnswer(current.answer)) { state = "none"; }
    el.textContent = text("state" + state.charAt(0).toUpperCase() + state.slice(1));
    el.className = "save-state " + state;
    var nav = form.querySelector("[data-nav='" + pos + "']");
    if (nav) {
      var answered = hasAnswer(current.answer);
      nav.classList.toggle("answered", answered);
      nav.classList.toggle("flagged", current.flagged);
      nav.setAttribute("aria-label", nav.dataset.label + ": " +
        (answered ? text("answered") : text("unanswered")) + (current.flagged ? ", " + text("flagged") : ""));
    }
  }
  function keep() { store.set("pending", pending); store.set("answers", answers); }

  // A fresh page from the server is the truth for what it has; a copy kept by the service
  // worker (offline) is older than what this phone chose since.
  if (form.dataset.fromNetwork === "1") {
    answers = {};
    Object.keys(pending).forEach(function (pos) { answers[pos] = pending[pos]; });
  }
  Object.keys(answers).forEach(function (pos) {
    var slot = slotOf(pos);
    if (slot) { fill(slot, answers[pos]); setState(pos, pending[pos] ? "pending" : "saved"); }
  });
  keep();

  function send(p) {
    return fetch(form.dataset.saveUrl, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": csrf()},
      body: JSON.stringify(p)
    });
  }
  function stop(message, action) {
    stopped = true;
    showOffline(false);
    showNotice(message, action);
  }
  // Sends what is pending, one answer after another; a call while a round of sending is
  // under way waits for it and sends what was chosen meanwhile.
  function flush() {
    if (stopped || !form) { return Promise.resolve(); }  // the review page has no answers
    if (inflight) { return inflight.then(flush); }
    var positions = Object.keys(pending);
    if (!positions.length) { return Promise.resolve(); }
    var chain = Promise.resolve();
    positions.forEach(function (pos) {
      chain = chain.then(function () {
        var p = pending[pos];
        if (!p || stopped) { return; }
        return send(p).then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (body) {
            if (r.ok && body.ok) {
              if (pending[pos] === p) { delete pending[pos]; keep(); setState(pos, "saved"); }
            } else if (r.status === 401 || r.type === "opaqueredirect" || body.code === "csrf") {
              stop(body.code === "login" && body.error ? body.error : text("loginEnded"), "relogin");
            } else if (body.code === "device") {
              stop(body.error, "takeback");
            } else if (body.code === "closed") {
              stop(body.error, "see-result");
              ["pending", "answers", "deadline", "submit"].forEach(store.drop);
              setTimeout(function () { location.href = body.result; }, 4000);
            } else if (r.status === 422 || body.code === "bad") {
              delete pending[pos]; keep(); setState(pos, "failed");
            } else {
              throw new Error("retry");  // 429, 5xx, a proxy's page: try again later
            }
          });
        });
      });
    });
    inflight = chain.then(function () {
      inflight = null; delay = 1000; showOffline(false);
    }, function () {
      inflight = null;
      showOffline(true);
      delay = Math.min(delay * 2, 30000);
      clearTimeout(retryId);
      retryId = setTimeout(flush, delay);
      throw new Error("offline");
    });
    return inflight;
  }
  function flushQuietly() { flush().catch(function () { /* retried by itself */ }); }
  function queue(p) {
    pending[p.position] = p;
    if (p.position) { answers[p.position] = p; }
    keep();
    if (p.position) { setState(p.position, "pending"); }
    flushQuietly();
  }
  var typing = null;
  form.addEventListener("change", function (e) {
    var slot = e.target.closest(".slot");
    if (slot) { queue(readSlot(slot)); }
  });
  form.addEventListener("input", function (e) {
    var t = e.target;
    var texty = t.tagName === "TEXTAREA" ||
      (t.tagName === "INPUT" && t.type !== "radio" && t.type !== "checkbox");
    if (!texty) { return; }
    var slot = t.closest(".slot");
    clearTimeout(typing);
    typing = setTimeout(function () { if (slot) { queue(readSlot(slot)); } }, 600);
  });
  var prediction = document.getElementById("prediction");
  if (prediction) {
    prediction.addEventListener("change", function () {
      if (predictionValue()) { queue({position: 0, prediction: parseInt(predictionValue(), 10)}); }
    });
  }
  window.addEventListener("online", function () { delay = 1000; flushQuietly(); });
  window.addEventListener("offline", function () { showOffline(true); });

  // --- moving between questions without the network ----------------------------------------
  var boxes = form.querySelectorAll("[data-box]");
  var total = boxes.length, onePage = form.dataset.onePage === "1";
  var current = parseInt(form.dataset.current, 10) || 1;
  boxes.forEach(function (b) { b.disabled = false; });
  function show(n) {
    current = Math.max(1, Math.min(n, total));
    panel.hidden = true;
    form.hidden = false;
    if (!onePage) {
      boxes.forEach(function (b) { b.hidden = parseInt(b.dataset.box, 10) !== current; });
      form.querySelectorAll("[data-step]").forEach(function (b) {
        var to = current + parseInt(b.dataset.step, 10);
        b.value = to;
        b.hidden = to < 1 || to > total;
      });
      form.querySelectorAll("[data-nav]").forEach(function (b) {
        var here = parseInt(b.dataset.nav, 10) === current;
        b.classList.toggle("current", here);
        if (here) { b.setAttribute("aria-current", "step"); } else { b.removeAttribute("aria-current"); }
      });
      history.replaceState(null, "", location.pathname + "?q=" + current);
    }
    var box = form.querySelector("[data-box='" + current + "']");
    if (box) {
      box.scrollIntoView({block: "start"});
      var h = box.querySelector(".qhead");
      if (h && !onePage) { h.setAttribute("tabindex", "-1"); h.focus({preventScroll: true}); }
    }
  }
  function jumpList(holder, positions) {
    var list = holder.querySelector("[data-list]");
    list.textContent = "";
    positions.forEach(function (pos, i) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "link"; b.textContent = pos;
      b.addEventListener("click", function () { show(pos); });
      list.appendChild(b);
      if (i < positions.length - 1) { list.appendChild(document.createTextNode(", ")); }
    });
    holder.hidden = positions.length === 0;
  }
  function review() {
    var unanswered = [], flagged = [];
    form.querySelectorAll(".slot").forEach(function (slot) {
      var p = readSlot(slot);
      if (!hasAnswer(p.answer)) { unanswered.push(p.position); }
      if (p.flagged) { flagged.push(p.position); }
    });
    jumpList(panel.querySelector("[data-unanswered]"), unanswered);
    panel.querySelector("[data-all-answered]").hidden = unanswered.length > 0;
    jumpList(panel.querySelector("[data-flagged-list]"), flagged);
    form.hidden = true;
    panel.hidden = false;
    window.scrollTo(0, 0);
    document.getElementById("review-h").focus();
  }
  form.addEventListener("keydown", function (e) {  // Enter in an answer does not leave it
    if (e.key === "Enter" && e.target.tagName === "INPUT") { e.preventDefault(); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var go = e.submitter ? e.submitter.value : "review";
    if (go === "review") { review(); } else { show(parseInt(go, 10)); }
  });
  panel.querySelector("[data-back]").addEventListener("click", function () { show(current); });

  // --- take the attempt back, log in again -------------------------------------------------
  document.getElementById("takeback").addEventListener("click", function (e) {
    e.preventDefault();
    location.href = location.pathname + "?q=" + current;  // this page's load takes it back
  });

  // --- the service worker keeps this page for a reload offline -----------------------------
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      if (reg.active && form.dataset.fromNetwork === "1") {
        reg.active.postMessage({keep: location.pathname});
      }
    }).catch(function () { /* no worker: the page still works online */ });
  }

  flushQuietly();
  if (store.get("submit", null)) { submitAttempt(); }
})();
