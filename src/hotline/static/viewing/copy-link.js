// Adds a "Copy" button after each reported link shown as text ([data-copy]), so an analyst can
// paste it into the browser set aside for this work without the link ever being clickable.
// Without JavaScript the text is still there to select.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (code) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small copy-link";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent.trim()).then(function () {
        button.textContent = "Copied";
      });
    });
    code.insertAdjacentElement("afterend", button);
    code.insertAdjacentText("afterend", " ");
  });
})();
