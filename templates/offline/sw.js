// quizapp's service worker: the quiz keeps working when the connection drops.
// - The quiz page of an attempt (/attempts/<id>) is fetched from the network first and kept;
//   offline, the kept copy is served, marked data-from-network="0" so that the page takes the
//   answers kept on the phone over the ones it was rendered with.
// - Static files have versioned names (?v=hash): served from the cache, fetched once.
// - Any other page that cannot be fetched gets the offline page instead of the browser's error.
// - Logging out drops the kept quiz pages; answers and submissions are sent by the page itself
//   (static/js/quiz.js), never replayed from here.
"use strict";
var VERSION = {{ version|tojson }};
var ASSETS = {{ assets|tojson }};
var OFFLINE = {{ offline_url|tojson }};
var STATIC = "quizapp-static-" + VERSION;
var PAGES = "quizapp-pages";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.addAll(ASSETS.concat([OFFLINE]));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("quizapp-static-") === 0 && k !== STATIC;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function quizPage(url) { return /^\/attempts\/\d+$/.test(url.pathname); }
function pageKey(url) { return url.origin + url.pathname; }

function markKept(response) {
  return response.text().then(function (html) {
    return new Response(html.replace('data-from-network="1"', 'data-from-network="0"'), {
      status: 200, headers: {"Content-Type": "text/html; charset=utf-8"}
    });
  });
}

function offlinePage() {
  return caches.match(OFFLINE).then(function (r) {
    return r || new Response("offline", {status: 503, headers: {"Content-Type": "text/plain"}});
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (req.method === "POST" && url.pathname === "/logout") {
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (req.method !== "GET") { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (r) {
        if (r.ok && url.search) {
          var copy = r.clone();
          caches.open(STATIC).then(function (c) { c.put(req, copy); });
        }
        return r;
      });
    }));
    return;
  }
  if (req.mode !== "navigate") { return; }
  event.respondWith(fetch(req).then(function (r) {
    var final = new URL(r.url || req.url);
    if (quizPage(url) && r.ok && quizPage(final)) {
      var copy = r.clone();
      caches.open(PAGES).then(function (c) { c.put(pageKey(url), copy); });
    } else if (quizPage(url)) {  // the attempt is over (redirected to its result): forget it
      caches.open(PAGES).then(function (c) { c.delete(pageKey(url)); });
    }
    return r;
  }, function () {
    if (!quizPage(url)) { return offlinePage(); }
    return caches.open(PAGES).then(function (c) { return c.match(pageKey(url)); }).then(function (hit) {
      return hit ? markKept(hit) : offlinePage();
    });
  }));
});

// The quiz page asks for itself to be kept when it was loaded before this worker ran.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (!data.keep) { return; }
  var url = new URL(data.keep, self.location.origin);
  if (url.origin !== self.location.origin || !quizPage(url)) { return; }
  // Marked as a copy to keep: the server does not let this request take the attempt over
  // from another phone (only the participant's own opening of the page does).
  event.waitUntil(fetch(url.href, {
    credentials: "same-origin", headers: {"X-Quizapp-Keep": "1"}
  }).then(function (r) {
    if (r.ok && quizPage(new URL(r.url))) {
      return caches.open(PAGES).then(function (c) { return c.put(pageKey(url), r); });
    }
  }));
});
