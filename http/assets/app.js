// Onedoor pages work without JavaScript; this only adds conveniences.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("[data-print]") : null;
    if (t) {
      e.preventDefault();
      window.print();
    }
  });
})();
