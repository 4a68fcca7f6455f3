/* compare.html of a papers audit: a reader ticks 2 to 5 models and sees their profiles side by side
   (one chart with 95% intervals, drawn with Observable Plot) and, for each pair, the differences
   `papers compare` prints. The choice lives in the address (#models=...&group=...), so a link can
   be shared. Everything comes from the page itself: no request leaves it. Text from data is only
   ever set as text (textContent), never as markup. */
(function () {
  "use strict";
  var MIN = 2, MAX = 5;
  var data = JSON.parse(document.getElementById("papers-data").textContent);
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=model]"));
  var group = document.getElementById("group");
  var status = document.getElementById("status");
  var chart = document.getElementById("chart");
  var pairs = document.getElementById("pairs");
  var bySlug = {};
  data.models.forEach(function (m) { bySlug[m.slug] = m; });

  function chosen() {
    return boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
  }

  function currentGroup() {
    return data.groups.filter(function (g) { return g.key === group.value; })[0] || data.groups[0];
  }

  function readAddress() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var wanted = (params.get("models") || "").split(",").filter(function (s) { return bySlug[s]; }).slice(0, MAX);
    if (wanted.length) {
      boxes.forEach(function (b) { b.checked = wanted.indexOf(b.value) >= 0; });
    }
    var key = params.get("group");
    if (key && data.groups.some(function (g) { return g.key === key; })) { group.value = key; }
  }

  function writeAddress() {
    var hash = "#models=" + chosen().join(",") + "&group=" + encodeURIComponent(group.value);
    if (window.location.hash === hash) { return; }
    try {
      window.history.replaceState(null, "", hash);
    } catch (e) {
      window.location.hash = hash;  // some browsers refuse replaceState on a file:// page
    }
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function drawChart(slugs, g) {
    chart.textContent = "";
    var rows = [];
    slugs.forEach(function (slug) {
      var profile = (data.profiles[slug] || {})[g.key] || [];
      g.dims.forEach(function (d, j) {
        var cell = profile[j];
        if (cell) {
          rows.push({model: bySlug[slug].model, slug: slug, dim: d.name, mean: cell[0], lo: cell[1], hi: cell[2]});
        }
      });
    });
    if (!rows.length) {
      chart.appendChild(element("p", "None of these models answered this condition and task."));
      return;
    }
    var width = Math.max(300, Math.min(chart.clientWidth || 640, 900));
    var longest = Math.max.apply(null, g.dims.map(function (d) { return d.name.length; }));
    var left = Math.min(Math.round(width * 0.42), 12 + longest * 6.6);
    var step = Math.min(7, 26 / slugs.length);
    var marks = [Plot.gridX({stroke: "#e6e6e6"})];
    slugs.forEach(function (slug, i) {
      var mine = rows.filter(function (r) { return r.slug === slug; });
      var dy = (i - (slugs.length - 1) / 2) * step;
      var lines = mine.filter(function (r) { return r.lo !== null && r.hi !== null; });
      marks.push(Plot.ruleY(lines, {y: "dim", x1: "lo", x2: "hi", stroke: "model", strokeWidth: 2, dy: dy}));
      marks.push(Plot.dot(mine, {
        y: "dim", x: "mean", fill: "model", r: 3.5, dy: dy,
        title: function (r) {
          return r.model + "\n" + r.dim + ": " + r.mean.toFixed(2) +
            (r.lo !== null && r.hi !== null ? " [" + r.lo.toFixed(2) + ", " + r.hi.toFixed(2) + "]" : "");
        }
      }));
    });
    var figure = Plot.plot({
      width: width, height: 46 + 34 * g.dims.length, marginLeft: left, marginRight: 14,
      style: {fontSize: "11px"},
      ariaLabel: "Profiles of " + slugs.map(function (s) { return bySlug[s].model; }).join(", ") + ": " + g.label,
      ariaDescription: "Mean per dimension with its 95% interval, one colour per model.",
      x: {label: g.axis, domain: g.domain, reverse: g.reverse, grid: false},
      y: {domain: g.dims.map(function (d) { return d.name; }), label: null},
      color: {legend: true, domain: slugs.map(function (s) { return bySlug[s].model; })},
      marks: marks
    });
    chart.appendChild(figure);
  }

  function pairTable(a, b, rows, g) {
    var section = element("section", null, "pair");
    var ma = bySlug[a].model, mb = bySlug[b].model;
    section.appendChild(element("h3", ma + " against " + mb));
    if (!rows) {
      section.appendChild(element("p", data.pairs_note || "No comparison for this pair."));
      return section;
    }
    section.appendChild(element("p", "Means: " + g.what + " of " + ma + " / " + mb + ". r (rank-biserial) is " +
      "positive where " + ma + " gives the dimension the higher priority; p adjusted by Holm across the dimensions.",
      "note"));
    var box = element("div", null, "table-scroll");
    var table = element("table");
    var head = element("thead");
    var tr = element("tr");
    ["Dimension", "Higher priority", "Means", "r [95% CI]", "p (Holm)"].forEach(function (h) {
      tr.appendChild(element("th", h));
    });
    head.appendChild(tr);
    table.appendChild(head);
    var body = element("tbody");
    rows.forEach(function (r) {
      var row = element("tr");
      [r.name, r.higher, r.mean_a + " / " + r.mean_b, r.r, r.p].forEach(function (v) {
        row.appendChild(element("td", v));
      });
      body.appendChild(row);
    });
    table.appendChild(body);
    box.appendChild(table);
    section.appendChild(box);
    return section;
  }

  function drawPairs(slugs, g) {
    pairs.textContent = "";
    var order = data.models.map(function (m) { return m.slug; });
    var sorted = slugs.slice().sort(function (x, y) { return order.indexOf(x) - order.indexOf(y); });
    for (var i = 0; i < sorted.length; i++) {
      for (var j = i + 1; j < sorted.length; j++) {
        var entry = data.pairs[sorted[i] + " " + sorted[j]];
        pairs.appendChild(pairTable(sorted[i], sorted[j], entry ? entry[g.key] : null, g));
      }
    }
  }

  function render() {
    var slugs = chosen();
    boxes.forEach(function (b) { b.disabled = !b.checked && slugs.length >= MAX; });
    var g = currentGroup();
    if (slugs.length < MIN) {
      status.textContent = "Tick at least " + MIN + " models to compare (" + slugs.length + " ticked).";
      chart.textContent = "";
      pairs.textContent = "";
    } else {
      status.textContent = "Comparing " + slugs.length + " models (" + slugs.map(function (s) {
        return bySlug[s].model; }).join(", ") + "), " + g.label + (slugs.length >= MAX ? "; at most " + MAX +
        " at once: untick one to choose another." : ".");
      drawChart(slugs, g);
      drawPairs(slugs, g);
    }
    writeAddress();
  }

  readAddress();
  boxes.forEach(function (b) { b.addEventListener("change", render); });
  group.addEventListener("change", render);
  window.addEventListener("hashchange", function () { readAddress(); render(); });
  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(render, 150);
  });
  document.getElementById("noscript-note").hidden = true;
  render();
}());
