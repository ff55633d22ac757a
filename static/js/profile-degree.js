// The learner profile: show the "equivalent to an MD or DO" attestation only while an international
// medical degree is chosen. Without JavaScript the attestation is always shown and the server
// checks it (accounts/forms.py). A file, not an inline script, so the CSP needs no 'unsafe-inline'.
(function () {
  "use strict";

  var select = document.getElementById("id_degree");
  var box = document.getElementById("degree-equivalence");
  if (!select || !box) {
    return;
  }
  var degrees = (select.getAttribute("data-equivalence-degrees") || "").split("|");

  function update() {
    // An error on the attestation stays visible whatever is chosen.
    var relevant = degrees.indexOf(select.value) !== -1 || box.querySelector(".error") !== null;
    box.hidden = !relevant;
  }

  select.addEventListener("change", update);
  update();
})();
