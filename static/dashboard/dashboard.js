// Siaga Kita dashboard: the only script is the report's print button (CSP: no inline JS).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
