/* Host pages, progressive enhancement: an upload form sent with XMLHttpRequest and a visible
   progress bar (without JavaScript the form posts normally), and "copy" buttons for the feed URL. */
(function () {
  "use strict";

  function samePath(a, b) {
    return new URL(a, window.location.href).pathname === new URL(b, window.location.href).pathname;
  }

  function selectedBytes(form) {
    var total = 0;
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { total += file.size; });
    });
    return total;
  }

  /* Show the page the server answered (form errors, or the "too large" page) in place of ours. */
  function showResponse(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var main = document.querySelector("main");
    if (!fresh || !main) {
      document.open();
      document.write(html);
      document.close();
      return;
    }
    main.innerHTML = fresh.innerHTML;
    if (doc.title) { document.title = doc.title; }
    init(main);
    var firstError = main.querySelector('[role="alert"]');
    main.focus();
    if (firstError) { firstError.scrollIntoView({block: "center"}); }
  }

  /* Take away the errors of the previous try (a field's, or the whole form's) so they do not stay
     on screen while a corrected file uploads; the server's answer brings back any that still hold. */
  function clearErrors(root) {
    root.querySelectorAll('.error[role="alert"], .form-errors[role="alert"]').forEach(function (el) {
      el.parentNode.removeChild(el);
    });
    root.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    root.querySelectorAll('[aria-invalid="true"]').forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function enhanceUpload(form) {
    if (form.dataset.uploadReady) { return; }
    form.dataset.uploadReady = "1";
    var box = form.querySelector("[data-upload-progress]");
    var bar = box && box.querySelector("progress");
    var text = box && box.querySelector("[data-upload-progress-text]");
    var status = box && box.querySelector("[data-upload-status]");
    if (!box || !bar || !text || !window.FormData || !window.XMLHttpRequest) { return; }

    // A new file chosen for a field: that field's old error no longer applies.
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      input.addEventListener("change", function () {
        var field = input.closest(".field");
        if (field) { clearErrors(field); }
      });
    });

    function setProgress(fraction) {
      var percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
      bar.max = 100;
      bar.value = percent;
      bar.textContent = percent + "%";
      text.textContent = percent + "%";
    }

    form.addEventListener("submit", function (event) {
      var limit = parseInt(form.dataset.maxBytes || "0", 10);
      box.hidden = false;
      if (limit && selectedBytes(form) > limit) {
        event.preventDefault();
        status.textContent = form.dataset.tooLargeMessage || "";
        return;
      }
      event.preventDefault();
      clearErrors(form);
      var data = new FormData(form);
      if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
      var buttons = form.querySelectorAll('button[type="submit"]');
      buttons.forEach(function (button) { button.disabled = true; });
      status.textContent = "";
      setProgress(0);

      var action = form.getAttribute("action") || window.location.href;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", action);
      xhr.setRequestHeader("X-Upload-Progress", "1");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && e.total) { setProgress(e.loaded / e.total); }
      });
      xhr.upload.addEventListener("load", function () {
        setProgress(1);
        status.textContent = form.dataset.processingMessage || "";
      });
      xhr.addEventListener("load", function () {
        // Success: the server names the page to go to (a plain form post gets a redirect).
        if ((xhr.getResponseHeader("Content-Type") || "").indexOf("application/json") === 0) {
          try {
            var answer = JSON.parse(xhr.responseText);
            if (answer.redirect) { window.location.assign(answer.redirect); return; }
          } catch (ignore) { /* not our answer: show it as a page below */ }
        }
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL && !samePath(xhr.responseURL, action)) {
          window.location.assign(xhr.responseURL);
          return;
        }
        showResponse(xhr.responseText);
      });
      xhr.addEventListener("error", function () {
        buttons.forEach(function (button) { button.disabled = false; });
        status.textContent = form.dataset.failedMessage || "";
      });
      xhr.send(data);
    });
  }

  function enhanceCopy(button) {
    var target = document.querySelector(button.dataset.copy);
    var status = button.parentNode.querySelector("[data-copy-status]");
    if (!target) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      target.select();
      var done = function () { if (status) { status.textContent = button.dataset.copied || "Copied."; } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(target.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  }

  function init(root) {
    root.querySelectorAll("form[data-upload-form]").forEach(enhanceUpload);
    root.querySelectorAll("button[data-copy]").forEach(enhanceCopy);
  }

  init(document);
})();
