// The embeddable player (templates/episodes/embed.html): chapter buttons seek the audio and the
// chapter being heard is marked. No inline script: the site's CSP allows scripts from itself only.
(function () {
  "use strict";

  var player = document.getElementById("embed-player");
  if (!player) {
    return;
  }
  var buttons = Array.prototype.slice.call(document.querySelectorAll(".embed-chapters [data-seek]"));

  function seek(seconds) {
    var start = function () {
      player.currentTime = seconds;
    };
    if (player.readyState >= 1) {
      start();
    } else {
      player.addEventListener("loadedmetadata", start, { once: true });
    }
    var playing = player.play();
    if (playing && playing.catch) {
      playing.catch(function () { /* autoplay refused: the position is still set */ });
    }
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var seconds = parseFloat(button.getAttribute("data-seek"));
      if (isFinite(seconds) && seconds >= 0) {
        seek(seconds);
      }
    });
  });

  if (buttons.length) {
    player.addEventListener("timeupdate", function () {
      var current = null;
      buttons.forEach(function (button) {
        if (parseFloat(button.getAttribute("data-seek")) <= player.currentTime) {
          current = button;
        }
      });
      buttons.forEach(function (button) {
        if (button === current) {
          button.setAttribute("aria-current", "true");
        } else {
          button.removeAttribute("aria-current");
        }
      });
    });
  }
})();
