// Progressive enhancement only: every page reads without JavaScript. This file runs the
// upload page: drag and drop, progress bars, resumable uploads (see web/upload.py).
"use strict";
(function () {
  const form = document.getElementById("upload");
  if (!form) return;
  const CHUNK = 8 * 1024 * 1024;
  const csrf = form.dataset.csrf;
  const input = document.getElementById("files");
  const drop = document.getElementById("drop");
  const queue = document.getElementById("queue");
  const status = document.getElementById("status");
  const added = document.getElementById("added");
  let files = [];

  function show(list) {
    for (const f of list) {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = f.name;
      name.dir = "auto";
      const bar = document.createElement("progress");
      bar.max = f.size || 1;
      bar.value = 0;
      const pct = document.createElement("span");
      pct.textContent = "0%";
      li.append(name, bar, pct);
      queue.append(li);
      files.push({ file: f, bar: bar, pct: pct, id: null });
    }
  }
  input.addEventListener("change", () => show(input.files));
  ["dragenter", "dragover"].forEach((e) => drop.addEventListener(e, (ev) => { ev.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((e) => drop.addEventListener(e, (ev) => { ev.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (ev) => show(ev.dataTransfer.files));

  function key(f) { return "dhakira-upload:" + f.name + ":" + f.size + ":" + f.lastModified; }

  async function call(method, url, body, headers) {
    const h = Object.assign({ "X-CSRF-Token": csrf }, headers || {});
    const r = await fetch(url, { method: method, body: body, headers: h, credentials: "same-origin" });
    return r;
  }

  function patch(url, offset, blob, onProgress) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open("PATCH", url);
      x.setRequestHeader("X-CSRF-Token", csrf);
      x.setRequestHeader("Upload-Offset", String(offset));
      x.setRequestHeader("Content-Type", "application/offset+octet-stream");
      x.upload.onprogress = (e) => onProgress(e.loaded);
      x.onload = () => (x.status === 204 ? resolve(Number(x.getResponseHeader("Upload-Offset"))) : reject(new Error("HTTP " + x.status)));
      x.onerror = () => reject(new Error("network"));
      x.send(blob);
    });
  }

  async function offsetOf(url) {
    const r = await call("HEAD", url);
    if (!r.ok) return null;
    return Number(r.headers.get("Upload-Offset"));
  }

  async function send(entry) {
    const f = entry.file;
    let id = localStorage.getItem(key(f));
    let offset = id ? await offsetOf("/upload/files/" + id) : null;
    if (offset === null) {
      const r = await call("POST", "/upload/files", JSON.stringify({ name: f.name, size: f.size }), { "Content-Type": "application/json" });
      if (!r.ok) throw new Error((await r.json()).error || "HTTP " + r.status);
      id = (await r.json()).id;
      localStorage.setItem(key(f), id);
      offset = 0;
    }
    const url = "/upload/files/" + id;
    let tries = 0;
    while (offset < f.size) {
      const start = offset;
      try {
        const size = Number(form.dataset.chunk) || CHUNK; // data-chunk: smaller pieces (tests)
        offset = await patch(url, start, f.slice(start, start + size), (n) => {
          entry.bar.value = start + n;
          entry.pct.textContent = Math.floor((100 * (start + n)) / (f.size || 1)) + "%";
        });
        tries = 0;
      } catch (err) {
        if (++tries > 8) throw err;
        await new Promise((ok) => setTimeout(ok, 500 * 2 ** tries));
        const at = await offsetOf(url).catch(() => null);
        if (at !== null) offset = at;
      }
    }
    entry.bar.value = f.size || 1;
    entry.pct.textContent = "100%";
    entry.id = id;
    return id;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!files.length) return;
    const button = document.getElementById("send");
    button.disabled = true;
    status.textContent = "";
    try {
      const ids = [];
      for (const entry of files) ids.push(entry.id || (await send(entry)));
      status.textContent = form.dataset.processing;
      const collection = document.getElementById("collection").value;
      const r = await call("POST", "/upload/finish", JSON.stringify({ ids: ids, collection: collection }), { "Content-Type": "application/json" });
      const out = await r.json();
      if (!r.ok) throw new Error(out.error || "HTTP " + r.status);
      for (const entry of files) localStorage.removeItem(key(entry.file));
      files = [];
      status.textContent = form.dataset.done + ": " + out.summary.new_items + " / " + out.summary.files;
      for (const it of out.items) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = "/items/" + it.sha256;
        a.textContent = it.name;
        a.dir = "auto";
        li.append(a);
        added.append(li);
      }
    } catch (err) {
      status.textContent = form.dataset.failed + ": " + err.message;
    } finally {
      button.disabled = false;
    }
  });
})();
