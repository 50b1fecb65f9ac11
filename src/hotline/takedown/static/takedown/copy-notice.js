// Adds a "Copy" button after the notice's form address, subject and text ([data-copy]), so an
// analyst pastes them into the platform's form exactly. Without JavaScript the text is still
// there to select.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (block) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small copy-notice";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(block.textContent).then(function () {
        button.textContent = "Copied";
      });
    });
    block.insertAdjacentElement("afterend", button);
  });
})();
