// Progressive enhancement of the quiz attempt page: background saving of answers and a live countdown.
// Without this script every answer is still saved by the page's own buttons.
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector(".autosave-status");
  var timer = null;
  var pending = false;

  function save() {
    timer = null;
    pending = false;
    var data = new FormData(form);
    data.delete("nav");
    fetch(form.dataset.autosave, {
      method: "POST",
      body: new URLSearchParams(data),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 409) { window.location.reload(); return; }
      status.textContent = response.ok ? form.dataset.savedText : form.dataset.failedText;
    }).catch(function () { status.textContent = form.dataset.failedText; });
  }

  function schedule() {
    pending = true;
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(save, 1200);
  }

  form.addEventListener("change", schedule);
  form.addEventListener("input", schedule);
  form.addEventListener("submit", function () { if (timer) { window.clearTimeout(timer); } });
  window.addEventListener("pagehide", function () {
    if (pending && navigator.sendBeacon) {
      var data = new FormData(form);
      data.delete("nav");
      navigator.sendBeacon(form.dataset.autosave, new URLSearchParams(data));
    }
  });

  var clock = document.querySelector(".quiz-timer");
  if (clock) {
    var value = clock.querySelector(".quiz-timer__value");
    var deadline = Date.now() + Number(clock.dataset.secondsLeft) * 1000;
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      value.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left === 0) {
        // Time is up: the server submits the saved answers; reloading shows the review.
        window.clearInterval(interval);
        save();
        window.setTimeout(function () { window.location.reload(); }, 1500);
      }
    };
    var interval = window.setInterval(tick, 1000);
    tick();
  }
}());
