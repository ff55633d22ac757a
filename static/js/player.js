// Episode pages: chapter and transcript links seek the player; the show page's button copies the feed URL.
// Without JavaScript the links still work (media-fragment `#t=` links on the audio file).
(function () {
  "use strict";

  var player = document.getElementById("episode-player");

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

  if (player) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("[data-seek]") : null;
      if (!link) {
        return;
      }
      var seconds = parseFloat(link.getAttribute("data-seek"));
      if (!isFinite(seconds) || seconds < 0) {
        return;
      }
      event.preventDefault();
      seek(seconds);
    });

    // Mark the chapter being heard, for sighted users and screen readers alike.
    var chapterLinks = Array.prototype.slice.call(document.querySelectorAll(".chapters [data-seek]"));
    if (chapterLinks.length) {
      player.addEventListener("timeupdate", function () {
        var now = player.currentTime + 0.25;
        var current = null;
        chapterLinks.forEach(function (link) {
          if (parseFloat(link.getAttribute("data-seek")) <= now) {
            current = link;
          }
        });
        chapterLinks.forEach(function (link) {
          if (link === current) {
            link.setAttribute("aria-current", "true");
          } else {
            link.removeAttribute("aria-current");
          }
        });
      });
    }

    // A shared address such as .../episode/#t=90 starts the player there.
    var match = /(?:^#|&)t=(\d+(?:\.\d+)?)/.exec(window.location.hash);
    if (match) {
      player.addEventListener("loadedmetadata", function () {
        player.currentTime = parseFloat(match[1]);
      }, { once: true });
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-copy-target]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.querySelector("[data-copy-status]");
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () {
        if (status) {
          status.textContent = button.getAttribute("data-copied-text") || "";
        }
      };
      field.focus();
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          document.execCommand("copy");
          done();
        });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();
