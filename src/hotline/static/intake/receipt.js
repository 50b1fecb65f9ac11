/*
 * The receipt page's "Copy the code" button (progressive enhancement).
 *
 * Markup (see intake/receipt.html):
 *
 *   <div id="receipt-box" data-copy-label="..." data-copied-label="..." data-failed-label="...">
 *     <p id="receipt-code">XXXX-XXXX-XXXX-XXXX-X</p>
 *   </div>
 *
 * Without JavaScript there is no button at all (the page says to write the code down, take a
 * screenshot or save it as a file), so this script creates it. The labels come from the page,
 * already in the reporter's language. The Clipboard API needs a secure context (HTTPS, an onion
 * service, or localhost); elsewhere the older execCommand("copy") on the selected code is tried,
 * and if that fails too the code is left selected and the reporter is asked to write it down.
 */
(function () {
  "use strict";

  var box = document.getElementById("receipt-box");
  var code = document.getElementById("receipt-code");
  if (!box || !code || !box.dataset) return;

  var button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.id = "receipt-copy";
  button.textContent = box.dataset.copyLabel;
  // Announced to screen readers when it changes; empty until the button is pressed.
  var said = document.createElement("p");
  said.id = "receipt-copied";
  said.className = "small";
  said.setAttribute("role", "status");
  var wrapper = document.createElement("p");
  wrapper.appendChild(button);
  box.parentNode.insertBefore(wrapper, box.nextSibling);
  wrapper.parentNode.insertBefore(said, wrapper.nextSibling);

  function text() {
    return code.textContent.replace(/\s+/g, "");
  }

  function selectCode() {
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function done(ok) {
    said.textContent = ok ? box.dataset.copiedLabel : box.dataset.failedLabel;
    if (!ok) selectCode();
  }

  function copyBySelection() {
    selectCode();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (error) {
      ok = false; // very old browsers throw instead of returning false
    }
    done(ok);
  }

  button.addEventListener("click", function () {
    if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
      navigator.clipboard.writeText(text()).then(
        function () {
          done(true);
        },
        copyBySelection
      );
    } else {
      copyBySelection();
    }
  });
})();
