// The console's progressive enhancement. Every page reads without it.
// While a page shows something running (<main data-live>), its main part is
// fetched again every second and swapped in, until nothing runs any more.
(function () {
  "use strict";
  var PERIOD_MS = 1000;

  function live() {
    var main = document.querySelector("main");
    return main && main.hasAttribute("data-live");
  }

  function poll() {
    if (!live()) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // Signed out (a reset, an expired session): stop following.
        if (!response.ok || response.redirected) return null;
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var current = document.querySelector("main");
        if (fresh && current) current.replaceWith(fresh);
        if (live()) window.setTimeout(poll, PERIOD_MS);
      })
      .catch(function () {
        window.setTimeout(poll, PERIOD_MS * 3);
      });
  }

  // A form is sent once: its button waits for the answer.
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("button[type=submit]");
    if (button) window.setTimeout(function () { button.disabled = true; }, 0);
  });

  if (live()) window.setTimeout(poll, PERIOD_MS);
})();
