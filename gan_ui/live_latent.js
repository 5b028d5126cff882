// The explorer's live image in the student's browser (gan_ui/live_latent.py): the generator, exported to ONNX, runs
// here with onnxruntime-web's wasm backend, so a slider's new image needs no round trip to the class's server. The
// point shown goes back to the server (setStateValue "point") a moment after the sliders stop, for the page's other
// parts (an interpolation from "the live image"). Every text comes from the app's translation table, as text.
const cache = (globalThis.__aulaGanLive ??= { runtime: null, models: new Map(), loads: [] });  // loads: where each file came from

// Its look, in the page once (the component is mounted in the page, not in a shadow root: the class names are its own).
const STYLE = `
.aula-live { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.aula-live-picture { flex: 0 0 auto; }
.aula-live-image { image-rendering: pixelated; background: #000; border-radius: 4px; display: block; }
.aula-live-caption, .aula-live-help { font-size: .875rem; opacity: .7; margin: .3rem 0; }
.aula-live-heading { font-weight: 600; margin: .8rem 0 .2rem; }
.aula-live-status { font-size: .875rem; color: #a33; margin: 0; }
.aula-live-controls { flex: 1 1 20rem; min-width: 16rem; }
.aula-live-sliders { display: grid; grid-template-columns: repeat(2, minmax(10rem, 1fr)); gap: .2rem 1.2rem; }
.aula-live-sliders label { display: flex; flex-direction: column; font-size: .875rem; }
.aula-live-sliders .name { display: flex; justify-content: space-between; gap: .5rem; }
.aula-live-sliders .value { font-variant-numeric: tabular-nums; opacity: .7; }
.aula-live-sliders input { width: 100%; accent-color: var(--st-primary-color, #5b4bc4); }
`;
if (!document.getElementById("aula-live-style")) {
  document.head.append(Object.assign(document.createElement("style"), { id: "aula-live-style", textContent: STYLE }));
}

// The runtime's files and the models, kept in this browser between visits (IndexedDB: unlike the Cache API it
// needs no https, and a class's server is often plain http). Streamlit's media files send no caching headers, so
// without this every reload of every student's tab fetched them again (3.8 MB of runtime and 1 to 10 MB a model).
// A media address is named by its file's content (Streamlit's media file id), so a kept file is the file the server
// would send. At most KEEP.bytes are kept; the files used longest ago go first. Where IndexedDB is missing or
// refuses (a private window), the files are simply fetched.
const KEEP = { name: "aula-gan-files", bytes: 64e6 };
let keptFiles = null;

function request(made) {
  return new Promise((resolve, reject) => { made.onsuccess = () => resolve(made.result); made.onerror = () => reject(made.error); });
}

function keptDatabase() {
  keptFiles ??= (async () => {
    const opening = indexedDB.open(KEEP.name, 1);
    opening.onupgradeneeded = () => { opening.result.createObjectStore("files"); opening.result.createObjectStore("used"); };
    return request(opening);
  })();
  return keptFiles;
}

async function keep(db, url, bytes) {
  const write = db.transaction(["files", "used"], "readwrite");
  write.objectStore("files").put(bytes, url);
  write.objectStore("used").put({ at: Date.now(), size: bytes.byteLength }, url);
  await new Promise((resolve, reject) => { write.oncomplete = resolve; write.onerror = () => reject(write.error); });
  const uses = db.transaction("used").objectStore("used");
  const [urls, seen] = await Promise.all([request(uses.getAllKeys()), request(uses.getAll())]);
  let total = seen.reduce((sum, use) => sum + use.size, 0);
  const oldest = urls.map((key, i) => [key, seen[i]]).sort((a, b) => a[1].at - b[1].at);
  const drop = db.transaction(["files", "used"], "readwrite");
  for (const [key, use] of oldest) {
    if (total <= KEEP.bytes || key === url) break;
    drop.objectStore("files").delete(key);
    drop.objectStore("used").delete(key);
    total -= use.size;
  }
}

// A file's bytes: kept here from an earlier visit, or fetched (and then kept).
async function fileBytes(url) {
  let db = null;
  try {
    db = await keptDatabase();
    const bytes = await request(db.transaction("files").objectStore("files").get(url));
    if (bytes) {
      db.transaction("used", "readwrite").objectStore("used").put({ at: Date.now(), size: bytes.byteLength }, url);
      cache.loads.push({ url, from: "kept" });
      return bytes;
    }
  } catch (error) {
    db = null;  // no IndexedDB here: fetch
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${response.status} ${url}`);
  const bytes = await response.arrayBuffer();
  cache.loads.push({ url, from: "network" });
  if (db) keep(db, url, bytes).catch(() => {});  // a full disk or a refusal: the file is still drawn from
  return bytes;
}

async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// The runtime, once per browser tab: its module imported from a blob (the server sends it as bytes), its wasm
// binary unzipped here. One thread: no SharedArrayBuffer needed, nothing else spawned.
function runtime(urls) {
  if (!cache.runtime) {
    cache.runtime = (async () => {
      const [code, wasm] = await Promise.all([
        fileBytes(urls.module),
        fileBytes(urls.wasm).then((gz) => gunzip(new Uint8Array(gz)))]);
      const ort = await import(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      ort.env.wasm.wasmBinary = wasm;
      return ort;
    })();
    cache.runtime.catch(() => { cache.runtime = null; });  // a failed load is tried again at the next render
  }
  return cache.runtime;
}

// A generator's inference session, once per model file (its address names its bytes).
function model(urls) {
  if (!cache.models.has(urls.model)) {
    const made = (async () => {
      const ort = await runtime(urls);
      const bytes = new Uint8Array(await fileBytes(urls.model));
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
      return { ort, session, queue: Promise.resolve() };
    })();
    made.catch(() => cache.models.delete(urls.model));
    cache.models.set(urls.model, made);
  }
  return cache.models.get(urls.model);
}

function element(tag, properties = {}, ...children) {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
}

function slider(container, label, value, step, onInput, onChange) {
  const input = element("input", { type: "range", min: -3, max: 3, step: String(step), value: String(value) });
  input.setAttribute("aria-label", label);
  const shown = element("span", { className: "value", textContent: Number(value).toFixed(2) });
  input.addEventListener("input", () => { shown.textContent = Number(input.value).toFixed(2); onInput(); });
  input.addEventListener("change", onChange);
  container.append(element("label", {}, element("span", { className: "name" },
                                                element("span", { className: "label", textContent: label }), shown),
                           input));
  return input;
}

// The words in the page's language (a language switch keeps the sliders where they are): data.texts by each
// element's data-text, the directions' labels by their order.
function relabel(root, data) {
  for (const item of root.querySelectorAll("[data-text]")) item.textContent = data.texts[item.dataset.text];
  root.querySelector("canvas").setAttribute("aria-label", data.texts.caption);
  root.querySelectorAll(".aula-live-directions label").forEach((label, k) => {
    label.querySelector(".label").textContent = data.direction_labels[k];
    label.querySelector("input").setAttribute("aria-label", data.direction_labels[k]);
  });
}

function paint(canvas, pixels, [H, W, C]) {
  canvas.width = W;
  canvas.height = H;
  const context = canvas.getContext("2d");
  const picture = context.createImageData(W, H);
  for (let p = 0; p < H * W; p++) {
    for (let c = 0; c < 3; c++) {
      const v = pixels[p * C + (C === 1 ? 0 : c)];
      picture.data[p * 4 + c] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
    }
    picture.data[p * 4 + 3] = 255;
  }
  context.putImageData(picture, 0, 0);
}

// Built once per generator and start point (data.build names them); a render with the same build keeps the sliders
// where the student left them and redraws only if the class changed.
function build(parent, data) {
  const D = data.latent_dim;
  const root = element("div", { className: "aula-live" });
  root.dataset.build = data.build;
  root.dataset.painted = "0";
  const canvas = element("canvas", { className: "aula-live-image", width: data.image_shape[1],
                                      height: data.image_shape[0] });
  canvas.style.width = canvas.style.height = `${data.preview_pixels}px`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", data.texts.caption);
  const status = element("p", { className: "aula-live-status", textContent: data.texts.loading });
  const dims = element("div", { className: "aula-live-sliders" });
  const directions = element("div", { className: "aula-live-sliders aula-live-directions" });
  const text = (className, key) => {
    const made = element("p", { className });
    made.dataset.text = key;
    return made;
  };
  root.append(
    element("div", { className: "aula-live-picture" }, canvas, text("aula-live-caption", "caption"), status),
    element("div", { className: "aula-live-controls" }, text("aula-live-help", "dims_help"), dims,
            text("aula-live-heading", "directions"), text("aula-live-help", "directions_help"), directions));
  parent.replaceChildren(root);

  let loaded = null, drawing = false, again = false, syncTimer = null;
  const point = () => {
    const z = Float32Array.from(data.base);
    dimInputs.forEach((input, i) => { z[i] = Number(input.value); });
    directionInputs.forEach((input, k) => {
      const amount = Number(input.value), vector = data.directions[k];
      for (let i = 0; i < D; i++) z[i] += amount * vector[i];
    });
    return z;
  };
  // One generator call at a time; a slider moved while one runs is drawn once, at its newest position.
  const draw = async () => {
    if (drawing) { again = true; return; }
    drawing = true;
    root.dataset.drawing = "1";  // until the newest position is drawn (tests and the load test wait on it)
    try {
      do {
        again = false;
        const { ort, session } = await loaded;
        const label = root.latest.data.label;
        const feeds = { latent: new ort.Tensor("float32", point(), [1, D]) };
        if (label !== null) feeds.label = new ort.Tensor("int32", Int32Array.of(label), [1, 1]);
        const result = await session.run(feeds);
        paint(canvas, result.image.data, data.image_shape);
        root.dataset.painted = String(Number(root.dataset.painted) + 1);
      } while (again);
      status.textContent = "";
    } catch (error) {
      status.textContent = `${data.texts.failed} ${error && error.message || error}`;
      root.dataset.failed = "1";
    } finally {
      drawing = false;
      delete root.dataset.drawing;
    }
  };
  // The point goes back to the server once the sliders rest (each send reruns the live part of the page there).
  const sync = () => {
    clearTimeout(syncTimer);
    syncTimer = setTimeout(() => root.latest.setStateValue("point", {
      build: data.build, z: dimInputs.map((input) => Number(input.value)),
      directions: directionInputs.map((input) => Number(input.value)) }), data.sync_ms);
  };
  const dimInputs = data.dim_values.map((value, i) => slider(dims, `z[${i}]`, value, 0.05, draw, sync));
  const directionInputs = data.direction_values.map(
    (value, k) => slider(directions, data.direction_labels[k], value, 0.1, draw, sync));
  loaded = model(data.urls);
  root.draw = draw;
  return root;
}

export default function ({ data, parentElement, setStateValue }) {
  let root = parentElement.querySelector(".aula-live");
  const previous = root && root.dataset.build === data.build ? root.latest.data : null;
  if (!previous) root = build(parentElement, data);
  root.latest = { data, setStateValue };  // what the sliders' next draw and send use
  relabel(root, data);
  if (!previous || previous.label !== data.label) root.draw();
}
