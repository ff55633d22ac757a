// Editable lists (credits/forms_rows.py): the "Add row" button of a form marked data-formset="<prefix>"
// adds a blank row in the page, cloned from the formset's empty form in its <template>, and raises
// <prefix>-TOTAL_FORMS. Without this script the same button submits the form and the server answers
// with one more blank row.
(function () {
  "use strict";

  function setUp(form) {
    var prefix = form.getAttribute("data-formset");
    var total = form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var max = form.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var rows = form.querySelector("[data-formset-rows]");
    var template = form.querySelector("template[data-formset-template]");
    var button = form.querySelector("[data-formset-add]");
    if (!total || !rows || !template || !button) return;
    var limit = max ? parseInt(max.value, 10) : NaN;

    function full() {
      return !isNaN(limit) && parseInt(total.value, 10) >= limit;
    }

    function refresh() {
      button.disabled = full();
    }

    button.addEventListener("click", function (event) {
      event.preventDefault();
      if (full()) return;
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__num__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      refresh();
      var added = rows.lastElementChild;
      var first = added && added.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
    refresh();
  }

  document.querySelectorAll("form[data-formset]").forEach(setUp);
})();
