// Reports what a logged-in learner played in the web player (the audio element's `played` ranges),
// so the claim page can say "you played 34 of 41 minutes". Attestation stays the rule.
(function () {
  "use strict";
  var player = document.getElementById("episode-player");
  if (!player || !player.dataset.progressUrl) {
    return;
  }
  var url = player.dataset.progressUrl;
  var lastSent = "";

  function csrfToken() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function ranges() {
    var out = [];
    for (var i = 0; i < player.played.length; i++) {
      out.push([Math.floor(player.played.start(i)), Math.ceil(player.played.end(i))]);
    }
    return out;
  }

  function report() {
    var body = JSON.stringify({ ranges: ranges() });
    if (body === lastSent || player.played.length === 0) {
      return;
    }
    lastSent = body;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body,
    }).catch(function () { /* offline: the next report carries the same ranges */ });
  }

  player.addEventListener("pause", report);
  player.addEventListener("ended", report);
  window.addEventListener("pagehide", report);
  setInterval(function () {
    if (!player.paused) {
      report();
    }
  }, 30000);
})();
