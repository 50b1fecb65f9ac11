/*
 * The evidence picker: send a picture, or only its fingerprint (progressive enhancement).
 *
 * Needs pdq.js first. Markup (intake/_device_hash.html; the page supplies translated text):
 *
 *   <form ...>
 *     <input type="hidden" name="device_hashes">
 *     <div data-hotline-evidence data-remove-label="Remove" data-earlier-label="...">
 *       <fieldset data-hotline-evidence-choice hidden>  radios name="evidence_way": file | fingerprint
 *       <p data-hotline-evidence-no-fingerprint>...fingerprints need JavaScript...</p>
 *       <div data-hotline-evidence-file>  <input type="file" name="evidence_files" multiple>
 *         <ul data-hotline-evidence-file-list></ul>
 *       <div data-hotline-device-hash hidden>
 *         <input type="file" accept="image/*" multiple data-hotline-device-hash-input>
 *         <ul data-hotline-device-hash-list></ul>
 *         <p data-hotline-device-hash-error hidden>...could not be read...</p>
 *
 * Without JavaScript only the named file input shows. With it the reporter first chooses how
 * to send. Files to send are listed, each removable (the input's FileList is rebuilt with a
 * DataTransfer, so picking twice adds rather than replaces). A picture to fingerprint is picked
 * in an input without a name, so the browser never uploads it; its lines "md5:<hex>",
 * "sha256:<hex>" (where the browser allows) and "pdq:<hex>:<quality>" go into the hidden
 * `device_hashes` field, the format intake's form parses. Each fingerprint is listed with the
 * picture's name and a thumbnail drawn on a canvas on the phone (no image URL is made, so the
 * Content-Security-Policy's img-src stays 'self'); removing it removes its lines.
 */
(function () {
  "use strict";

  var THUMB = 56; // CSS pixels

  function canHash() {
    return !!(window.OpenHotlineHashing && window.createImageBitmap);
  }

  function canRebuildFiles() {
    try {
      return typeof DataTransfer === "function" && !!new DataTransfer().items;
    } catch (error) {
      return false;
    }
  }

  function removeButton(label, name, onRemove) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button remove";
    button.textContent = label;
    button.setAttribute("aria-label", label + " " + name);
    button.addEventListener("click", onRemove);
    return button;
  }

  function drawThumbnail(file, canvas) {
    var ratio = window.devicePixelRatio || 1;
    var size = Math.round(THUMB * ratio);
    function draw(bitmap) {
      var scale = Math.min(size / bitmap.width, size / bitmap.height, 1);
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
    }
    // Decoding at thumbnail size keeps a big photo's full pixels out of memory where the
    // browser supports resizing; otherwise decode it whole and scale while drawing.
    return window
      .createImageBitmap(file, { resizeWidth: size, resizeQuality: "medium" })
      .catch(function () {
        return window.createImageBitmap(file);
      })
      .then(draw)
      .catch(function () {
        canvas.hidden = true;
      });
  }

  function setUp(box) {
    var form = box.closest("form");
    var field = form && form.querySelector('input[name="device_hashes"]');
    var choice = box.querySelector("[data-hotline-evidence-choice]");
    var filePart = box.querySelector("[data-hotline-evidence-file]");
    var fileInput = filePart && filePart.querySelector('input[type="file"][name]');
    var fileList = box.querySelector("[data-hotline-evidence-file-list]");
    var hashPart = box.querySelector("[data-hotline-device-hash]");
    var hashInput = box.querySelector("[data-hotline-device-hash-input]");
    var hashList = box.querySelector("[data-hotline-device-hash-list]");
    var error = box.querySelector("[data-hotline-device-hash-error]");
    var removeLabel = box.getAttribute("data-remove-label") || "Remove";
    if (!form) return;

    // --- files to send: listed, removable, added to rather than replaced ---------------------
    var uploads = [];
    var rebuild = fileInput && fileList && canRebuildFiles();

    function showUploads() {
      fileList.textContent = "";
      uploads.forEach(function (file, index) {
        var item = document.createElement("li");
        var name = document.createElement("span");
        name.className = "picked-name";
        name.textContent = file.name;
        item.appendChild(name);
        item.appendChild(
          removeButton(removeLabel, file.name, function () {
            uploads.splice(index, 1);
            syncUploads();
            fileInput.focus();
          })
        );
        fileList.appendChild(item);
      });
    }

    function syncUploads() {
      var transfer = new DataTransfer();
      uploads.forEach(function (file) {
        transfer.items.add(file);
      });
      fileInput.files = transfer.files;
      showUploads();
    }

    if (rebuild) {
      fileInput.addEventListener("change", function () {
        Array.prototype.forEach.call(fileInput.files || [], function (file) {
          var known = uploads.some(function (other) {
            return (
              other.name === file.name &&
              other.size === file.size &&
              other.lastModified === file.lastModified
            );
          });
          if (!known) uploads.push(file);
        });
        syncUploads();
      });
    }

    if (!field || !hashPart || !hashInput || !choice || !canHash()) return;

    // --- the choice between sending the picture and only its fingerprint -------------------
    choice.hidden = false;
    var noFingerprint = box.querySelector("[data-hotline-evidence-no-fingerprint]");
    if (noFingerprint) noFingerprint.hidden = true;
    var ways = choice.querySelectorAll('input[name="evidence_way"]');
    function showWay() {
      var way = "";
      Array.prototype.forEach.call(ways, function (radio) {
        if (radio.checked) way = radio.value;
      });
      filePart.hidden = way !== "file";
      hashPart.hidden = way !== "fingerprint";
    }
    // A file error, or files not kept after an answer to fix, needs the file input in view.
    if (filePart.querySelector(".has-error, .error")) ways[0].checked = true;
    Array.prototype.forEach.call(ways, function (radio) {
      radio.addEventListener("change", showWay);
    });
    showWay();

    // --- fingerprints: listed with a thumbnail, removable ----------------------------------
    hashInput.removeAttribute("name");
    var entries = [];
    if (field.value.trim()) {
      // Fingerprints sent before the page came back (an answer to fix): kept, but their
      // pictures' names are not known here.
      var earlier = { lines: field.value.trim().split("\n"), name: "" };
      earlier.name = box.getAttribute("data-earlier-label") || "";
      entries.push(earlier);
      addItem(earlier, null);
    }

    function syncHashes() {
      var lines = [];
      entries.forEach(function (entry) {
        lines = lines.concat(entry.lines);
      });
      field.value = lines.join("\n");
    }

    function addItem(entry, file) {
      var item = document.createElement("li");
      if (file) {
        var canvas = document.createElement("canvas");
        canvas.className = "thumb";
        canvas.setAttribute("aria-hidden", "true");
        item.appendChild(canvas);
        drawThumbnail(file, canvas);
      }
      var name = document.createElement("span");
      name.className = "picked-name";
      name.textContent = entry.name;
      item.appendChild(name);
      item.setAttribute("data-pdq", (entry.pdq || "").slice(0, 64));
      item.appendChild(
        removeButton(removeLabel, entry.name, function () {
          entries.splice(entries.indexOf(entry), 1);
          syncHashes();
          item.remove();
          hashInput.focus();
        })
      );
      entry.item = item;
      hashList.appendChild(item);
    }

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
      hashPart.removeAttribute("aria-busy");
      if (submitWanted) {
        submitWanted = false;
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }
    }

    hashInput.addEventListener("change", function () {
      var files = Array.prototype.slice.call(hashInput.files || []);
      if (error) error.hidden = true;
      files.forEach(function (file) {
        pending += 1;
        hashPart.setAttribute("aria-busy", "true");
        window.OpenHotlineHashing.hashFile(file).then(
          function (hashes) {
            var lines = ["md5:" + hashes.md5];
            if (hashes.sha256) lines.push("sha256:" + hashes.sha256);
            lines.push("pdq:" + hashes.pdq + ":" + hashes.quality);
            var entry = { lines: lines, name: file.name, pdq: hashes.pdq };
            entries.push(entry);
            syncHashes();
            if (hashList) addItem(entry, file);
            settle();
          },
          function () {
            if (error) error.hidden = false;
            settle();
          }
        );
      });
      // Forget the selection: only hashes leave the device.
      hashInput.value = "";
    });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-hotline-evidence]");
    for (var i = 0; i < boxes.length; i++) setUp(boxes[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
