// The payment page while Stripe confirms: ask for the order's status every 1.5 s and reload once it
// is decided (the page's meta refresh is the fallback without JavaScript). A file, not an inline
// script, so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  "use strict";

  var box = document.getElementById("order-status");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-status-url");

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.done) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  window.setTimeout(poll, 1500);
})();
