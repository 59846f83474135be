// Small behaviours the pages need, kept out of the HTML so the Content-Security-Policy can forbid
// inline scripts: <select data-autosubmit> submits its form on change; <a data-back> goes back.
document.addEventListener("change", function (e) {
  var el = e.target;
  if (el && el.matches && el.matches("[data-autosubmit]") && el.form) el.form.submit();
});
document.addEventListener("click", function (e) {
  var el = e.target && e.target.closest ? e.target.closest("[data-back]") : null;
  if (el && window.history.length > 1) { e.preventDefault(); window.history.back(); }
});
