// "Select all" in a field picker: a header checkbox (data-select-all="NAME") ticks or
// clears every enabled checkbox named NAME, and shows whether all, some or none are
// ticked. Without script it stays hidden and each field is ticked by hand.
(function () {
  "use strict";
  document.querySelectorAll("input[type=checkbox][data-select-all]").forEach(function (all) {
    var boxes = Array.prototype.filter.call(
      document.querySelectorAll("input[type=checkbox][name='" + all.dataset.selectAll + "']"),
      function (box) { return !box.disabled; }
    );
    function show() {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      show();
    });
    boxes.forEach(function (box) { box.addEventListener("change", show); });
    show();
  });
})();
