// The studio page: images swap by themselves when the server re-renders an output
// (Server-Sent Events from /events), guides and preflight marks are drawn over each
// image in SVG from the product and profile data (never baked into the PDF).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const GUIDES = ["trim", "bleed", "safe", "folds", "qr", "problems"];

function readJSON(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function rect(kind, [x, y, w, h]) {
  return el("rect", { class: `guide ${kind}`, x, y, width: w, height: h });
}

// Guides and problem marks of one page, in mm of the PDF page (MediaBox).
function drawOverlay(figure, state) {
  const page = Number(figure.dataset.page);
  const svg = figure.querySelector("svg.overlay");
  const g = state.guides;
  const [w, h] = g.media_mm;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.style.fontSize = `${Math.max(w / 30, 4)}px`; // labels: about the same size on screen at any trim
  svg.replaceChildren();
  if (g.bleed) svg.append(rect("bleed", g.bleed));
  svg.append(rect("trim", g.trim));
  svg.append(rect("safe", g.safe));
  const [tx, ty, tw, th] = g.trim;
  const folds = g.folds[page - 1] || [];
  folds.forEach((x) => svg.append(el("line", { class: "guide folds", x1: x, y1: ty, x2: x, y2: ty + th })));
  // Panels: the spaces between folds, numbered as a finisher counts them.
  if (folds.length) {
    const edges = [tx, ...folds, tx + tw];
    edges.slice(0, -1).forEach((x0, i) =>
      svg.append(el("text", { class: "guide folds label", x: (x0 + edges[i + 1]) / 2, y: ty + th - 3 }, `panel ${i + 1}`)));
  }
  g.qr.filter((q) => q.page === page).forEach((q) => svg.append(rect("qr", q.box)));
  const list = figure.querySelector("ol.problems");
  list.replaceChildren();
  let n = 0;
  for (const p of state.problems) {
    if (p.page !== undefined && p.page !== page) continue;
    n += 1;
    if (p.box_mm) {
      const [x, y, bw, bh] = p.box_mm;
      svg.append(el("rect", { class: `guide problems ${p.level}`, x: tx + x, y: ty + y, width: Math.max(bw, 1), height: Math.max(bh, 1) }));
      svg.append(el("text", { class: "guide problems label", x: tx + x + 0.5, y: ty + y - 0.5 }, String(n)));
    }
    const item = document.createElement("li");
    item.className = `problem ${p.level}`;
    item.innerHTML = "";
    const head = document.createElement("strong");
    head.textContent = `${p.level}${p.check ? " · " + p.check : ""}: `;
    item.append(head, p.what);
    if (p.field) {
      const code = document.createElement("code");
      code.textContent = p.field;
      item.append(" ", code);
    }
    if (p.hint) {
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = ` ${p.hint}`;
      item.append(hint);
    }
    list.append(item);
  }
}

function showError(figure, state) {
  const box = figure.querySelector(".render-error");
  if (!state.error.length) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = "Not rendered: the last good proof is shown.";
  box.append(title);
  for (const p of state.error) {
    const line = document.createElement("pre");
    line.textContent = p.text;
    box.append(line);
  }
  box.hidden = false;
}

function update(state) {
  const figures = document.querySelectorAll(`figure.sheet[data-key="${CSS.escape(state.key)}"]`);
  for (const figure of figures) {
    showError(figure, state);
    drawOverlay(figure, state);
    const errors = state.problems.filter((p) => p.level === "error").length;
    const info = figure.querySelector(".info");
    info.textContent = state.error.length ? "error: see above"
      : `v${state.version}, ${state.seconds ?? "?"} s` + (errors ? ` · ${errors} preflight error(s)` : " · preflight clean");
    const img = figure.querySelector("img");
    if (!state.error.length && Number(figure.dataset.version || 0) !== state.version && state.version) {
      const next = new Image();
      next.onload = () => {
        img.src = next.src;
        figure.dataset.version = String(state.version);
        figure.dataset.loadedAt = String(Date.now()); // for the tests and the bench: save -> visible
      };
      next.src = `/proof/${state.key}/${figure.dataset.page}.png?v=${state.version}`;
    }
  }
}

function applyScale() {
  const slider = document.getElementById("scale");
  if (!slider) return;
  const mm = Number(slider.value);
  document.getElementById("scale-value").textContent = `${mm} px per mm`;
  for (const figure of document.querySelectorAll("figure.sheet")) {
    // True relative scale: every page at the same pixels per millimetre.
    figure.querySelector(".frame").style.width = `${Number(figure.dataset.w) * mm}px`;
    figure.style.maxWidth = `${Math.max(Number(figure.dataset.w) * mm, 160)}px`;
  }
  localStorage.setItem("studio-scale", slider.value);
}

function applyGuides() {
  for (const name of GUIDES) {
    const box = document.querySelector(`#guides input[name="${name}"]`);
    if (!box) continue;
    document.body.classList.toggle(`hide-${name}`, !box.checked);
    localStorage.setItem(`studio-guide-${name}`, box.checked ? "1" : "0");
  }
}

function setStatus(text) {
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}

function listen(shown, onRender) {
  const query = shown.map((k) => `show=${encodeURIComponent(k)}`).join("&");
  const source = new EventSource(`/events?${query}`);
  source.addEventListener("render", (event) => onRender(JSON.parse(event.data)));
  let lost = false;
  source.onerror = () => {
    lost = true;
    setStatus("The studio is not answering: is `campaign-print studio` still running?");
  };
  source.onopen = () => {
    if (lost) setStatus("Watching for saves.");
    lost = false;
  };
}

document.addEventListener("DOMContentLoaded", () => {
  const shown = readJSON("shown") || [];
  // The chooser changes what is shown only with its button (WCAG 3.2.2: no change of
  // page on choosing an option).
  if (document.body.querySelector(".changes")) {
    // The changes view: a re-render of the approved set may change the list.
    listen(shown, () => setTimeout(() => window.location.reload(), 300));
    return;
  }
  const slider = document.getElementById("scale");
  slider.value = localStorage.getItem("studio-scale") || slider.value;
  slider.addEventListener("input", applyScale);
  applyScale();
  for (const name of GUIDES) {
    const box = document.querySelector(`#guides input[name="${name}"]`);
    box.checked = localStorage.getItem(`studio-guide-${name}`) !== "0";
    box.addEventListener("change", applyGuides);
  }
  applyGuides();
  const states = readJSON("states") || {};
  for (const figure of document.querySelectorAll("figure.sheet")) {
    const state = states[figure.dataset.key];
    figure.dataset.version = String(state ? state.version : 0); // the image in the HTML is that version
    if (state) update(state);
    // Not rendered when the page was made: the image request waited for the render,
    // so its state is ready once the image is.
    figure.querySelector("img").addEventListener("load", async () => {
      if (figure.dataset.version !== "0") return;
      const response = await fetch(`/state/${figure.dataset.key}.json`);
      if (!response.ok) return;
      const fresh = await response.json();
      figure.dataset.version = String(fresh.version);
      update(fresh);
    }, { once: true });
  }
  // The status line says what went wrong on this page, or what was last updated.
  const failing = new Map();
  listen(shown, (data) => {
    const mine = data.outputs.filter((key) => shown.includes(key) && data.states[key]);
    if (!mine.length) return; // another page's output (e.g. the approved set, for the changes view)
    for (const key of mine) {
      const state = data.states[key];
      update(state);
      if (state.error.length) failing.set(key, state.error[0].text.split("\n")[0]);
      else failing.delete(key);
    }
    const [first] = failing.values();
    // An update with preflight errors is not "done": say how many and where to look.
    const withErrors = mine.filter((key) => data.states[key].problems.some((p) => p.level === "error"));
    const errors = withErrors.reduce((n, key) =>
      n + data.states[key].problems.filter((p) => p.level === "error").length, 0);
    setStatus(first ? `Not rendered (${failing.size} output(s)): ${first}`
      : errors ? `Updated ${mine.join(", ")}: ${errors} preflight error(s) in ${withErrors.join(", ")}, listed under each page.`
      : `Updated ${mine.join(", ")}: preflight clean.`);
  });
});
