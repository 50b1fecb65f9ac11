/*
 * Hash pictures on the reporter's device and send only the hashes (progressive enhancement).
 *
 * Needs pdq.js first. Markup (the page supplies the translated text; shown only with JavaScript):
 *
 *   <form ...>
 *     <input type="hidden" name="device_hashes">
 *     <div data-hotline-device-hash hidden>
 *       <input type="file" accept="image/*" multiple data-hotline-device-hash-input>
 *       <ul data-hotline-device-hash-list></ul>
 *       <p data-hotline-device-hash-error hidden>...could not be read...</p>
 *     </div>
 *
 * The file input has no name, so the browser never uploads the pictures; each picture adds the
 * lines "md5:<hex>", "sha256:<hex>" (where the browser allows) and "pdq:<hex>:<quality>" to the
 * hidden `device_hashes` field, the format intake's form parses.
 */
(function () {
  "use strict";

  function setUp(box) {
    var form = box.closest("form");
    var field = form && form.querySelector('input[name="device_hashes"]');
    var input = box.querySelector("[data-hotline-device-hash-input]");
    var list = box.querySelector("[data-hotline-device-hash-list]");
    var error = box.querySelector("[data-hotline-device-hash-error]");
    if (!field || !input || !window.OpenHotlineHashing || !window.createImageBitmap) return;
    input.removeAttribute("name");
    box.hidden = false;

    // A submit while pictures are still being hashed waits for them, then goes ahead:
    // otherwise the fingerprints of a large photo would be silently left out.
    var pending = 0;
    var submitWanted = false;
    form.addEventListener("submit", function (event) {
      if (pending > 0) {
        event.preventDefault();
        submitWanted = true;
      }
    });
    function settle() {
      pending -= 1;
      if (pending > 0) return;
      box.removeAttribute("aria-busy");
      if (submitWanted) {
        submitWanted = false;
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (error) error.hidden = true;
      files.forEach(function (file) {
        pending += 1;
        box.setAttribute("aria-busy", "true");
        window.OpenHotlineHashing.hashFile(file).then(
          function (hashes) {
            var lines = field.value ? field.value.split("\n") : [];
            lines.push("md5:" + hashes.md5);
            if (hashes.sha256) lines.push("sha256:" + hashes.sha256);
            lines.push("pdq:" + hashes.pdq + ":" + hashes.quality);
            field.value = lines.join("\n");
            if (list) {
              var item = document.createElement("li");
              item.textContent = file.name + " — " + hashes.pdq.slice(0, 16) + "…";
              item.setAttribute("data-pdq", hashes.pdq);
              list.appendChild(item);
            }
            settle();
          },
          function () {
            if (error) error.hidden = false;
            settle();
          }
        );
      });
      // Forget the selection: only hashes leave the device.
      input.value = "";
    });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-hotline-device-hash]");
    for (var i = 0; i < boxes.length; i++) setUp(boxes[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
