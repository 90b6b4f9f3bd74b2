/* A bulk job's progress bar: ask the server every two seconds until the job is finished. */
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job || !window.fetch || job.dataset.finished === "1") return;
  var summary = document.getElementById("job-status");
  function poll() {
    fetch(job.dataset.url, { credentials: "same-origin" })
      .then(function (reply) { return reply.json(); })
      .then(function (state) {
        document.getElementById("job-bar").style.width = state.percent + "%";
        document.getElementById("job-percent").textContent = state.percent + "%";
        job.querySelector("[role=progressbar]").setAttribute("aria-valuenow", state.percent);
        summary.textContent = state.summary;
        if (state.download) document.getElementById("job-download").hidden = false;
        var cancel = document.getElementById("job-cancel");
        if (cancel && state.finished) cancel.hidden = true;
        if (!state.finished) setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
