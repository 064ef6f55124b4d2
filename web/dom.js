// Small DOM helpers: element building, re-rendering that keeps the keyboard
// focus, countdowns against the server clock, and piece chips.

import { PIECES } from "./rules.js";

// h builds an element: attrs holds attributes, "on<event>" handlers,
// "dataset" and boolean properties (disabled, hidden); children are nodes,
// strings or arrays of them (null and false are skipped).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "disabled" || k === "hidden") el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// replace swaps a container's children. Elements carry a data-key so that
// the element focused before (a piece, a button) is focused again after.
export function replace(container, ...children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : undefined;
  container.replaceChildren();
  append(container, children);
  if (key !== undefined) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again && !again.disabled) again.focus();
  }
}

// The server clock's offset from the local one, set from each view's
// server_time, so that deadlines (server instants) count down correctly.
let offsetMs = 0;

export function syncServerClock(serverTime) {
  offsetMs = serverTime - Date.now();
}

function secondsLeft(deadline) {
  return Math.max(0, Math.ceil((deadline - (Date.now() + offsetMs)) / 1000));
}

// countdown is an element showing the seconds left until deadline; tick
// refreshes every countdown on the page.
export function countdown(deadline, label = "") {
  if (deadline === null || deadline === undefined) return null;
  const el = h("span", { class: "countdown", role: "timer", dataset: { deadline: String(deadline) } });
  el.dataset.label = label;
  paint(el);
  return el;
}

function paint(el) {
  const s = secondsLeft(Number(el.dataset.deadline));
  el.textContent = `${el.dataset.label}${s} s`;
  el.classList.toggle("urgent", s <= 5);
}

export function tick() {
  for (const el of document.querySelectorAll(".countdown")) paint(el);
}

const NAMES = {
  GENERAL: "General",
  ADVISOR: "Advisor",
  ELEPHANT: "Elephant",
  CHARIOT: "Chariot",
  HORSE: "Horse",
  CANNON: "Cannon",
  SOLDIER: "Soldier",
};

// pieceLabel is a piece in words, e.g. "red Advisor (12)".
function pieceLabel(id) {
  const p = PIECES[id];
  return `${p.colour.toLowerCase()} ${NAMES[p.name]} (${p.points})`;
}

// piece is a chip showing a piece's glyph in its colour; data-piece names
// it and data-place says where it is shown ("hand" or "played"). The hand
// uses buttons (tag), other places spans; attrs adds attributes.
export function piece(id, place, attrs = {}, tag = "span") {
  const p = PIECES[id];
  return h(
    tag,
    {
      ...attrs,
      class: `piece ${p.colour.toLowerCase()}${attrs.class ? " " + attrs.class : ""}`,
      title: pieceLabel(id),
      dataset: { piece: String(id), place, ...(attrs.dataset || {}) },
    },
    h("span", { class: "glyph", "aria-hidden": "true" }, p.glyph),
    h("span", { class: "points", "aria-hidden": "true" }, String(p.points)),
    h("span", { class: "sr" }, pieceLabel(id)),
  );
}
