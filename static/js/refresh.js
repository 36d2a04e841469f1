// Reloads a page that shows work still in progress (an element with data-refresh-seconds).
(function () {
  var el = document.querySelector("[data-refresh-seconds]");
  if (!el) return;
  var seconds = parseInt(el.getAttribute("data-refresh-seconds"), 10) || 2;
  setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
