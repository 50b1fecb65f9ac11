/*
 * Open the report form at its error summary, and make its links move focus to the question.
 *
 * Without JavaScript the summary is already the first thing in <main> and its links are plain
 * #id links. With it, the summary takes focus when the page opens (a screen reader reads it
 * first), and a link focuses its input and scrolls the question's label or legend into view,
 * opening a folded section if the input is inside one (GOV.UK's error summary pattern).
 */
(function () {
  "use strict";

  var summary = document.querySelector("[data-hotline-error-summary]");
  if (!summary) return;

  function questionOf(input) {
    var fieldset = input.closest("fieldset");
    if (fieldset && fieldset.querySelector("legend")) return fieldset.querySelector("legend");
    var label = input.id && document.querySelector('label[for="' + input.id + '"]');
    return label || input.closest("label") || input;
  }

  summary.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#"]');
    if (!link) return;
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) return;
    event.preventDefault();
    var folded = input.closest("details");
    if (folded) folded.open = true;
    questionOf(input).scrollIntoView();
    input.focus({ preventScroll: true });
  });

  summary.focus();
})();
