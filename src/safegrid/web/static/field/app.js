/* SafeGrid field app (OPS-6 field side, ADR 0027).
 *
 * Works with no network: orders are cached in localStorage, every action the worker takes
 * is queued there with its own idempotency key, and "Sync" (or the network coming back)
 * sends the queue to /api/field/sync under a fresh batch key. The server answers each
 * action applied / replayed / refused; only answered actions leave the queue, so a lost
 * answer loses nothing (the resent actions come back "replayed"). Readings are sealed with
 * the paired terminal's SM4 key (sm-crypto-v2, GCM) and go through the DATA-7 upload.
 *
 * Photos are kept as Blobs in IndexedDB, not in localStorage: localStorage holds a few MB
 * of text per origin, a single phone photo as base64 can fill it. The queued action keeps
 * only the photo's key; sync reads the photo back, sends the queue in requests of at most
 * CHUNK_CHARS of photo data (the server takes one request of up to ~13 MB, ADR 0034), and
 * deletes a photo once the server has answered its action.
 */
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("i18n").textContent);
  var KEY = { token: "sg.field.token", orders: "sg.field.orders", queue: "sg.field.queue",
              readings: "sg.field.readings", terminal: "sg.field.terminal", refused: "sg.field.refused" };
  var PHOTO_MAX_BYTES = 9000000;  // the server takes a photo of up to 12,000,000 base64 chars
  var CHUNK_CHARS = 8000000;  // photo data per sync request; a larger single photo goes alone
  var current = null;
  var syncing = null;  // one sync at a time: a second click waits for the running one

  function load(k, dflt) { try { var v = localStorage.getItem(k); return v ? JSON.parse(v) : dflt; } catch (e) { return dflt; } }
  function save(k, v) { localStorage.setItem(k, JSON.stringify(v)); }
  function hex(bytes) { return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join(""); }
  function newKey() { var b = new Uint8Array(16); crypto.getRandomValues(b); return hex(b); }
  function $(id) { return document.getElementById(id); }
  function show(id) { ["signin", "orders", "order", "pair"].forEach(function (s) { $(s).hidden = s !== id; }); }

  function status() {
    $("net").textContent = navigator.onLine ? S.online : S.offline;
    $("net").className = "pill " + (navigator.onLine ? "ok" : "warn");
    var n = load(KEY.queue, []).length + load(KEY.readings, []).length;
    $("queue").textContent = S.queued.replace("%(n)s", n);
  }

  // -- photos in IndexedDB -----------------------------------------------------------------
  var dbOpen = null;
  function db() {
    if (!dbOpen) {
      dbOpen = new Promise(function (resolve, reject) {
        var req = indexedDB.open("sg-field", 1);
        req.onupgradeneeded = function () { req.result.createObjectStore("photos"); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { dbOpen = null; reject(req.error); };
      });
    }
    return dbOpen;
  }
  function photos(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("photos", mode), out = work(tx.objectStore("photos"));
        tx.oncomplete = function () { resolve(out && out.result); };
        tx.onerror = tx.onabort = function () { reject(tx.error || new Error("IndexedDB")); };
      });
    });
  }
  function putPhotos(entries) {  // [[key, blob], ...] in one transaction: all or none
    return photos("readwrite", function (st) { entries.forEach(function (e) { st.put(e[1], e[0]); }); });
  }
  function getPhoto(key) { return photos("readonly", function (st) { return st.get(key); }); }
  function dropPhotos(keys) {
    if (!keys.length) { return Promise.resolve(); }
    return photos("readwrite", function (st) { keys.forEach(function (k) { st.delete(k); }); });
  }

  function enqueue(action) {
    action.key = action.key || newKey();
    var q = load(KEY.queue, []); q.push(action); save(KEY.queue, q);
    status();
  }

  function api(method, url, body, extra) {
    var headers = { "Content-Type": "application/json", "Authorization": "Bearer " + load(KEY.token, "") };
    Object.assign(headers, extra || {});
    return fetch(url, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; }); });
  }

  function renderOrders() {
    var list = $("order-list"); list.textContent = "";
    load(KEY.orders, []).forEach(function (o) {
      var li = document.createElement("li");
      var a = document.createElement("a"); a.href = "#"; a.dataset.id = o.id;
      a.textContent = o.number + " · " + (S.kinds[o.kind] || o.kind) + " · " + (S.statuses[o.status] || o.status);
      a.addEventListener("click", function (ev) { ev.preventDefault(); openOrder(o.id); });
      li.appendChild(a); list.appendChild(li);
    });
    var ref = $("refused"); ref.textContent = "";
    load(KEY.refused, []).forEach(function (m) { var li = document.createElement("li"); li.textContent = m; ref.appendChild(li); });
  }

  function refresh() {
    if (!navigator.onLine) { renderOrders(); return Promise.resolve(); }
    return api("GET", "/api/field/orders").then(function (r) {
      if (r.status === 401) { show("signin"); return; }
      if (r.status === 200) { save(KEY.orders, r.body); }
      renderOrders();
    }).catch(renderOrders);
  }

  function localStatus(orderId, st) {
    var orders = load(KEY.orders, []);
    orders.forEach(function (o) { if (o.id === orderId) { o.status = st; } });
    save(KEY.orders, orders);
  }

  function openOrder(id) {
    current = load(KEY.orders, []).filter(function (o) { return o.id === id; })[0];
    if (!current) { return; }
    $("order-title").textContent = current.number;
    $("order-meta").textContent = (S.statuses[current.status] || current.status) + " · " + (current.meter_asset_no || "—") + " · " + (current.address || "");
    $("checklist-error").textContent = "";
    show("order");
  }

  function readFile(blob) {
    return new Promise(function (resolve, reject) {
      var fr = new FileReader();
      fr.onload = function () { resolve(String(fr.result).split(",")[1]); };
      fr.onerror = reject; fr.readAsDataURL(blob);
    });
  }

  function saveChecklist(ev) {
    ev.preventDefault();
    var form = ev.target, orderId = current.id, actions = [], stored = [], problem = null;
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.check"), function (fs) {
      var item = fs.dataset.item, file = form.elements["photo-" + item].files[0];
      var value = form.elements["value-" + item] ? form.elements["value-" + item].value.trim() : null;
      var label = fs.querySelector("legend").textContent;
      if (!file) { problem = problem || S.photo_missing + ": " + label; return; }
      if (file.size > PHOTO_MAX_BYTES) { problem = problem || S.photo_too_large + ": " + label; return; }
      var key = newKey();
      stored.push([key, file]);
      actions.push({ key: key, kind: "check", order_id: orderId, item: item, ok: form.elements["ok-" + item].checked,
                     value: value || null, photo_key: key });
    });
    if (problem) { $("checklist-error").textContent = problem; return; }
    // The photos are stored before their actions are queued: no action without its photo.
    putPhotos(stored).then(function () {
      actions.forEach(enqueue);
      $("checklist-error").textContent = S.saved_locally;
    }).catch(function () { $("checklist-error").textContent = S.storage_full; });
  }

  function saveReading(ev) {
    ev.preventDefault();
    var total = ev.target.elements.total.value.trim();
    var r = load(KEY.readings, []);
    // The reading day is the device's own calendar day (a reading at 07:00 in Beijing is
    // that day's, not the previous UTC day's).
    var d = new Date(), pad = function (n) { return ("0" + n).slice(-2); };
    var day = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    r.push({ asset_no: current.meter_asset_no, read_on: day, total: total });
    save(KEY.readings, r); ev.target.reset(); status();
  }

  function sealAndUpload() {
    var readings = load(KEY.readings, []), t = load(KEY.terminal, null);
    if (!readings.length || !t || !window.SmCryptoV2) { return Promise.resolve(); }
    var batch = "fa-" + newKey(), sent = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    var iv = new Uint8Array(12); crypto.getRandomValues(iv);
    var aad = new TextEncoder().encode("safegrid-terminal-upload-v1|" + t.code + "|" + batch + "|" + sent);
    var keyHex = hex(Uint8Array.from(atob(t.key), function (c) { return c.charCodeAt(0); }));
    var out = window.SmCryptoV2.sm4.encrypt(JSON.stringify({ readings: readings }), keyHex,
      { mode: "gcm", iv: hex(iv), associatedData: aad, outputTag: true, output: "array" });
    var blob = new Uint8Array(12 + out.output.length + out.tag.length);
    blob.set(iv, 0); blob.set(out.output, 12); blob.set(out.tag, 12 + out.output.length);
    var sealed = btoa(String.fromCharCode.apply(null, blob));
    return fetch("/api/terminals/uploads", { method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Terminal " + t.code + ":" + t.secret,
                 "X-Reader-Token": load(KEY.token, "") },
      body: JSON.stringify({ batch_id: batch, sent_at: sent, sealed: sealed }) })
      .then(function (r) {
        if (r.status === 200) { save(KEY.readings, []); return; }
        return r.json().catch(function () { return {}; }).then(function (j) {
          var why = S.readings_refused + ": " + (j.detail || r.status);
          // Refused for its content (422/409): the server's answer is final, as for the
          // sync's actions; anything else (network, sign-in) keeps the readings queued.
          if (r.status === 422 || r.status === 409) {
            save(KEY.readings, []);
            var refused = load(KEY.refused, []); refused.push(why); save(KEY.refused, refused.slice(-20));
          }
          $("sync-result").textContent = why;
        });
      });
  }

  function sync() {
    if (syncing) { return syncing; }
    syncing = runSync().then(function () { syncing = null; }, function () { syncing = null; });
    return syncing;
  }

  // The queued action as the server takes it: the photo read back from IndexedDB.
  function wire(action) {
    if (!action.photo_key) { return Promise.resolve({ action: action, size: 0 }); }
    return getPhoto(action.photo_key).then(function (blob) {
      return blob ? readFile(blob) : null;  // a lost photo: the server refuses the item
    }).then(function (b64) {
      var out = Object.assign({}, action, { photo: b64 }); delete out.photo_key;
      return { action: out, size: b64 ? b64.length : 0 };
    });
  }

  // Sends the queue in order, request after request of at most CHUNK_CHARS of photos (and
  // at most 200 actions); stops at the first request without an answer.
  function sendQueue(counts) {
    var queue = load(KEY.queue, []);
    if (!queue.length) { return Promise.resolve(null); }
    var chunk = [], chars = 0;
    function take(i) {
      if (i >= queue.length || chunk.length >= 200) { return Promise.resolve(); }
      return wire(queue[i]).then(function (w) {
        if (chunk.length && chars + w.size > CHUNK_CHARS) { return; }
        chunk.push(w.action); chars += w.size;
        return take(i + 1);
      });
    }
    return take(0).then(function () {
      return api("POST", "/api/field/sync", { batch_key: newKey(), actions: chunk });
    }).then(function (r) {
      if (r.status !== 200) { return r; }
      var answered = {}, refused = load(KEY.refused, []), done = [];
      r.body.forEach(function (res) {
        answered[res.key] = true; counts[res.status] += 1;
        if (res.status === "refused") { refused.push(res.message); }
      });
      var left = load(KEY.queue, []).filter(function (a) {
        if (answered[a.key] && a.photo_key) { done.push(a.photo_key); }
        return !answered[a.key];
      });
      save(KEY.queue, left);
      save(KEY.refused, refused.slice(-20));
      return dropPhotos(done).then(function () {
        return left.length && r.body.length ? sendQueue(counts) : r;
      });
    });
  }

  function runSync() {
    if (!navigator.onLine) { $("sync-result").textContent = S.offline_kept; return Promise.resolve(); }
    var counts = { applied: 0, replayed: 0, refused: 0 };
    return sendQueue(counts).then(function (r) {
      if (r && r.status === 200) {
        $("sync-result").textContent = S.synced.replace("%(applied)s", counts.applied)
          .replace("%(replayed)s", counts.replayed).replace("%(refused)s", counts.refused);
      } else if (r) {
        $("sync-result").textContent = (r.body && r.body.detail) || String(r.status);
      }
      return sealAndUpload();
    }).then(refresh).catch(function () { $("sync-result").textContent = S.offline_kept; }).then(status);
  }

  function signIn(ev) {
    ev.preventDefault();
    var f = ev.target;
    fetch("/api/auth/token", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: f.elements.username.value, password: f.elements.password.value, otp: f.elements.otp.value }) })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
      .then(function (r) {
        if (r.status !== 200) { $("signin-error").textContent = r.body.detail || String(r.status); return; }
        save(KEY.token, r.body.access_token || r.body.token); show("orders"); refresh();
      });
  }

  function init() {
    if ("serviceWorker" in navigator) { navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }); }
    // Queued photos must outlive storage pressure: ask the browser not to evict them.
    if (navigator.storage && navigator.storage.persist) { navigator.storage.persist(); }
    $("signin-form").addEventListener("submit", signIn);
    $("checklist").addEventListener("submit", saveChecklist);
    $("reading").addEventListener("submit", saveReading);
    $("sync").addEventListener("click", sync);
    $("back").addEventListener("click", function (ev) { ev.preventDefault(); show("orders"); renderOrders(); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-step]"), function (b) {
      b.addEventListener("click", function () {
        var next = { accept: "accepted", start: "started", finish: "finished", submit: "submitted" }[b.dataset.step];
        enqueue({ kind: b.dataset.step, order_id: current.id });
        localStatus(current.id, next); openOrder(current.id);
      });
    });
    $("position").addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        enqueue({ kind: "position", order_id: current.id, lat: p.coords.latitude.toFixed(6),
                  lon: p.coords.longitude.toFixed(6), at: new Date(p.timestamp).toISOString() });
      });
    });
    $("pair-form").addEventListener("submit", function (ev) {
      ev.preventDefault(); var f = ev.target;
      save(KEY.terminal, { code: f.elements.code.value.trim(), secret: f.elements.secret.value.trim(), key: f.elements.key.value.trim() });
      show("orders");
    });
    window.addEventListener("online", function () { status(); sync(); });
    window.addEventListener("offline", status);
    status();
    if (!load(KEY.token, "")) { show("signin"); } else { show("orders"); refresh(); }
    if (location.hash === "#pair") { show("pair"); }
    window.addEventListener("hashchange", function () { if (location.hash === "#pair") { show("pair"); } });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
