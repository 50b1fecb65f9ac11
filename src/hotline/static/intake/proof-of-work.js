/*
 * Solve the report form's proof of work on the reporter's device (progressive enhancement).
 *
 * Markup (see intake/report_form.html):
 *
 *   <form data-hotline-pow="{ALTCHA v2 challenge as JSON}" data-hotline-pow-refresh="/report/challenge/">
 *     <input type="hidden" name="submission_token" value="...">
 *     <input type="hidden" name="proof">
 *     <p data-hotline-pow-wait hidden>...getting ready to send...</p>
 *
 * The challenge asks for the counter whose PBKDF2-SHA256 key (password = nonce + counter as a
 * big-endian uint32) starts with the key prefix. The browser derives keys natively (Web Crypto,
 * off the main thread), a few at a time, so the page never freezes; the server drew the answer
 * below a bound, so a slow phone needs at most a few seconds. Solving starts when the page
 * opens; a submit before it is done waits for it. A submit after the challenge expired (the form
 * was open for hours) first fetches a fresh one for the same form and solves it. Without Web
 * Crypto (plain HTTP), or if solving fails or takes too long, the form is sent without a proof,
 * as without JavaScript: the server then applies its bounded no-JavaScript budget.
 */
(function () {
  "use strict";

  var GIVE_UP_MS = 30000; // after pressing Send: better the no-JavaScript path than waiting on
  var EXPIRY_MARGIN_MS = 60000; // a proof this close to expiring is renewed before sending

  var form = document.querySelector("form[data-hotline-pow]");
  var field = form && form.querySelector('input[name="proof"]');
  var token = form && form.querySelector('input[name="submission_token"]');
  var subtle = window.crypto && window.crypto.subtle;
  if (!field || !token || !subtle || !window.Promise || !window.btoa) return;
  var wait = form.querySelector("[data-hotline-pow-wait]");
  var refreshUrl = form.getAttribute("data-hotline-pow-refresh");

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

  var lanes = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));
  var generation = 0; // bumped for each challenge: lanes of an older one stop
  var done = false; // solved, or given up: either way the form may go
  var submitWanted = false;
  var giveUpTimer = null;
  var expiresAt = 0;

  function finish() {
    if (done) return;
    done = true;
    if (giveUpTimer) clearTimeout(giveUpTimer);
    if (wait) wait.hidden = true;
    if (submitWanted) {
      submitWanted = false;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
  }

  function giveUp() {
    field.value = ""; // this browser cannot solve it: send as without JavaScript
    finish();
  }

  function solve(challenge) {
    var params = challenge && challenge.parameters;
    if (!params || typeof params.nonce !== "string" || typeof params.salt !== "string") {
      giveUp();
      return;
    }
    generation += 1;
    var mine = generation;
    done = false;
    field.value = "";
    expiresAt = (params.expiresAt || 0) * 1000;
    var nonce = fromHex(params.nonce);
    var salt = fromHex(params.salt);
    var prefix = String(params.keyPrefix || "").toLowerCase();
    var started = Date.now();

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

    async function lane(first) {
      for (var counter = first; counter <= 0xffffffff; counter += lanes) {
        if (done || mine !== generation) return;
        var key = await derive(counter);
        if (mine === generation && !done && key.indexOf(prefix) === 0) {
          var solution = { counter: counter, derivedKey: key, time: Date.now() - started };
          field.value = btoa(JSON.stringify({ challenge: challenge, solution: solution }));
          finish();
        }
      }
    }

    for (var i = 0; i < lanes; i++) {
      lane(i).catch(function () {
        if (mine === generation && !done) giveUp();
      });
    }
  }

  function expired() {
    return expiresAt > 0 && expiresAt < Date.now() + EXPIRY_MARGIN_MS;
  }

  function renew() {
    var url = refreshUrl + "?token=" + encodeURIComponent(token.value);
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("no fresh challenge");
        return response.json();
      })
      .then(solve)
      .catch(function () {
        if (!done) giveUp();
      });
  }

  form.addEventListener("submit", function (event) {
    // A language button sends this form elsewhere (formaction) to keep the answers as a
    // draft: no proof is needed there, and waiting would send the report instead.
    if (event.submitter && event.submitter.hasAttribute("formaction")) return;
    if (done && !(field.value && expired() && refreshUrl)) return;
    event.preventDefault();
    submitWanted = true;
    if (wait) wait.hidden = false;
    if (giveUpTimer) clearTimeout(giveUpTimer);
    giveUpTimer = setTimeout(finish, GIVE_UP_MS);
    if (done) {
      // Solved long ago and about to expire: solve a fresh challenge for this same form.
      done = false;
      field.value = "";
      renew();
    }
  });

  var initial;
  try {
    initial = JSON.parse(form.getAttribute("data-hotline-pow"));
  } catch (error) {
    return;
  }
  solve(initial);
})();
