// A table wider than the screen scrolls inside its .table-wrap: make that box reachable by keyboard
// (tab to it, then arrow keys scroll it) and name it after its table, only while it does scroll.
(function () {
  "use strict";

  function label(wrap) {
    var table = wrap.querySelector("table");
    var caption = table && table.querySelector("caption");
    if (caption) { return caption.textContent.trim(); }
    var named = table && table.getAttribute("aria-labelledby");
    var byId = named && document.getElementById(named);
    if (byId) { return byId.textContent.trim(); }
    for (var el = wrap.previousElementSibling; el; el = el.previousElementSibling) {
      if (/^H[1-6]$/.test(el.tagName)) { return el.textContent.trim(); }
    }
    return document.title.split(" · ")[0];
  }

  function update() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "group");
        wrap.setAttribute("aria-label", label(wrap) || "Table");
      } else if (wrap.getAttribute("role") === "group") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }

  update();
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(update, 150);
  });
})();
