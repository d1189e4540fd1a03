// The job form's code field as a code editor (CodeMirror 5, served from static/vendor):
// SQL or Python highlighting, following the language chosen. Without script, or if the
// editor did not load, the plain textarea stays. The editor writes back to the textarea
// on every change, so the form posts what is shown.
(function () {
  "use strict";
  if (typeof window.CodeMirror !== "function") { return; }
  var MODES = {sql: "text/x-sql", python: "python"};
  document.querySelectorAll("textarea[data-code-editor]").forEach(function (area) {
    var language = document.querySelector("select[data-code-language='" + area.id + "']");
    var editor = window.CodeMirror.fromTextArea(area, {
      mode: MODES[language ? language.value : "sql"],
      lineNumbers: true,
      indentUnit: 4,
      viewportMargin: Infinity
    });
    editor.on("change", function () { editor.save(); });
    editor.getWrapperElement().setAttribute("data-editor-for", area.id);
    var input = editor.getInputField();
    input.setAttribute("aria-labelledby", area.id + "-label");
    var label = document.querySelector("label[for='" + area.id + "']");
    if (label) {
      label.id = area.id + "-label";
      label.addEventListener("click", function () { editor.focus(); });
    }
    if (language) {
      language.addEventListener("change", function () {
        editor.setOption("mode", MODES[language.value]);
      });
    }
  });
})();
