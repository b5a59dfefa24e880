// scalesim report: turns the chart specs (JSON above) into uPlot charts.
// Findings are shaded episodes and scaling decisions are markers, both as
// elements over the plot so that hovering one shows its sentence; each
// chart records what it drew in data-* attributes (series, points, bands,
// markers) for a headless browser to check.
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (e) {
    errors.push(String(e.message));
    document.body.setAttribute("data-errors", errors.join(" | "));
  });

  var specs = JSON.parse(document.getElementById("scalesim-charts").textContent);
  var timeCharts = [];
  var syncing = false;

  function clock(s) {
    if (s == null) return "—";
    var neg = s < 0 ? "-" : "";
    s = Math.abs(Math.round(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = (h > 0 && m < 10 ? "0" : "") + m, ss = (sec < 10 ? "0" : "") + sec;
    return neg + (h > 0 ? h + ":" : "") + mm + ":" + ss;
  }

  function fmt(unit, v) {
    if (v == null || isNaN(v)) return "—";
    switch (unit) {
      case "count": return Math.abs(v % 1) > 1e-9 ? v.toFixed(1) : v.toFixed(0);
      case "rps": return (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)) + "/s";
      case "ms": return (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1)) + " ms";
      case "ratio": return (v * 100).toFixed(1) + "%";
      case "money": return v.toFixed(3);
      default: return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
    }
  }

  // Direction changes of a stepwise series (up after down or down after up).
  function reversals(values) {
    var dir = 0, n = 0, last = null;
    values.forEach(function (v) {
      if (v == null) return;
      if (last != null && v !== last) {
        var d = v > last ? 1 : -1;
        if (dir !== 0 && d !== dir) n++;
        dir = d;
      }
      last = v;
    });
    return n;
  }

  function overlays(u, spec) {
    var old = u.over.querySelectorAll(".sc-overlay");
    for (var i = 0; i < old.length; i++) old[i].remove();
    var w = u.over.clientWidth, h = u.over.clientHeight;
    spec.bands.forEach(function (b) {
      var l = Math.max(0, u.valToPos(b.from, "x")), r = Math.min(w, u.valToPos(b.to, "x"));
      if (!(r > l - 1)) return;
      var d = document.createElement("div");
      d.className = "sc-overlay episode";
      d.setAttribute("data-kind", b.kind);
      d.title = b.text;
      d.style.left = l + "px";
      d.style.width = Math.max(2, r - l) + "px";
      d.style.background = b.color;
      u.over.appendChild(d);
    });
    spec.markers.forEach(function (m) {
      var x = u.valToPos(m.x, "x"), y = u.valToPos(m.y, "y");
      if (x < 0 || x > w || y < 0 || y > h) return;
      var d = document.createElement("div");
      d.className = "sc-overlay decision";
      d.title = m.text;
      d.style.left = x + "px";
      d.style.top = y + "px";
      d.style.borderColor = m.color;
      u.over.appendChild(d);
    });
  }

  function note(u, spec, tip) {
    var i = u.cursor.idx;
    if (i == null || !spec.notes[i] || u.cursor.left < 0) {
      tip.style.display = "none";
      return;
    }
    tip.textContent = spec.notes[i];
    tip.style.display = "block";
    tip.style.left = Math.min(u.cursor.left + 12, u.over.clientWidth - 320) + "px";
    tip.style.top = Math.max(0, u.cursor.top - 20) + "px";
  }

  function draw(spec) {
    var el = document.getElementById(spec.id);
    var time = spec.axis === "time";
    var cap = document.createElement("figcaption");
    cap.textContent = spec.title;
    el.appendChild(cap);
    var series = [{
      label: time ? "time" : "cost",
      value: function (u, v) { return time ? clock(v) : fmt("plain", v); }
    }];
    spec.series.forEach(function (s) {
      var o = {
        label: s.label,
        stroke: s.color,
        width: 1.5,
        value: function (u, v) { return fmt(spec.unit, v); }
      };
      if (s.dash) o.dash = s.dash;
      if (s.points) {
        o.paths = function () { return null; };
        o.points = { show: true, size: 8, fill: s.color, stroke: s.color };
      } else {
        o.points = { show: false };
        o.spanGaps = !time;
      }
      series.push(o);
    });
    var tip = null;
    var opts = {
      width: Math.max(600, el.clientWidth - 4),
      height: time ? 230 : 380,
      series: series,
      scales: {
        x: { time: false },
        y: {
          range: function (u, min, max) {
            if (min == null) return [0, 1];
            if (!time) return [Math.max(0, min - 0.05), Math.min(1.0, max) + 0.02];
            return [Math.min(0, min), max > 0 ? max * 1.08 : 1];
          }
        }
      },
      axes: [
        {
          stroke: "#8b949e",
          grid: { stroke: "#30363d" },
          ticks: { stroke: "#30363d" },
          label: time ? "simulated time" : "cost (mean over seeds)",
          space: 80,
          values: function (u, vals) { return vals.map(function (v) { return time ? clock(v) : fmt("plain", v); }); }
        },
        {
          stroke: "#8b949e",
          grid: { stroke: "#30363d" },
          ticks: { stroke: "#30363d" },
          size: 70,
          values: function (u, vals) { return vals.map(function (v) { return fmt(spec.unit, v); }); }
        }
      ],
      cursor: time ? { sync: { key: "time" }, drag: { x: true, y: false } } : { drag: { x: true, y: true } },
      hooks: {
        draw: [function (u) {
          overlays(u, spec);
          el.setAttribute("data-bands", String(u.over.querySelectorAll(".episode").length));
          el.setAttribute("data-markers", String(u.over.querySelectorAll(".decision").length));
        }],
        setCursor: [function (u) { if (tip) note(u, spec, tip); }],
        setScale: [function (u, key) {
          if (!time || key !== "x" || syncing) return;
          syncing = true;
          timeCharts.forEach(function (o) {
            if (o !== u) o.setScale("x", { min: u.scales.x.min, max: u.scales.x.max });
          });
          syncing = false;
        }]
      }
    };
    if (time) opts.axes[0].incrs = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    var u = new uPlot(opts, data, el);
    if (spec.notes.length) {
      tip = document.createElement("div");
      tip.className = "sc-tip";
      u.over.appendChild(tip);
    }
    if (time) timeCharts.push(u);
    var points = 0, drawn = 0;
    spec.series.forEach(function (s) {
      var n = s.values.filter(function (v) { return v != null; }).length;
      points += n;
      if (n > 0) drawn++;
    });
    el.setAttribute("data-series", String(drawn));
    el.setAttribute("data-points", String(points));
    var desired = spec.series.filter(function (s) { return s.label.indexOf("desired") === 0; })[0];
    if (desired) el.setAttribute("data-desired-reversals", String(reversals(desired.values)));
    return u;
  }

  var ok = 0;
  specs.forEach(function (spec) {
    draw(spec);
    ok++;
  });
  document.body.setAttribute("data-charts", String(ok));
})();
