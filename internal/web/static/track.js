// storeops traffic snippet: paste into every page of the shop.
//
//   <script src="https://OPS.EXAMPLE/static/track.js" async
//           data-customer-id="{{customer id, when logged in}}"></script>
//
// It sends a page view on load; the page reports the rest with
//   storeops.track("product_view", {product_id: 42, sku_id: 7});
//   storeops.track("search", {query: "羽绒服"});
//   storeops.track("add_to_cart", {product_id: 42, sku_id: 7});
//   storeops.track("checkout_start");
//   storeops.track("purchase", {order_no: "SO2026001"});
//   storeops.identify(123);   // after login
// Calls made before the script loads wait in window.storeops as arrays:
//   window.storeops = window.storeops || []; storeops.push(["track", "search", {query: "x"}]);
//
// Events go to POST /collect in batches as text/plain JSON (sendBeacon needs
// no CORS preflight for it). The landing page's UTM parameters and outside
// referrer stay with every event of the visit, so a product view three
// clicks later still counts for the channel that brought the visitor.
(function (w, d) {
  "use strict";
  if (w.storeops && w.storeops.track) return; // pasted twice

  var script = d.currentScript || (function () {
    var s = d.querySelectorAll("script[src*='track.js']");
    return s[s.length - 1];
  })();
  var data = (script && script.dataset) || {};
  var endpoint = data.endpoint || (script ? new URL("/collect", script.src).href : "/collect");
  var SESSION_GAP = 30 * 60 * 1000; // a visit ends after 30 minutes without events
  var MAX_BATCH = 20;

  function rid() {
    if (w.crypto && w.crypto.getRandomValues) {
      var b = new Uint8Array(16);
      w.crypto.getRandomValues(b);
      return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // Storage may be off (private mode, sandboxed frames): fall back to memory.
  var mem = {};
  function store(kind) {
    try {
      var s = w[kind];
      s.setItem("storeops.t", "1");
      s.removeItem("storeops.t");
      return s;
    } catch (e) {
      return { getItem: function (k) { return mem[kind + k] || null; }, setItem: function (k, v) { mem[kind + k] = String(v); } };
    }
  }
  var local = store("localStorage");
  var session = store("sessionStorage");

  function anonymousId() {
    var id = local.getItem("storeops.aid");
    if (!id) {
      id = rid();
      local.setItem("storeops.aid", id);
    }
    return id;
  }

  // The attribute, when the page has it, is the truth (empty after logout on
  // a shared device); otherwise the last identify() on this browser.
  var customerId = local.getItem("storeops.cid") || "";
  if ("customerId" in data) {
    customerId = data.customerId;
    local.setItem("storeops.cid", customerId);
  }

  function sessionId(now) {
    var id = session.getItem("storeops.sid");
    var last = +(session.getItem("storeops.last") || 0);
    if (!id || now - last > SESSION_GAP) {
      id = rid();
      session.setItem("storeops.sid", id);
    }
    session.setItem("storeops.last", String(now));
    return id;
  }

  // Attribution of the visit: new UTM parameters or a link from another
  // site replace it; navigation inside the shop keeps it.
  function attribution() {
    var q = new URLSearchParams(w.location.search);
    var ref = d.referrer;
    var outside = "";
    try {
      if (ref && new URL(ref).host !== w.location.host) outside = ref;
    } catch (e) { /* not a URL */ }
    var a;
    try { a = JSON.parse(session.getItem("storeops.src") || "null"); } catch (e) { a = null; }
    if (q.get("utm_source") || q.get("utm_medium") || outside || !a) {
      a = {
        utm_source: q.get("utm_source") || "",
        utm_medium: q.get("utm_medium") || "",
        utm_campaign: q.get("utm_campaign") || "",
        referrer: outside
      };
      session.setItem("storeops.src", JSON.stringify(a));
    }
    return a;
  }
  var source = attribution();

  var queue = [];
  var timer = null;

  function send(batch) {
    var body = JSON.stringify({ events: batch });
    if (w.navigator.sendBeacon && w.navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" }))) return;
    if (w.fetch) {
      w.fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "omit", headers: { "Content-Type": "text/plain" } })
        .catch(function () { /* traffic figures are best effort */ });
    }
  }

  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    while (queue.length) send(queue.splice(0, MAX_BATCH));
  }

  function track(type, props) {
    var now = Date.now();
    var e = {
      id: rid(),
      type: type,
      at: now,
      anonymous_id: anonymousId(),
      customer_id: customerId,
      session_id: sessionId(now),
      page: w.location.href,
      referrer: source.referrer,
      utm_source: source.utm_source,
      utm_medium: source.utm_medium,
      utm_campaign: source.utm_campaign
    };
    if (props) for (var k in props) if (Object.prototype.hasOwnProperty.call(props, k)) e[k] = props[k];
    queue.push(e);
    if (queue.length >= MAX_BATCH) flush();
    else if (!timer) timer = setTimeout(flush, 1000);
  }

  function identify(id) {
    customerId = id ? String(id) : "";
    local.setItem("storeops.cid", customerId);
  }

  // The page may be closed at any time: send what waits while it still can.
  d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") flush(); });
  w.addEventListener("pagehide", flush);

  var early = Array.isArray(w.storeops) ? w.storeops : [];
  var api = { track: track, identify: identify, flush: flush };
  api.push = function (call) { api[call[0]].apply(null, call.slice(1)); };
  w.storeops = api;
  for (var i = 0; i < early.length; i++) api.push(early[i]);
  if (data.auto !== "false") track("page_view");
})(window, document);
