// The studio page: images swap by themselves when the server re-renders an output
// (Server-Sent Events from /events), guides and preflight marks are drawn over each
// image in SVG from the product and profile data (never baked into the PDF). The
// page tells the server which outputs are in view (/look): those re-render first.
// The close look (/zoom/...) swaps its tiles the same way.
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
  // Each label on a white tab, dark blue on white (WCAG AA), whatever the panel's colour.
  if (folds.length) {
    const edges = [tx, ...folds, tx + tw];
    const em = Math.max(w / 30, 4);
    edges.slice(0, -1).forEach((x0, i) => {
      const label = `panel ${i + 1}`;
      const x = (x0 + edges[i + 1]) / 2;
      const tab = label.length * em * 0.55 + em * 0.6;
      svg.append(el("rect", { class: "guide folds tab", x: x - tab / 2, y: ty + th - 3 - em * 0.95, width: tab, height: em * 1.25, rx: em * 0.2 }));
      svg.append(el("text", { class: "guide folds label", x, y: ty + th - 3 }, label));
    });
  }
  g.qr.filter((q) => q.page === page).forEach((q) => svg.append(rect("qr", q.box)));
  const list = figure.querySelector("ol.problems");
  list.replaceChildren();
  let n = 0;
  for (const p of state.error.length ? [] : state.problems) {
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
  title.textContent = "Not rendered: the last good proof stays on screen.";
  box.append(title);
  for (const p of state.error) {
    const line = document.createElement("pre");
    line.textContent = p.text;
    box.append(line);
  }
  box.hidden = false;
}

function describe(state) {
  const errors = state.problems.filter((p) => p.level === "error").length;
  return state.error.length ? "not rendered: see the error"
    : `v${state.version}, ${state.seconds ?? "?"} s · ` + (state.checking ? "preflight checking…"
      : errors ? `${errors} preflight error(s)` : "preflight clean");
}

function update(state) {
  const figures = document.querySelectorAll(`figure.sheet[data-key="${CSS.escape(state.key)}"]`);
  for (const figure of figures) {
    showError(figure, state);
    drawOverlay(figure, state);
    figure.querySelector(".info").textContent = describe(state);
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
  const fit = document.getElementById("fit");
  let mm = Number(slider.value);
  const figures = document.querySelectorAll("figure.sheet");
  // Fitted: the largest page (a 6-sheet) as large as the window allows, the others at
  // the same pixels per mm, so relative sizes stay true.
  if (fit.checked) {
    const main = document.getElementById("main");
    const style = getComputedStyle(main);
    const width = main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const height = window.innerHeight - 90; // a caption's room under the page
    for (const figure of figures) {
      mm = Math.min(mm, width / Number(figure.dataset.w), height / Number(figure.dataset.h));
    }
  }
  const shown = mm < Number(slider.value) ? ` (${mm.toFixed(2)} to fit the window)` : "";
  document.getElementById("scale-value").textContent = `${slider.value} px per mm${shown}`;
  for (const figure of figures) {
    // True relative scale: every page at the same pixels per millimetre.
    figure.querySelector(".frame").style.width = `${Number(figure.dataset.w) * mm}px`;
    figure.style.maxWidth = `${Math.max(Number(figure.dataset.w) * mm, 160)}px`;
  }
  localStorage.setItem("studio-scale", slider.value);
  localStorage.setItem("studio-fit", fit.checked ? "1" : "0");
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

// What is wrong across every output on the page (not only the latest update's).
function summary(states, updated) {
  const all = Object.values(states);
  const failing = all.filter((s) => s.error.length);
  const withErrors = all.filter((s) => !s.error.length && s.problems.some((p) => p.level === "error"));
  const errors = withErrors.reduce((n, s) => n + s.problems.filter((p) => p.level === "error").length, 0);
  const checking = all.filter((s) => s.checking).length;
  const parts = [];
  if (failing.length) {
    parts.push(`Not rendered (${failing.length} output(s): ${failing.map((s) => s.key).join(", ")}): `
      + failing[0].error[0].text.split("\n")[0]);
  }
  if (errors) {
    parts.push(`${errors} preflight error(s) in ${withErrors.map((s) => s.key).join(", ")}, listed under each page.`);
  }
  const pending = all.filter((s) => !s.version && !s.error.length).length;
  if (pending) parts.push(`Rendering ${pending} output(s)…`);
  if (checking) parts.push(`Preflight checking ${checking} output(s)…`);
  if (!parts.length) parts.push(`All ${all.length} output(s) rendered, preflight clean.`);
  if (updated && updated.length) parts.push(`Last updated: ${updated.join(", ")}.`);
  return parts.map((part) => (/[.…:]$/.test(part) ? part : `${part}.`)).join(" ");
}

// Tell the server which outputs are in view, the one under the pointer first, then
// nearest the middle of the window (what the designer is looking at): it re-renders
// them in that order after a save.
function reportInView(figures) {
  let timer = null;
  let sent = "";
  let pointed = null;
  const send = (always) => {
    const middle = [window.innerWidth / 2, window.innerHeight / 2];
    const seen = [];
    for (const figure of figures) {
      const box = figure.querySelector(".frame").getBoundingClientRect();
      const [left, top] = [Math.max(box.left, 0), Math.max(box.top, 0)];
      const [right, bottom] = [Math.min(box.right, window.innerWidth), Math.min(box.bottom, window.innerHeight)];
      if (right <= left || bottom <= top) continue;
      seen.push([Math.hypot((left + right) / 2 - middle[0], (top + bottom) / 2 - middle[1]), figure.dataset.key]);
    }
    seen.sort((a, b) => a[0] - b[0]);
    const keys = seen.map(([, key]) => key);
    if (pointed && keys.includes(pointed)) keys.unshift(pointed);
    const body = JSON.stringify([...new Set(keys)]);
    if (body === sent && !always) return;
    sent = body;
    fetch("/look", { method: "POST", headers: { "Content-Type": "application/json" }, body }).catch(() => {});
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(send, 100);
  };
  for (const figure of figures) {
    figure.addEventListener("pointerenter", () => {
      pointed = figure.dataset.key;
      later();
    });
  }
  window.addEventListener("scroll", later, { passive: true });
  window.addEventListener("resize", later);
  window.addEventListener("focus", () => send(true)); // the window the designer came back to
  send(true);
}

// The close look: tiles of the current PDF, swapped when the output re-renders.
function zoomPage(figure, state) {
  const apply = (fresh) => {
    showError(figure, fresh);
    figure.querySelector(".info").textContent = describe(fresh);
    if (fresh.error.length || Number(figure.dataset.version) === fresh.version) return;
    figure.dataset.version = String(fresh.version);
    for (const tile of figure.querySelectorAll("img.tile")) {
      tile.src = tile.src.replace(/v=\d+/, `v=${fresh.version}`);
      tile.srcset = tile.srcset.replace(/v=\d+/, `v=${fresh.version}`);
    }
  };
  apply(state);
  listen([figure.dataset.key], (data) => {
    const fresh = data.states[figure.dataset.key];
    if (fresh) apply(fresh);
  });
}

// The changes view: while the approved set renders, and whenever it renders again,
// the list is fetched again and put in place of the old one (no reload: the reader's
// place and focus stay; the status line says what changed).
function watchChanges(shown) {
  let timer = null;
  const later = (ms) => {
    if (!timer) timer = setTimeout(refresh, ms);
  };
  async function refresh() {
    let fresh;
    try {
      const response = await fetch(window.location.href, { cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch {
      timer = null;
      later(5000);
      return;
    }
    timer = null;
    const list = document.querySelector("ul.changes");
    const freshList = fresh.querySelector("ul.changes");
    if (list.innerHTML !== freshList.innerHTML) list.replaceWith(freshList);
    const status = document.getElementById("status");
    const now = fresh.getElementById("status");
    status.dataset.rendering = now.dataset.rendering;
    if (status.textContent !== now.textContent) status.textContent = now.textContent;
    if (Number(now.dataset.rendering)) later(1000);
  }
  if (Number(document.getElementById("status").dataset.rendering)) later(1000);
  listen(shown, () => later(1000));
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
  const zoomed = document.querySelector("figure.zoom");
  if (zoomed) {
    zoomPage(zoomed, readJSON("zoom-state"));
    return;
  }
  // The chooser changes what is shown only with its button (WCAG 3.2.2: no change of
  // page on choosing an option).
  if (document.body.querySelector(".changes")) {
    watchChanges(shown);
    return;
  }
  const slider = document.getElementById("scale");
  slider.value = localStorage.getItem("studio-scale") || slider.value;
  slider.addEventListener("input", applyScale);
  const fit = document.getElementById("fit");
  fit.checked = localStorage.getItem("studio-fit") !== "0";
  fit.addEventListener("change", applyScale);
  window.addEventListener("resize", applyScale);
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
      states[fresh.key] = fresh;
      update(fresh);
      setStatus(summary(states));
    }, { once: true });
  }
  reportInView(document.querySelectorAll("figure.sheet"));
  // The status line says what is wrong on this page, across every output on it.
  if (Object.values(states).some((s) => s.error.length || s.problems.length)) setStatus(summary(states));
  listen(shown, (data) => {
    const mine = data.outputs.filter((key) => shown.includes(key) && data.states[key]);
    if (!mine.length) return; // another page's output (e.g. the approved set, for the changes view)
    for (const key of mine) {
      states[key] = data.states[key];
      update(states[key]);
    }
    setStatus(summary(states, mine));
  });
});
