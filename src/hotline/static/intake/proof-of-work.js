/*
 * Solve the report form's proof of work on the reporter's device (progressive enhancement).
 *
 * Markup (see intake/report_form.html):
 *
 *   <form data-hotline-pow="{ALTCHA v2 challenge as JSON}">
 *     <input type="hidden" name="proof">
 *     <p data-hotline-pow-wait hidden>...getting ready to send...</p>
 *
 * The challenge asks for the counter whose PBKDF2-SHA256 key (password = nonce + counter as a
 * big-endian uint32) starts with the key prefix. The browser derives keys natively (Web Crypto,
 * off the main thread), a few at a time, so the page never freezes; the server drew the answer
 * below a bound, so a slow phone needs at most a few seconds. Solving starts when the page
 * opens; a submit before it is done waits for it. Without Web Crypto (plain HTTP), or if
 * solving fails or takes too long, the form is sent without a proof, as without JavaScript:
 * the server then applies its bounded no-JavaScript budget.
 */
(function () {
  "use strict";

  var GIVE_UP_MS = 30000; // after pressing Send: better the no-JavaScript path than waiting on

  var form = document.querySelector("form[data-hotline-pow]");
  var field = form && form.querySelector('input[name="proof"]');
  var subtle = window.crypto && window.crypto.subtle;
  if (!field || !subtle || !window.Promise || !window.btoa) return;
  var challenge;
  try {
    challenge = JSON.parse(form.getAttribute("data-hotline-pow"));
  } catch (error) {
    return;
  }
  var params = challenge && challenge.parameters;
  if (!params || typeof params.nonce !== "string" || typeof params.salt !== "string") return;
  var wait = form.querySelector("[data-hotline-pow-wait]");

  function fromHex(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }

  function toHex(buffer) {
    var view = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < view.length; i++) out += (view[i] < 16 ? "0" : "") + view[i].toString(16);
    return out;
  }

  var nonce = fromHex(params.nonce);
  var salt = fromHex(params.salt);
  var prefix = String(params.keyPrefix || "").toLowerCase();

  async function derive(counter) {
    var password = new Uint8Array(nonce.length + 4);
    password.set(nonce);
    new DataView(password.buffer).setUint32(nonce.length, counter, false);
    var key = await subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
    var bits = await subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: params.cost },
      key,
      (params.keyLength || 32) * 8
    );
    return toHex(bits);
  }

  var started = Date.now();
  var done = false; // solved, or given up: either way the form may go
  var submitWanted = false;
  var lanes = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));

  function finish() {
    if (done) return;
    done = true;
    if (wait) wait.hidden = true;
    if (submitWanted) {
      submitWanted = false;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
  }

  async function lane(first) {
    for (var counter = first; !done && counter <= 0xffffffff; counter += lanes) {
      var key = await derive(counter);
      if (key.indexOf(prefix) === 0) {
        var solution = { counter: counter, derivedKey: key, time: Date.now() - started };
        field.value = btoa(JSON.stringify({ challenge: challenge, solution: solution }));
        finish();
      }
    }
  }

  form.addEventListener("submit", function (event) {
    if (done) return;
    event.preventDefault();
    submitWanted = true;
    if (wait) wait.hidden = false;
    setTimeout(finish, GIVE_UP_MS);
  });

  for (var i = 0; i < lanes; i++) {
    lane(i).catch(function () {
      if (done) return;
      field.value = ""; // this browser cannot solve it: send as without JavaScript
      finish();
    });
  }
})();
