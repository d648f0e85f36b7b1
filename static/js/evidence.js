// The evidence page with JavaScript: each chosen file starts uploading at
// once, in chunks, with its own progress bar. A chunk that fails (a dropped
// connection) is retried after asking the server how much has arrived, so
// the upload resumes rather than starting again. Without this file the
// page's plain file input and "Add files" button do the same job.
(function () {
  "use strict";
  var form = document.getElementById("evidence-form");
  if (!form || !window.fetch || !window.Blob) { return; }
  var createUrl = form.getAttribute("data-create-url");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var progressArea = document.getElementById("evidence-progress");
  var uploadButton = form.querySelector("[data-upload-button]");
  if (uploadButton) { uploadButton.style.display = "none"; }

  function headers(extra) {
    var h = { "X-CSRFToken": csrf, "X-Requested-With": "fetch" };
    for (var k in extra) { if (Object.prototype.hasOwnProperty.call(extra, k)) { h[k] = extra[k]; } }
    return h;
  }
  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function message(response) {
    return response.json().then(function (body) {
      return (body.errors && body.errors[0] && body.errors[0].message) || "The file could not be added.";
    }, function () { return "The file could not be added."; });
  }

  function row(file) {
    var wrap = document.createElement("div");
    wrap.className = "evidence-progress__file";
    var label = document.createElement("label");
    label.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.id = "progress-" + Math.random().toString(36).slice(2);
    label.htmlFor = bar.id;
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    wrap.appendChild(label); wrap.appendChild(bar); wrap.appendChild(status);
    progressArea.appendChild(wrap);
    return { bar: bar, status: status, wrap: wrap };
  }

  function sendChunks(upload, file, ui, chunkSize) {
    var offset = upload.offset;
    var failures = 0;
    function next() {
      if (offset >= file.size) { return Promise.resolve(); }
      var end = Math.min(offset + chunkSize, file.size);
      return fetch(upload.chunk_url, {
        method: "PATCH",
        credentials: "same-origin",
        headers: headers({ "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" }),
        body: file.slice(offset, end)
      }).then(function (response) {
        if (response.ok || response.status === 409) {
          offset = parseInt(response.headers.get("Upload-Offset"), 10);
          failures = 0;
          ui.bar.value = Math.round((offset / file.size) * 100);
          return next();
        }
        return message(response).then(function (text) { throw new Error(text); });
      }, function () {
        // Dropped connection: ask how much arrived, then carry on from there.
        failures += 1;
        if (failures > 8) { throw new Error("The connection was lost. Try adding the file again."); }
        return wait(Math.min(1000 * failures * failures, 15000)).then(function () {
          return fetch(upload.chunk_url, { method: "HEAD", credentials: "same-origin" });
        }).then(function (response) {
          if (response.ok) { offset = parseInt(response.headers.get("Upload-Offset"), 10); }
          return next();
        }, next);
      });
    }
    return next();
  }

  function uploadFile(file, isStatement) {
    var ui = row(file);
    ui.status.textContent = "Sending…";
    var body = new FormData();
    body.append("filename", file.name);
    body.append("size", String(file.size));
    if (isStatement) { body.append("statement", "1"); }
    return fetch(createUrl, { method: "POST", credentials: "same-origin", headers: headers({}), body: body })
      .then(function (response) {
        if (!response.ok) { return message(response).then(function (text) { throw new Error(text); }); }
        return response.json();
      })
      .then(function (upload) {
        return sendChunks(upload, file, ui, upload.chunk_size).then(function () {
          return fetch(upload.finish_url, { method: "POST", credentials: "same-origin", headers: headers({}) });
        });
      })
      .then(function (response) {
        if (!response.ok) { return message(response).then(function (text) { throw new Error(text); }); }
        return response.json();
      })
      .then(function (item) {
        ui.bar.value = 100;
        ui.status.textContent = item.status_text;
        addToList(item);
      })
      .catch(function (error) {
        ui.status.textContent = error.message;
        ui.status.className = "evidence-progress__error";
      });
  }

  // The new file joins the list with its own "Remove" button (a plain
  // form, as the server renders it).
  function addToList(item) {
    var list = document.getElementById("evidence-list");
    var empty = list.querySelector(".evidence-list__empty");
    if (empty) { list.removeChild(empty); }
    var li = document.createElement("li");
    li.className = "evidence-list__item evidence-list__item--" + item.status;
    li.setAttribute("data-item-id", item.id);
    var name = document.createElement("span");
    name.className = "evidence-list__name";
    name.textContent = item.filename;
    var status = document.createElement("span");
    status.className = "evidence-list__status";
    status.setAttribute("role", "status");
    status.textContent = item.status_text;
    var remove = document.createElement("form");
    remove.method = "post";
    remove.action = form.getAttribute("action");
    remove.className = "evidence-list__remove";
    [["csrfmiddlewaretoken", csrf], ["item", item.id]].forEach(function (pair) {
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = pair[0]; hidden.value = pair[1];
      remove.appendChild(hidden);
    });
    var button = document.createElement("button");
    button.type = "submit"; button.name = "action"; button.value = "remove";
    button.className = "button button--secondary";
    button.textContent = "Remove";
    var hiddenName = document.createElement("span");
    hiddenName.className = "visually-hidden";
    hiddenName.textContent = " " + item.filename;
    button.appendChild(hiddenName);
    remove.appendChild(button);
    li.appendChild(name); li.appendChild(status); li.appendChild(remove);
    list.appendChild(li);
  }

  Array.prototype.forEach.call(form.querySelectorAll("[data-evidence-input]"), function (input) {
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      var isStatement = input.getAttribute("data-statement") === "1";
      files.forEach(function (file) { uploadFile(file, isStatement); });
      input.value = "";
    });
  });
})();
