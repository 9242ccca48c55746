// Siaga Kita dashboard (CSP: no inline JS, no CDN). Without this script everything still
// works: the filter form has its "Show" button and the server narrows the kelurahan list.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var form = document.querySelector("form.filters");
  if (!form) { return; }
  var kecamatan = form.querySelector("select[name=kecamatan]");
  var kelurahan = form.querySelector("select[name=kelurahan]");

  // Keep the full kelurahan list once, to rebuild it for any kecamatan chosen.
  var allOptions = kelurahan ? Array.prototype.slice.call(kelurahan.options).map(function (o) {
    return o.cloneNode(true);
  }) : [];

  function narrowKelurahan() {
    if (!kecamatan || !kelurahan) { return; }
    var chosen = kecamatan.value;
    var current = kelurahan.value;
    while (kelurahan.options.length) { kelurahan.remove(0); }
    allOptions.forEach(function (option) {
      var belongs = !option.value || !chosen || option.getAttribute("data-kecamatan") === chosen;
      if (belongs) { kelurahan.appendChild(option.cloneNode(true)); }
    });
    kelurahan.value = current;
    if (kelurahan.value !== current) { kelurahan.value = ""; }
  }

  form.querySelectorAll("select[data-autosubmit], select[name=year]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select === kecamatan) { narrowKelurahan(); }
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  });
  narrowKelurahan();
});
