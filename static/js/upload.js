// Progressive enhancement of upload forms: sends the form in the background and shows how much has gone.
// Without this script the form is an ordinary multipart form and works the same, without the progress bar.
(function () {
  "use strict";
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) { return; }

  function progressBox(form) {
    var box = document.createElement("div");
    box.className = "upload-progress";
    var label = document.createElement("p");
    label.id = "upload-progress-label";
    label.textContent = form.dataset.progressLabel;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-labelledby", "upload-progress-label");
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    box.appendChild(label);
    box.appendChild(bar);
    box.appendChild(status);
    form.appendChild(box);
    return { box: box, bar: bar, status: status };
  }

  function showResponse(html) {
    // The server answered with a page (errors, or the upload's result): show its main content here.
    var page = new DOMParser().parseFromString(html, "text/html");
    var incoming = page.querySelector("main");
    var current = document.querySelector("main");
    if (!incoming || !current) { window.location.reload(); return; }
    current.innerHTML = incoming.innerHTML;
    document.title = page.title;
    var target = current.querySelector("#error-summary") || current.querySelector("h1");
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
    current.querySelectorAll("form[data-upload-progress]").forEach(enhance);
  }

  function enhance(form) {
    var percent = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "percent" });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.sending) { return; }  // a second click sends nothing twice
      form.dataset.sending = "yes";
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      var ui = progressBox(form);
      var announced = -1;
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (progress) {
        if (!progress.lengthComputable) { return; }
        var share = Math.floor((progress.loaded * 100) / progress.total);
        ui.bar.value = share;
        if (share >= announced + 10 || share === 100) {  // a screen reader hears every tenth, not every step
          announced = share;
          ui.status.textContent = form.dataset.progressPercent.replace("%(percent)s", percent.format(share / 100));
        }
      });
      request.addEventListener("load", function () {
        var finalUrl = request.responseURL ? new URL(request.responseURL) : null;
        if (request.status < 300 && finalUrl && finalUrl.pathname !== new URL(form.action).pathname) {
          window.location.assign(finalUrl.href);  // success: the server redirected to the toolkit
          return;
        }
        showResponse(request.responseText);
      });
      request.addEventListener("error", function () {
        ui.status.textContent = form.dataset.failedText;
        if (button) { button.disabled = false; }
        delete form.dataset.sending;
      });
      request.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload-progress]").forEach(enhance);
})();
