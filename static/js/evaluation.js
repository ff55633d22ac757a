// The evaluation (its own page and the claim page): "What will you change?" only after "Yes" to the
// intent to change. Without JavaScript it is always shown and the server asks for it after Yes
// (credits/forms.py). A file, not an inline script, so the CSP needs no 'unsafe-inline'.
(function () {
  "use strict";

  var box = document.getElementById("change-box");
  if (!box) {
    return;
  }

  function update() {
    var yes = document.querySelector('input[name="intends_change"][value="yes"]');
    // An error on the field keeps it visible whatever is chosen.
    box.hidden = !((yes && yes.checked) || box.querySelector(".error") !== null);
  }

  document.addEventListener("change", update);
  update();
})();
