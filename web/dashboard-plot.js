// Inline SVG plots and the number and time formats of the dashboard
// (dashboard.js): one polyline per run of present values, the warn and
// crit thresholds dashed, the scale and latest value in HTML around it.

import { h } from "./dom.js";

// The SVG namespace as the HTML parser assigns it, so that no file of the
// page spells out a URL (the static-files test rejects any).
const NS = (() => {
  const t = document.createElement("template");
  t.innerHTML = "<svg></svg>";
  return t.content.firstChild.namespaceURI;
})();
const W = 300; // the drawing's user units; it stretches to the figure's width
const H = 100;

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

// Lines keep their width however the drawing is stretched.
const line = (tag, attrs) => svg(tag, { ...attrs, "vector-effect": "non-scaling-stroke" });

const present = (v) => v !== null && v !== undefined;

// plot is the figure of series s ({key, title, unit, percent}) over points
// [[unix seconds, value or null], …], oldest first: the latest value, the
// drawing with check's warn and crit thresholds dashed, the range, and the
// trend (observability §3) when given. The svg keeps the points it drew in
// data-points.
export function plot(s, points, check, trend) {
  const values = points.map((p) => p[1]).filter(present);
  const latest = values.length ? values.at(-1) : null;
  const low = Math.min(...values);
  const peak = Math.max(0, ...values);
  const top = s.percent ? 100 : niceTop(Math.max(peak * 1.1, 1));
  const t0 = points.length ? points[0][0] : 0;
  const span = points.length ? points.at(-1)[0] - t0 : 0;
  const x = (t) => (span > 0 ? ((t - t0) / span) * W : W / 2);
  const y = (v) => H - (Math.min(v, top) / top) * H;

  const lines = runs(points).map((run) => {
    const xy = run.map(([t, v]) => `${round(x(t), 2)},${round(y(v), 2)}`);
    if (xy.length === 1) xy.push(`${round(x(run[0][0]) + 0.5, 2)},${round(y(run[0][1]), 2)}`); // a lone sample still shows
    return line("polyline", { class: "series", points: xy.join(" ") });
  });
  const limits = [["warn", check?.warn], ["crit", check?.crit]]
    .filter(([, v]) => typeof v === "number" && v > 0 && v <= top)
    .map(([level, v]) => line("line", { class: `limit ${level}`, x1: 0, x2: W, y1: y(v), y2: y(v) }));
  const range = values.length ? `min ${num(low)} · max ${num(peak)} · ${values.length} samples over ${duration(span)}` : "no samples yet";
  const now = latest === null ? "—" : `${num(latest)}${s.unit}`;

  const drawing = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img",
    "aria-label": `${s.title}: ${now} now; ${range}`, "data-points": JSON.stringify(points.map(([t, v]) => [t, present(v) ? v : null])) },
  line("line", { class: "axis", x1: 0, x2: W, y1: H / 2, y2: H / 2 }), ...limits, ...lines);
  return h("figure", { class: "plot", dataset: { series: s.key, latest: latest === null ? "" : String(latest) } },
    h("figcaption", {}, h("strong", {}, s.title), " ", h("span", { class: "latest" }, now)),
    h("div", { class: "plot-area" },
      h("span", { class: "axis-top", "aria-hidden": "true" }, `${num(top)}${s.unit}`),
      h("span", { class: "axis-bottom", "aria-hidden": "true" }, "0"),
      drawing),
    h("p", { class: "plot-note muted" }, range, limits.length ? " · dashed: warn / crit" : "", trendText(trend, s.percent ? " points" : s.unit)));
}

// runs splits points into runs of present values: a missing value is a gap.
function runs(points) {
  const out = [[]];
  for (const p of points) {
    if (present(p[1])) out.at(-1).push(p);
    else if (out.at(-1).length) out.push([]);
  }
  return out.filter((run) => run.length);
}

// niceTop is the smallest 1, 2 or 5 × 10^k at or above v.
function niceTop(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((n) => n >= v);
}

function trendText(t, unit) {
  if (!t || t.samples < 2) return "";
  const eta = t.eta_to_critical_seconds === null ? "" : `, critical in about ${duration(t.eta_to_critical_seconds)}`;
  return ` · trend ${t.slope_per_hour >= 0 ? "+" : ""}${num(t.slope_per_hour)}${unit}/h (r² ${round(t.r2, 2)})${eta}${t.warning ? " — trend warning" : ""}`;
}

// ---- formatting ----

export function round(v, digits) {
  return Number(Number(v).toFixed(digits));
}

// num is a number with two decimals below 10, one below 100, none from 100 up.
export function num(v) {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : String(round(v, Math.abs(v) >= 10 ? 1 : 2));
}

const pad = (n) => String(n).padStart(2, "0");

// clock is a Unix-millisecond instant as local HH:MM:SS.
export function clock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// duration is seconds in words: "42 s", "3 min 20 s", "2 h 5 min".
export function duration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

// summary is a value or an object's fields in one short line.
export function summary(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "object") return typeof v === "number" ? num(v) : String(v);
  const text = Object.entries(v).map(([k, x]) => `${k}: ${x !== null && typeof x === "object" ? JSON.stringify(x) : x}`).join(", ");
  return text.length > 240 ? `${text.slice(0, 239)}…` : text;
}
