// Picking another domain reloads the page with it; without JavaScript a Show button does the same.
document.querySelectorAll("form.js-autosubmit select").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
