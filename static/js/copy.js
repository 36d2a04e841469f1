// Copy buttons: <button data-copy="ID"> copies the text of the element with that id.
(function () {
  function say(button, text) {
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = text;
    setTimeout(function () { button.textContent = label; }, 2000);
  }

  function select(node) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const text = source.textContent.trim();
    if (!navigator.clipboard) {
      // No clipboard API (a page served over plain http): leave the text selected for Ctrl+C.
      select(source);
      say(button, "Selected: press Ctrl+C");
      return;
    }
    navigator.clipboard.writeText(text).then(
      function () { say(button, "Copied"); },
      function () { select(source); say(button, "Selected: press Ctrl+C"); }
    );
  });
})();
