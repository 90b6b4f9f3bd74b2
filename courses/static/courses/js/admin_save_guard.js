/*
 * Wagtail 8's editor autosaves: a few hundred milliseconds after an edit it posts the form
 * (Accept: application/json). On a new page that post goes to the *create* URL, and only
 * its answer moves the form to the new page's edit URL. A "Save draft" clicked while that
 * post is on its way went to the create URL a second time: a second page with the same
 * slug, refused, while the first save looked fine. (Written against wagtail 8.0's
 * w-autosave controller: its cancelable "w-autosave:save" event and its success and error
 * events on the form.)
 *
 * So: an explicit save waits for an autosave in flight and then goes where the autosave
 * left the form (the edit URL); once the form is being submitted, no autosave starts.
 */
(function () {
  "use strict";
  var form = document.getElementById("page-edit-form");
  if (!form) return;
  var inFlight = false;
  var submitting = false;
  var waiting = null;

  form.addEventListener("w-autosave:save", function (event) {
    if (submitting) {
      event.preventDefault();
      return;
    }
    inFlight = true;
  });
  function settled() {
    inFlight = false;
    if (!waiting) return;
    var clicked = waiting;
    waiting = null;
    // The autosave's answer may have redrawn the action menu: the button clicked is then
    // gone, so its name and value ride along in a hidden field instead.
    if (clicked.button && clicked.button.isConnected && clicked.button.form === form) {
      form.requestSubmit(clicked.button);
      return;
    }
    if (clicked.name) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = clicked.name;
      field.value = clicked.value;
      form.appendChild(field);
    }
    form.requestSubmit();
  }
  form.addEventListener("w-autosave:success", settled);
  form.addEventListener("w-autosave:error", settled);
  form.addEventListener("w-autosave:deactivated", settled);

  form.addEventListener("submit", function (event) {
    submitting = true;
    if (!inFlight) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var button = event.submitter;
    waiting = { button: button, name: button ? button.name : "", value: button ? button.value : "" };
  }, true);
})();
