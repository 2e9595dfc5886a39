// Sentinella console: charts (Vega-Lite through vega-embed) and the pyramid explorer (Cytoscape.js).
// Each page's data is the JSON twin embedded in <script type="application/json" id="page-data">.
(function () {
  "use strict";

  function pageData() {
    var el = document.getElementById("page-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function chart(id, spec) {
    var el = document.getElementById(id);
    if (!el || typeof vegaEmbed === "undefined") return;
    spec.$schema = "https://vega.github.io/schema/vega-lite/v6.json";
    spec.width = "container";
    vegaEmbed(el, spec, { actions: false, renderer: "svg" }).then(function () {
      el.setAttribute("data-rendered", "yes");
    }).catch(function (error) {
      el.textContent = "chart failed: " + error;
      console.error(error);
    });
  }

  var charts = {
    trends: function (data) {
      if (!data.trends.length) return;
      chart("trends-chart", {
        data: { values: data.trends },
        mark: { type: "line", point: true },
        height: 220,
        encoding: {
          x: { field: "month", type: "temporal", title: "month" },
          y: { field: "count", type: "quantitative", title: "count", scale: { type: "symlog" } },
          color: { field: "series", type: "nominal", title: null },
          tooltip: [{ field: "series" }, { field: "month", type: "temporal", timeUnit: "yearmonth" }, { field: "count" }]
        }
      });
    },
    levels: function (data) {
      var rows = [];
      data.levels.forEach(function (l) {
        rows.push({ level: l.level, kind: "fees paid", amount: Number(l.fees_paid) });
        rows.push({ level: l.level, kind: "received", amount: Number(l.received) });
      });
      chart("levels-chart", {
        data: { values: rows },
        mark: "bar",
        height: 200,
        encoding: {
          x: { field: "level", type: "ordinal" },
          xOffset: { field: "kind" },
          y: { field: "amount", type: "quantitative", title: "amount (" + data.network.currency + ")" },
          color: { field: "kind", type: "nominal", title: null },
          tooltip: [{ field: "level" }, { field: "kind" }, { field: "amount", format: ",.2f" }]
        }
      });
    },
    timeline: function (data) {
      var rows = data.orders.map(function (o) {
        return { order_id: o.order_id, buyer: o.buyer_id, merchant: o.merchant_id, placed_at: o.placed_at,
                 flagged: o.flagged ? "flagged as brushing" : "not flagged",
                 at_ring_merchant: o.merchant_id === data.ring.merchant_id ? "ring's merchant" : "other merchant" };
      });
      chart("timeline-chart", {
        data: { values: rows },
        mark: { type: "point", filled: true },
        height: Math.max(200, 14 * data.members.length),
        encoding: {
          x: { field: "placed_at", type: "temporal", title: "order placed" },
          y: { field: "buyer", type: "nominal", title: "account" },
          color: { field: "flagged", type: "nominal", title: null },
          shape: { field: "at_ring_merchant", type: "nominal", title: null },
          tooltip: [{ field: "order_id" }, { field: "buyer" }, { field: "merchant" },
                    { field: "placed_at", type: "temporal", format: "%Y-%m-%d %H:%M" }, { field: "flagged" }]
        }
      });
    }
  };

  // -- the pyramid explorer ----------------------------------------------------------------------
  function explorer(data) {
    var box = document.getElementById("network-graph");
    if (!box || typeof cytoscape === "undefined") return;
    var base = box.getAttribute("data-children");
    var status = document.getElementById("graph-status");
    var cy = cytoscape({
      container: box,
      elements: [],
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 10, "text-wrap": "wrap",
          "background-color": "#5477a8", "color": "#222", "text-valign": "bottom", "width": 18, "height": 18 } },
        { selector: "node.level", style: { "shape": "round-rectangle", "background-color": "#c7d3e6",
          "width": 90, "height": 28, "text-valign": "center" } },
        { selector: "node.more", style: { "shape": "ellipse", "background-color": "#ddd", "width": 26 } },
        { selector: "node.losing", style: { "background-color": "#b34a3c" } },
        { selector: "edge", style: { "width": 1, "line-color": "#999", "target-arrow-shape": "triangle",
          "target-arrow-color": "#999", "curve-style": "bezier" } }
      ],
      wheelSensitivity: 0.3
    });
    var maxLevel = data.levels.length ? data.levels[data.levels.length - 1].level : 0;
    data.levels.forEach(function (l) {
      cy.add({ group: "nodes", classes: "level",
               data: { id: "L" + l.level, kind: "level", level: l.level, label: "level " + l.level + "\n" + l.members + " members" } });
      if (l.level > 0 && cy.getElementById("L" + (l.level - 1)).length) {
        cy.add({ group: "edges", data: { id: "eL" + l.level, source: "L" + (l.level - 1), target: "L" + l.level } });
      }
    });
    function layout() {
      cy.layout({ name: "breadthfirst", directed: true, spacingFactor: 0.9, animate: false,
                  roots: cy.nodes().roots() }).run();
    }
    layout();

    function load(kind, level, memberId, offset, parentId, onDone) {
      var url = base + "?" + (kind === "level" ? "level=" + level : "member=" + encodeURIComponent(memberId))
        + "&offset=" + offset;
      status.textContent = "loading…";
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (answer) {
          onDone();
          answer.children.forEach(function (c) {
            var id = "m:" + c.member_id;
            if (!cy.getElementById(id).length) {
              cy.add({ group: "nodes", classes: Number(c.net_income) < 0 ? "losing" : "",
                       data: { id: id, kind: "member", member_id: c.member_id, level: c.level, downline: c.downline,
                               label: c.member_id + "\n↓" + c.downline } });
            }
            cy.add({ group: "edges", data: { source: parentId, target: id } });
          });
          if (answer.more > 0) {
            var next = answer.offset + answer.children.length;
            var moreId = parentId + ":more:" + next;
            cy.add({ group: "nodes", classes: "more",
                     data: { id: moreId, kind: "more", of: kind, parent: parentId, level: level,
                             member_id: memberId, offset: next, label: "+" + answer.more + " more" } });
            cy.add({ group: "edges", data: { source: parentId, target: moreId } });
          }
          layout();
          var shown = cy.nodes("[kind = 'member']").length;
          box.setAttribute("data-expanded", String(shown));
          status.textContent = shown + " members shown; click a level or a member to expand it, " +
            "double-click a member to open its page";
        })
        .catch(function (error) { status.textContent = "could not expand: " + error.message; console.error(error); });
    }
    // cytoscape reports two quick taps as a double tap even on two different nodes (a level,
    // then one of its members just shown): only two taps on the same member open its page
    var previousTap = null, lastTap = null;
    cy.on("tap", function (event) {
      previousTap = lastTap;
      lastTap = event.target === cy ? null : event.target.id();
    });
    cy.on("tap", "node", function (event) {
      var node = event.target, d = node.data();
      if (d.kind === "more") {
        load(d.of, d.level, d.member_id, d.offset, d.parent, function () { cy.remove(node); });
      } else if (!d.expanded) {
        load(d.kind, d.level, d.member_id, 0, node.id(), function () { node.data("expanded", true); });
      }
    });
    cy.on("dbltap", "node[kind = 'member']", function (event) {
      if (previousTap !== event.target.id()) return;
      window.location.href = box.getAttribute("data-member-base") + encodeURIComponent(event.target.data("member_id"));
    });
    window.sentinellaGraph = cy;
    status.textContent = (maxLevel + 1) + " levels; click a level to show its members, a member to show its recruits";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var data = pageData();
    if (!data) return;
    var page = document.body.getAttribute("data-page");
    if (page === "dashboard") charts.trends(data);
    if (page === "network") { charts.levels(data); explorer(data); }
    if (page === "ring") charts.timeline(data);
  });
})();
