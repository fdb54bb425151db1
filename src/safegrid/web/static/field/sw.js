/* The field app's service worker (ADR 0027): the shell and its files come from the cache
 * first, so the app opens with no network; API calls always go to the network (the app's
 * own queue in localStorage is what survives being offline, not cached API answers). */
var CACHE = "sg-field-v1";
var SHELL = ["/field", "/static/field/app.js", "/static/field/field.css",
             "/static/field/manifest.webmanifest", "/static/vendor/sm-crypto-v2/sm-crypto-v2.umd.js",
             "/static/favicon.svg"];

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (ev) {
  var url = new URL(ev.request.url);
  if (ev.request.method !== "GET" || url.pathname.indexOf("/api/") === 0) { return; }
  var key = url.pathname === "/field" ? "/field" : ev.request;
  ev.respondWith(fetch(ev.request).then(function (resp) {
    if (resp.ok && SHELL.indexOf(url.pathname) >= 0) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (c) { c.put(key, copy); });
    }
    return resp;
  }).catch(function () { return caches.match(key); }));
});
