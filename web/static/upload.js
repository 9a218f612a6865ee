// Upload progress for the console's events forms, the one script of the
// pages (served from the binary: Content-Security-Policy script-src 'self').
// It sends the form in the background to show how much of the file has
// gone, then shows the server's answer, the report of every line, as the
// page. Without it the form posts as usual and the same report follows.
"use strict";
document.querySelectorAll("form.upload").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var bar = form.querySelector("progress");
    var status = form.querySelector(".progress-text");
    var button = form.querySelector("button");
    var xhr = new XMLHttpRequest();
    bar.hidden = false;
    button.disabled = true;
    xhr.open("POST", form.action);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        bar.max = e.total;
        bar.value = e.loaded;
        status.textContent = Math.round(100 * e.loaded / e.total) + "% sent";
      }
    };
    xhr.upload.onload = function () {
      bar.removeAttribute("value");
      status.textContent = "sent; checking every line…";
    };
    xhr.onload = function () {
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      document.title = page.title;
      document.body.replaceWith(page.body);
    };
    xhr.onerror = function () {
      button.disabled = false;
      status.textContent = "The upload failed: check the connection and send it again.";
    };
    xhr.send(new FormData(form));
  });
});
