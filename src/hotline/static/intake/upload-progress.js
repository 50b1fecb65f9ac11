/*
 * Show how far a form's files have been sent (progressive enhancement).
 *
 * Markup (intake/_upload_progress.html), inside <form data-hotline-upload>:
 *
 *   <div data-hotline-upload-progress hidden>
 *     <progress max="100" value="0"></progress> <span data-hotline-upload-percent>0%</span>
 *   <p data-hotline-upload-error hidden>...the connection was lost...</p>
 *
 * Only a submit that carries files, and that no other script held back (proof of work, a
 * picture still being fingerprinted: their listeners sit on the form and run first; this one
 * listens on the document), is sent with XMLHttpRequest, whose upload events give the
 * progress. The answer then behaves like a normal form post's: a redirected answer (post,
 * redirect, get) is opened at its final address, as the browser would; an answer from the
 * form's own address replaces the page (its scripts get this page's nonce, the only one the
 * page's Content-Security-Policy accepts). Without JavaScript the form is posted as usual.
 */
(function () {
  "use strict";

  var self = document.currentScript;
  var nonce = (self && (self.nonce || self.getAttribute("nonce"))) || "";

  function hasFiles(form) {
    var inputs = form.querySelectorAll('input[type="file"][name]');
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].files && inputs[i].files.length) return true;
    }
    return false;
  }

  function withoutHash(url) {
    return String(url).split("#")[0];
  }

  function replacePage(html) {
    var page = html.replace(/\snonce="[^"]*"/g, ' nonce="' + nonce + '"');
    document.open();
    document.write(page);
    document.close();
    window.scrollTo(0, 0);
  }

  function send(form, submitter) {
    var box = form.querySelector("[data-hotline-upload-progress]");
    var bar = box && box.querySelector("progress");
    var percent = box && box.querySelector("[data-hotline-upload-percent]");
    var failed = form.querySelector("[data-hotline-upload-error]");
    var buttons = form.querySelectorAll('button[type="submit"], button:not([type])');
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);

    function show(value) {
      if (bar) bar.value = value;
      if (bar) bar.textContent = value + "%";
      if (percent) percent.textContent = value + "%";
    }
    function setBusy(busy) {
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = busy;
      if (box) box.hidden = !busy;
    }

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable && event.total > 0) {
        show(Math.min(100, Math.floor((event.loaded / event.total) * 100)));
      }
    });
    xhr.upload.addEventListener("load", function () {
      show(100);
    });
    xhr.addEventListener("load", function () {
      var final = xhr.responseURL || form.action;
      if (withoutHash(final) !== withoutHash(form.action)) window.location.assign(final);
      else replacePage(xhr.responseText);
    });
    function lost() {
      setBusy(false);
      show(0);
      if (failed) {
        failed.hidden = false;
        failed.setAttribute("tabindex", "-1");
        failed.focus();
      }
    }
    xhr.addEventListener("error", lost);
    xhr.addEventListener("abort", lost);
    xhr.addEventListener("timeout", lost);
    if (failed) failed.hidden = true;
    show(0);
    setBusy(true);
    xhr.send(data);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute("data-hotline-upload")) return;
    if (!window.FormData || !window.XMLHttpRequest || !hasFiles(form)) return;
    event.preventDefault();
    send(form, event.submitter);
  });
})();
