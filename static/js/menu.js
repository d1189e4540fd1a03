// The main menu: the link to the current page is marked (aria-current), and on small
// screens the menu folds behind its "Menu" button. Loaded from the site itself: the
// Content-Security-Policy allows no inline script. Without script the menu stays open.
(function () {
  "use strict";
  var header = document.querySelector("header.top");
  var menu = document.getElementById("main-menu");
  if (!header || !menu) { return; }

  // The current page: the menu link whose path is the longest prefix of this page's path
  // (a catalog's page belongs to "Catalogs"); "/" only on the home page itself.
  var here = window.location.pathname;
  var best = null;
  var bestLength = -1;
  menu.querySelectorAll("a[href]").forEach(function (link) {
    var path = new URL(link.href, window.location.href).pathname;
    var matches = path === "/" ? here === "/" : here.indexOf(path) === 0;
    if (matches && path.length > bestLength) { best = link; bestLength = path.length; }
  });
  if (best) { best.setAttribute("aria-current", "page"); }

  var toggle = header.querySelector(".menu-toggle");
  if (!toggle) { return; }
  toggle.hidden = false;
  header.classList.add("collapsible");
  toggle.addEventListener("click", function () {
    var open = header.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
