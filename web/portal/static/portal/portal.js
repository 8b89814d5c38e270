// The portal's only script (no inline scripts: the Content-Security-Policy forbids them).
// - GOV.UK Frontend components
// - live proofs: debounced POST of the form to the proof endpoint of each chosen product
// - proofs on the review page (GET), build progress (polling)
import { initAll } from "../govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

const DEBOUNCE_MS = 350;

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function showProof(section, data) {
  const pages = section.querySelector("[data-proof-pages]");
  const problems = section.querySelector("[data-proof-problems]");
  const status = section.querySelector("[data-proof-status]");
  pages.replaceChildren(...data.pages.map((src, i) => el("img", {
    src, class: "app-proof__page",
    alt: `Proof of the ${data.name}, page ${i + 1} of ${data.pages.length}`,
  })));
  const serious = data.problems.filter((p) => p.check !== "unconfirmed-number");
  const numbers = data.problems.filter((p) => p.check === "unconfirmed-number");
  const items = [];
  for (const p of serious) {
    const li = el("li", { class: p.level === "error" ? "app-problem app-problem--error" : "app-problem" });
    li.append(el("strong", {}, p.level === "error" ? "Must fix: " : "Check: "), document.createTextNode(p.what));
    if (p.hint) li.append(el("br"), el("span", { class: "app-problem__hint" }, p.hint));
    items.push(li);
  }
  for (const p of numbers) {
    items.push(el("li", { class: "app-problem" },
      `The number ${p.number} is not one of the campaign's support numbers: a coordinator will check it with you before printing.`));
  }
  problems.replaceChildren(...(items.length ? [el("ul", { class: "govuk-list app-problems" })] : []));
  if (items.length) problems.firstChild.append(...items);
  const parts = [];
  if (serious.length) parts.push(`${serious.length} problem${serious.length === 1 ? "" : "s"} to look at`);
  if (numbers.length) parts.push(`${numbers.length} phone number${numbers.length === 1 ? "" : "s"} for a coordinator to confirm`);
  status.textContent = parts.length ? `Proof updated: ${parts.join(", ")}.` : "Proof updated: no problems found.";
  section.dataset.proofState = "ready";
}

function csrf(form) {
  return form.querySelector("input[name=csrfmiddlewaretoken]").value;
}

const inflight = new Map();

// The width the proof's pages are shown at, in device pixels: the server draws them so.
function shownWidth(section) {
  const box = section.querySelector("[data-proof-pages]");
  return Math.round((box.clientWidth || section.clientWidth || 600) * (window.devicePixelRatio || 1));
}

// A proof is made by the proof workers: the answer is the proof (made before), or
// 202 with the address to wait at; 410 there means it was dropped or lost: ask again.
async function fetchProof(section, form, signal) {
  for (let asked = 0; asked < 3; asked++) {
    const init = { signal, credentials: "same-origin", headers: {} };
    let url = section.dataset.proofUrl;
    if (form) {
      init.method = "POST";
      init.body = new FormData(form);
      init.body.set("width", shownWidth(section));
      init.headers["X-CSRFToken"] = csrf(form);
    } else {
      url += `?width=${shownWidth(section)}`;
    }
    let response = await fetch(url, init);
    while (response.status === 202) {
      const { result } = await response.json();
      response = await fetch(result, { signal, credentials: "same-origin" });
    }
    if (response.status !== 410) return response;
  }
  throw new Error("the proof was not made");
}

async function refresh(section, form) {
  const status = section.querySelector("[data-proof-status]");
  inflight.get(section)?.abort();
  const ctrl = new AbortController();
  inflight.set(section, ctrl);
  section.dataset.proofState = "loading";
  status.textContent = "Updating the proof…";
  try {
    const response = await fetchProof(section, form, ctrl.signal);
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    showProof(section, await response.json());
  } catch (err) {
    if (err.name === "AbortError") return;
    section.dataset.proofState = "error";
    status.textContent = `The proof could not be made (${err.message}). Try again in a moment.`;
  }
}

function liveProofs(form) {
  const sections = [...document.querySelectorAll("[data-proof-live]")];
  const boxes = [...form.querySelectorAll("input[name=products]")];
  let timer = null;
  const chosen = () => new Set(boxes.filter((b) => b.checked).map((b) => b.value));
  const update = () => {
    const wanted = chosen();
    for (const s of sections) {
      s.hidden = !wanted.has(s.dataset.proof);
      if (!s.hidden) refresh(s, form);
    }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(update, DEBOUNCE_MS); };
  form.querySelectorAll("[data-proof-input]").forEach((i) => i.addEventListener("input", later));
  boxes.forEach((b) => b.addEventListener("change", update));
  update();
}

function buildProgress(box) {
  const bar = box.querySelector("progress");
  const text = box.querySelector("[data-status-text]");
  const poll = async () => {
    const response = await fetch(box.dataset.statusUrl, { credentials: "same-origin" });
    if (response.ok) {
      const s = await response.json();
      bar.value = s.percent;
      bar.textContent = `${s.percent}%`;
      text.textContent = `${s.done} of ${s.total || "?"} files built.`;
      if (s.status !== "approved") { window.location.reload(); return; }
    }
    setTimeout(poll, 1500);
  };
  setTimeout(poll, 1000);
}

const liveForm = document.querySelector("form[data-live-proof]");
if (liveForm) liveProofs(liveForm);
document.querySelectorAll("[data-proof]:not([data-proof-live])").forEach((s) => refresh(s, null));
document.querySelectorAll("[data-status-url]").forEach(buildProgress);
