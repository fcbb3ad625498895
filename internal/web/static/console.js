// storeops console: draws every [data-chart] element with ECharts. The data
// sits in the <script type="application/json"> block the element names, so
// the page needs no inline script. Runs on load and after every htmx swap.
(function () {
  "use strict";

  var charts = [];

  function formatter(cfg) {
    var scale = cfg.scale || 1;
    if (cfg.currency) {
      var nf = new Intl.NumberFormat(cfg.lang === "en" ? "en" : "zh-CN", {
        style: "currency", currency: cfg.currency, maximumFractionDigits: 2
      });
      return function (v) { return nf.format(v / scale); };
    }
    var n = new Intl.NumberFormat(cfg.lang === "en" ? "en" : "zh-CN");
    return function (v) { return n.format(v / scale); };
  }

  function draw(el) {
    if (el.getAttribute("data-rendered") === "true" || typeof echarts === "undefined") {
      return;
    }
    var src = document.getElementById(el.getAttribute("data-chart"));
    if (!src) {
      return;
    }
    var cfg;
    try {
      cfg = JSON.parse(src.textContent);
    } catch (e) {
      return;
    }
    var scale = cfg.scale || 1;
    var fmt = formatter(cfg);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    // Several series need a legend to tell them apart; category labels
    // that would overlap (segment names) are tilted instead of dropped.
    var many = (cfg.series || []).length > 1;
    chart.setOption({
      animation: false,
      legend: many ? { top: 0, type: "scroll" } : undefined,
      grid: { left: 8, right: 28, top: many ? 36 : 24, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return fmt(v * scale); }
      },
      xAxis: {
        type: "category", data: cfg.x, boundaryGap: cfg.kind === "bar",
        axisLabel: cfg.kind === "bar" && cfg.x.length <= 16 ? { interval: 0, rotate: 30 } : {}
      },
      yAxis: {
        type: "value",
        minInterval: scale === 1 ? 1 : 0,
        axisLabel: { formatter: function (v) { return fmt(v * scale); } }
      },
      series: (cfg.series || []).map(function (s) {
        return {
          name: s.name,
          type: cfg.kind === "bar" ? "bar" : "line",
          showSymbol: cfg.x.length <= 31,
          areaStyle: cfg.kind === "bar" ? undefined : { opacity: 0.12 },
          data: s.data.map(function (v) { return v / scale; })
        };
      })
    });
    charts.push(chart);
    el.setAttribute("data-rendered", "true");
  }

  function drawAll(root) {
    root = root || document;
    if (root.matches && root.matches("[data-chart]")) {
      draw(root);
    }
    var els = root.querySelectorAll ? root.querySelectorAll("[data-chart]") : [];
    for (var i = 0; i < els.length; i++) {
      draw(els[i]);
    }
  }

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  ready(function () { drawAll(document); });
  // htmx:load fires for every element htmx adds to the page.
  document.addEventListener("htmx:load", function (e) { drawAll(e.target); });
  window.addEventListener("resize", function () {
    charts = charts.filter(function (c) { return !c.isDisposed() && document.body.contains(c.getDom()); });
    charts.forEach(function (c) { c.resize(); });
  });
})();
