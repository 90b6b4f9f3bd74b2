/*
 * Taking an exam: every answer is saved as it is given (PUT to the API); while offline the
 * answers wait in localStorage and are sent on reconnect; the countdown runs from the
 * server's time; submitting asks for confirmation and first sends anything queued.
 */
(function () {
  "use strict";
  var exam = document.getElementById("exam");
  if (!exam || !window.fetch) return;
  var form = document.getElementById("exam-form");
  var status = document.getElementById("exam-status");
  var queueKey = "exam-queue-" + exam.dataset.attempt;
  var queue = JSON.parse(localStorage.getItem(queueKey) || "{}");
  var offset = new Date(exam.dataset.serverNow).getTime() - Date.now();
  var deadline = new Date(exam.dataset.deadline).getTime();
  var submitting = false;

  function text(name, values) {
    return (exam.dataset[name] || "").replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function responseOf(fieldset) {
    var kind = fieldset.dataset.kind;
    var position = fieldset.dataset.position;
    if (kind === "multiple") {
      return Array.prototype.map.call(
        fieldset.querySelectorAll("input:checked"), function (input) { return input.value; });
    }
    if (kind === "fill") {
      return Array.prototype.map.call(
        fieldset.querySelectorAll("input[type=text]"), function (input) { return input.value; });
    }
    var checked = fieldset.querySelector("input:checked");
    if (checked) return checked.value;
    var area = fieldset.querySelector("textarea");
    return area ? area.value : null;
  }

  function mark(position, state) {
    var fieldset = document.getElementById("q" + position);
    var line = fieldset && fieldset.querySelector(".save-state");
    if (line) {
      line.dataset.state = state;
      line.textContent = state === "saved" ? text("textSaved") : text("textUnsaved");
    }
    var nav = exam.querySelector('[data-nav="' + position + '"]');
    if (nav) nav.classList.toggle("answered", state === "saved");
    if (nav) nav.classList.toggle("pending", state !== "saved");
    var count = document.getElementById("answered-count");
    if (count) count.textContent = exam.querySelectorAll(".nav-item.answered").length;
  }

  // The sticky bar: its real height keeps a jumped-to question below it (scroll-margin-top
  // in site.css); the navigator is open on a wide screen, and on a phone it folds away
  // again once a question is chosen, so the bar is one line when the page scrolls there.
  var head = document.getElementById("exam-head");
  var navigatorBox = document.getElementById("navigator-box");
  var wide = window.matchMedia("(min-width: 48rem)");
  function measureHead() {
    if (head) exam.style.setProperty("--exam-head-height", head.offsetHeight + "px");
  }
  if (navigatorBox) {
    navigatorBox.open = wide.matches;
    navigatorBox.addEventListener("toggle", measureHead);
    navigatorBox.addEventListener("click", function (event) {
      if (event.target.closest(".nav-item") && !wide.matches) {
        navigatorBox.open = false;
        measureHead();
      }
    });
  }
  if (window.ResizeObserver && head) new ResizeObserver(measureHead).observe(head);
  window.addEventListener("resize", measureHead);
  measureHead();

  function send(position) {
    var response = queue[position];
    return fetch(exam.dataset.saveUrl + position + "/", {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": exam.dataset.csrf },
      body: JSON.stringify({ response: response }),
    }).then(function (reply) {
      if (reply.ok || reply.status === 400 || reply.status === 409) {
        // Saved, or refused for good (a wrong shape, or the attempt closed): stop retrying.
        if (JSON.stringify(queue[position]) === JSON.stringify(response)) delete queue[position];
        localStorage.setItem(queueKey, JSON.stringify(queue));
        mark(position, reply.ok ? "saved" : "refused");
        return reply.ok;
      }
      throw new Error("HTTP " + reply.status);
    });
  }

  var flushing = null;
  var retryTimer = null;
  var retryDelay = 2000;

  function scheduleRetry() {
    // The device may be online while the server is not (a restart, a proxy error): keep
    // trying, less often the longer it lasts, until the queue is empty.
    if (retryTimer) return;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      flush();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function flush() {
    // The browser may announce "online" more than once: one flush at a time, in order.
    if (flushing) return flushing;
    var positions = Object.keys(queue);
    flushing = positions.reduce(function (chain, position) {
      return chain.then(function () { return send(position); });
    }, Promise.resolve()).then(function () {
      if (positions.length) status.textContent = text("textOnline");
      retryDelay = 2000;
      return true;
    }, function () {
      status.textContent = text("textQueued");
      scheduleRetry();
      return false;
    }).then(function (result) {
      flushing = null;
      return result;
    });
    return flushing;
  }

  function changed(event) {
    var fieldset = event.target.closest("fieldset.question");
    if (!fieldset) return;
    var position = fieldset.dataset.position;
    queue[position] = responseOf(fieldset);
    localStorage.setItem(queueKey, JSON.stringify(queue));
    mark(position, "pending");
    if (navigator.onLine) {
      send(position).catch(function () {
        status.textContent = text("textQueued");
        scheduleRetry();
      });
    } else {
      status.textContent = text("textQueued");
    }
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target.type === "text" || event.target.tagName === "TEXTAREA") {
      clearTimeout(event.target._saveTimer);
      event.target._saveTimer = setTimeout(function () { changed(event); }, 800);
    }
  });
  window.addEventListener("offline", function () { status.textContent = text("textQueued"); });
  window.addEventListener("online", flush);

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "submit" && !submitting) {
      event.preventDefault();
      var unanswered = exam.querySelectorAll(".nav-item:not(.answered)").length;
      var question = unanswered ? text("textUnanswered", { count: unanswered }) : text("textConfirm");
      if (!window.confirm(question)) return;
      submitAfterFlush();
    }
  });

  function submitAfterFlush() {
    submitting = true;
    flush().then(function () {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "action";
      hidden.value = "submit";
      form.appendChild(hidden);
      form.submit();
    });
  }

  function tick() {
    var left = Math.max(0, deadline - (Date.now() + offset));
    var minutes = Math.floor(left / 60000);
    var seconds = Math.floor((left % 60000) / 1000);
    document.getElementById("countdown").textContent =
      minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    if (left <= 0 && !submitting) {
      deadlineMoved().then(function (moved) {
        if (moved) {
          tick();
          return;
        }
        status.textContent = text("textTimeup");
        submitAfterFlush();
      });
      return;
    }
    setTimeout(tick, 1000);
  }

  // A trainer may give extra time during the attempt: ask the server once more at zero.
  function deadlineMoved() {
    return fetch(exam.dataset.detailUrl, { credentials: "same-origin" })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (attempt) {
        if (!attempt || attempt.state !== "in_progress") return false;
        offset = new Date(attempt.server_time).getTime() - Date.now();
        var latest = new Date(attempt.deadline).getTime();
        if (latest - (Date.now() + offset) < 1000) return false;
        deadline = latest;
        return true;
      })
      .catch(function () { return false; });
  }

  // Anything left from a previous visit on this device goes first.
  Object.keys(queue).forEach(function (position) { mark(position, "pending"); });
  if (navigator.onLine) flush();
  tick();
})();
