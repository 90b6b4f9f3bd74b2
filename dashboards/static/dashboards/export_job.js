/* An export's progress (dashboards/export_job.html): ask the server every two seconds until
   the file is written, then show the link. Without JavaScript the page has a refresh link. */
(function () {
  "use strict";
  var job = document.getElementById("export-job");
  if (!job || !window.fetch || job.dataset.finished === "1") return;
  var bar = document.getElementById("export-progress");
  var percent = document.getElementById("export-percent");
  var status = document.getElementById("export-status");
  var download = document.getElementById("export-download");
  var refresh = document.getElementById("export-refresh");
  if (refresh) refresh.hidden = true;
  function show(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    percent.textContent = state.percent + "%";
    if (status.textContent !== state.summary) status.textContent = state.summary;
    if (state.ready) {
      document.getElementById("export-filename").textContent = state.filename;
      document.getElementById("export-link").href = state.download;
      download.hidden = false;
    }
  }
  function poll() {
    fetch(job.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (reply) {
        if (!reply.ok) throw new Error(reply.status);
        return reply.json();
      })
      .then(function (state) {
        show(state);
        if (state.finished) {
          // A failure's message and the way back are on the page itself.
          if (!state.ready) window.location.reload();
        } else {
          setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        if (refresh) refresh.hidden = false;
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 1000);
})();
