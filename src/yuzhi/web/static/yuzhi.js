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
// <form data-busy="text">: a long action (a schedule solve, a model run) shows that it is working — the
// button is disabled and the text (with {s}, the seconds elapsed) appears beside it until the answer comes.
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (!form || !form.matches || !form.matches("form[data-busy]")) return;
  var button = form.querySelector("button[type=submit],button:not([type])");
  var note = document.createElement("span");
  note.className = "busy";
  note.setAttribute("role", "status");
  form.appendChild(note);
  var started = Date.now();
  var tick = function () { note.textContent = form.dataset.busy.replace("{s}", Math.round((Date.now() - started) / 1000)); };
  tick();
  window.setInterval(tick, 1000);
  if (button) window.setTimeout(function () { button.disabled = true; }, 0);
});
