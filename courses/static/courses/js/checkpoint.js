/*
 * Checkpoint questions without a reload: the form still posts (and works without this
 * script); with it, the answer is sent with Accept: application/json and the result is
 * shown inside the checkpoint, the learner's choice left checked.
 */
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;

  function feedback(section, result) {
    var slot = section.querySelector(".checkpoint-feedback-slot");
    if (!slot) return;
    var id = "checkpoint-" + section.dataset.checkpoint + "-feedback";
    var line = document.createElement("p");
    line.id = id;
    line.className = "checkpoint-feedback " + (result.outcome === "correct" ? "ok" : "error");
    line.setAttribute("role", result.outcome === "correct" ? "status" : "alert");
    line.textContent = result.message;
    slot.replaceChildren(line);
    var fieldset = section.querySelector("fieldset");
    if (fieldset) fieldset.setAttribute("aria-describedby", id);
  }

  function passed(section, result) {
    var form = section.querySelector("form");
    section.classList.add("passed");
    Array.prototype.forEach.call(section.querySelectorAll("input[type=radio]"), function (input) {
      input.disabled = true;
    });
    var button = form && form.querySelector("button[type=submit]");
    if (button) button.remove();
    if (result.explanation) {
      var hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = result.explanation;
      section.appendChild(hint);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("checkpoint-form")) return;
    var section = form.closest(".checkpoint");
    if (!section) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new FormData(form),
    }).then(function (response) {
      return response.json();
    }).then(function (result) {
      feedback(section, result);
      if (result.outcome === "correct") passed(section, result);
    }).catch(function () {
      form.submit();  // the plain path: the server answers with the page
    }).finally(function () {
      if (button) button.disabled = false;
    });
  });
})();
