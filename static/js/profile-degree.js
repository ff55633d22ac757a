// The learner profile and the claim page: show the "equivalent to an MD or DO" attestation only
// while an international medical degree is chosen, the typed degree name only for Other and other
// international degrees, and (on the claim page) the list of further degrees only after "Another
// degree". Without JavaScript everything is shown and the server checks it (accounts/forms.py). A
// file, not an inline script, so the CSP needs no 'unsafe-inline'.
(function () {
  "use strict";

  var select = document.querySelector("select#id_degree"); // the profile page's list
  var more = document.getElementById("id_degree_more"); // the claim page's further degrees
  var radios = document.querySelectorAll('input[type="radio"][name="degree"]');
  var box = document.getElementById("degree-equivalence");
  var moreBox = document.getElementById("degree-more");
  var otherBox = document.getElementById("degree-other-box");
  var source = select || more;
  if (!box || !source) {
    return;
  }
  var degrees = (source.getAttribute("data-equivalence-degrees") || "").split("|");
  var named = ["Other", "OtherMed"];

  function tapped() {
    for (var i = 0; i < radios.length; i += 1) {
      if (radios[i].checked) {
        return radios[i].value;
      }
    }
    return "";
  }

  function chosen() {
    if (select) {
      return select.value;
    }
    var value = tapped();
    return value === "another" ? more.value : value;
  }

  function keep(element) {
    // An element showing an error stays visible whatever is chosen.
    return element.querySelector(".error") !== null;
  }

  function update() {
    var degree = chosen();
    box.hidden = !(degrees.indexOf(degree) !== -1 || keep(box));
    if (moreBox) {
      moreBox.hidden = !(tapped() === "another" || keep(moreBox));
    }
    if (otherBox) {
      otherBox.hidden = !(named.indexOf(degree) !== -1 || keep(otherBox));
    }
  }

  document.addEventListener("change", update);
  update();
})();
