// The portal's shared script (beside menu.js, select-all.js and code-editor.js), loaded from
// the site itself: the Content-Security-Policy allows no inline script (no <script> blocks,
// no on* attributes, no javascript: URLs).
(function () {
  "use strict";

  // The language switcher submits its form as soon as another language is chosen.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // "Back" links go back in the browser's history; without script they lead to their href.
  document.querySelectorAll("a[data-history-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });

  // While a job is queued or running, its live part is fetched again every 2 s, until the
  // fetched part says the job has finished.
  var box = document.querySelector("[data-live-src]");
  if (box) {
    var timer = setInterval(function () {
      fetch(box.dataset.liveSrc, {credentials: "same-origin", cache: "no-store"})
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.text();
        })
        .then(function (html) {
          box.innerHTML = html;
          var state = box.querySelector("[data-finished]");
          if (state && state.dataset.finished === "yes") { clearInterval(timer); }
        })
        .catch(function () { clearInterval(timer); });
    }, 2000);
  }
})();
