// The review page's diagram viewer: pan (drag), zoom (wheel, around the
// pointer), a fit button, a loop picker that highlights one loop's flows, and,
// when `loopdsl serve` sent the page, updates in place after every save
// (keeping zoom and scroll). No network but the page's own server.
(function () {
  "use strict";
  var view = { scale: 1, x: 0, y: 0 };
  var drag = null;  // where the pointer was while the diagram is dragged

  // Once per page: the diagram's box is replaced after a save, the window is not.
  window.addEventListener("mouseup", function () { drag = null; });
  window.addEventListener("mousemove", function (e) {
    if (!drag) { return; }
    view.x += e.clientX - drag.x; view.y += e.clientY - drag.y;
    drag = { x: e.clientX, y: e.clientY };
    apply();
    remember();
  });

  function svg() { return document.querySelector("#diagram svg"); }

  function apply() {
    // On the svg element itself: Graphviz's top group has a transform attribute of
    // its own (it moves the drawing into view), which a CSS transform would replace.
    var s = svg();
    if (!s) { return; }
    s.setAttribute("data-loopdsl-view", view.scale + "," + view.x + "," + view.y);
    s.style.transformOrigin = "0 0";
    s.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.scale + ")";
  }

  // The view and the picked loop live in the address's fragment, so a reload
  // or a shared link shows the same picture: #view=SCALE,X,Y&loop=loop-N.
  function remember() {
    if (!window.history || !history.replaceState) { return; }
    var picker = document.getElementById("loop-picker");
    var hash = "#view=" + view.scale + "," + view.x + "," + view.y;
    if (picker && picker.value) { hash += "&loop=" + picker.value; }
    try { history.replaceState(null, "", hash); } catch (e) { /* a sandboxed page */ }
  }

  function recall() {
    var v = /view=(-?[\d.]+),(-?[\d.]+),(-?[\d.]+)/.exec(location.hash);
    if (v) { view = { scale: +v[1] || 1, x: +v[2], y: +v[3] }; }
    var l = /loop=(loop-\d+)/.exec(location.hash);
    var picker = document.getElementById("loop-picker");
    if (l && picker) { picker.value = l[1]; }
  }

  function fit() { view = { scale: 1, x: 0, y: 0 }; apply(); size(); remember(); }

  // A wide design shrunk to the page's width has text too small to read; it
  // opens at the smallest scale Graphviz's 11 pt text reads at (about 10 px)
  // instead, in a box as tall as the screen allows; Fit shows it whole.
  var READABLE = 0.7;

  // The svg's size as the page lays it out, before the view's transform.
  function laid(s) {
    var r = s.getBoundingClientRect();
    return { width: r.width / view.scale, height: r.height / view.scale };
  }

  function readable() {
    var s = svg();
    var box = s && s.viewBox && s.viewBox.baseVal;
    if (!box || !box.width || !laid(s).width) { return 1; }
    var shown = laid(s).width / (box.width * 4 / 3);  // px per Graphviz px at scale 1
    return shown < READABLE ? READABLE / shown : 1;
  }

  function size() {
    var s = svg(), box = document.getElementById("diagram");
    if (!s || !box) { return; }
    box.style.height = view.scale > 1
      ? Math.min(window.innerHeight * 0.8, laid(s).height * view.scale + 16) + "px" : "";
  }

  function highlight(loop) {
    var s = svg();
    if (!s) { return; }
    s.querySelectorAll("g.edge").forEach(function (edge) {
      var on = !loop || edge.classList.contains(loop);
      edge.style.opacity = on ? "1" : "0.15";
    });
  }

  function wire() {
    var box = document.getElementById("diagram");
    if (!box || box.getAttribute("data-wired")) { return; }
    box.setAttribute("data-wired", "1");
    box.addEventListener("wheel", function (e) {
      e.preventDefault();
      var rect = box.getBoundingClientRect();
      var px = e.clientX - rect.left, py = e.clientY - rect.top;
      var k = e.deltaY < 0 ? 1.2 : 1 / 1.2;
      view.x = px - (px - view.x) * k;
      view.y = py - (py - view.y) * k;
      view.scale *= k;
      apply();
      remember();
    }, { passive: false });
    box.addEventListener("mousedown", function (e) { drag = { x: e.clientX, y: e.clientY }; });
    var button = document.getElementById("fit");
    if (button) { button.addEventListener("click", fit); }
    var picker = document.getElementById("loop-picker");
    if (picker) {
      picker.addEventListener("change", function () { highlight(picker.value); remember(); });
      highlight(picker.value);
    }
    apply();
    size();
  }

  function live() {
    var meta = document.querySelector('meta[name="loopdsl-version"]');
    if (!meta || location.protocol.indexOf("http") !== 0) { return; }
    var version = meta.getAttribute("content");
    function poll() {
      fetch("/state?since=" + encodeURIComponent(version), { cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (state) {
          if (state.version !== version) {
            version = state.version;
            var picked = (document.getElementById("loop-picker") || {}).value;
            var scroll = window.scrollY;
            document.getElementById("review").innerHTML = state.html;
            var picker = document.getElementById("loop-picker");
            if (picker && picked) { picker.value = picked; }
            wire();
            window.scrollTo(0, scroll);
            document.body.setAttribute("data-loopdsl-version", version);
          }
        })
        .catch(function () { /* the server is restarting: try again */ })
        .finally(function () { setTimeout(poll, 300); });
    }
    poll();
  }

  var recalled = /view=/.test(location.hash);
  if (recalled || /loop=/.test(location.hash)) { recall(); }
  if (!recalled) { view.scale = readable(); }
  wire();
  live();
}());
