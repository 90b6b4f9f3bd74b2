/*
 * Lesson player: opens a lesson view and sends numbered heartbeats. The server credits
 * time by its own clock; this script only says whether the page was visible for the whole
 * interval since the previous heartbeat, and where the playing video is.
 */
(function () {
  "use strict";
  var lesson = document.getElementById("lesson");
  if (!lesson || !window.fetch) return;

  var view = null;
  var seq = 0;
  var periodMs = 15000;
  var timer = null;
  var visibleWholeInterval = document.visibilityState === "visible";
  var video = { id: "", position: null, playing: false };
  var required = 0;

  function text(name, values) {
    var template = lesson.dataset[name] || "";
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": lesson.dataset.csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function show(result) {
    var status = lesson.querySelector(".lesson-status");
    if (!status) return;
    required = result.required_seconds;
    var percent = result.lesson_completed ? 100 :
      Math.min(100, Math.floor(100 * result.engaged_seconds / Math.max(1, required)));
    var bar = status.querySelector(".progress");
    var fill = status.querySelector(".progress-fill");
    var label = status.querySelector(".progress-text");
    if (bar) bar.setAttribute("aria-valuenow", String(percent));
    if (fill) fill.style.width = percent + "%";
    if (label) label.textContent = percent + "%";
    var line = status.querySelector(".status-text");
    if (!line) return;
    var message;
    if (result.lesson_completed) message = text("textDone");
    else if (result.reason === "hidden") message = text("textHidden");
    else if (result.reason === "other_view") message = text("textOther");
    else if (result.engaged_seconds >= required) {
      var videosDone = Object.keys(result.coverage).every(function (key) {
        return result.coverage[key] >= result.coverage_required;
      });
      message = videosDone ? text("textCheckpoints") : text("textVideo");
    } else {
      // The same figures as the bar (and as the server's first rendering of the page).
      message = text("textCounting", {
        minutes: Math.floor(result.engaged_seconds / 60),
        seconds: result.engaged_seconds % 60,
        required: Math.ceil(required / 60),
        percent: percent,
      });
    }
    line.textContent = message;
    status.dataset.reason = result.reason;
    status.dataset.engaged = String(result.engaged_seconds);
  }

  function beat(closing) {
    if (!view) return Promise.resolve();
    seq += 1;
    var body = {
      closing: closing === true,
      view: view,
      seq: seq,
      visible: visibleWholeInterval && document.visibilityState === "visible",
      video: video.id,
      position: video.position,
      playing: video.playing,
    };
    visibleWholeInterval = document.visibilityState === "visible";
    return post(lesson.dataset.heartbeatUrl, body).then(show, function () {
      var line = lesson.querySelector(".lesson-status .status-text");
      if (line && !navigator.onLine) line.textContent = text("textOffline");
    });
  }

  function schedule() {
    if (timer) clearInterval(timer);
    timer = setInterval(function () { beat(false); }, periodMs);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      // Close the visible interval now, so the hidden time that follows is never counted.
      beat(false);
    } else {
      // The interval that just ended was (partly) hidden: report it as such, start afresh.
      visibleWholeInterval = false;
      beat(false).then(function () { visibleWholeInterval = true; });
      schedule();
    }
  });
  window.addEventListener("pagehide", function () { beat(true); });

  Array.prototype.forEach.call(lesson.querySelectorAll("video[data-video-id]"), function (element) {
    function update() {
      video = { id: element.dataset.videoId, position: element.currentTime, playing: !element.paused };
    }
    element.addEventListener("play", update);
    element.addEventListener("pause", function () { update(); beat(false); });
    element.addEventListener("timeupdate", update);
    element.addEventListener("seeking", function () { update(); video.playing = false; });
  });

  post(lesson.dataset.openUrl, { lesson: Number(lesson.dataset.lesson) }).then(function (opened) {
    view = opened.view;
    periodMs = opened.heartbeat_seconds * 1000;
    schedule();
    beat(false);  // show the learner at once that the page is counting
  }, function () { /* not enrolled or signed out: the page stays readable */ });
})();
