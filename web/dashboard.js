// The ops dashboard at /dashboard: overall and component status, plots of
// the monitor's history, rooms, recovery and, with the admin token (kept in
// sessionStorage, so for this tab only), the _system stream and the log
// ring. It polls the REST routes of protocol §11 and fetches nothing else.

import { h, replace } from "./dom.js";
import { clock, duration, num, plot, round, summary } from "./dashboard-plot.js";
import { PHASES } from "./text.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "liaptui.adminToken";
const RING_SAMPLES = 180; // history entries asked for (protocol §11.5 allows 1–720)
const LOCAL_SAMPLES = 180; // polled samples kept for the series the ring's JSON lacks
const SYSTEM_KEPT = 25; // _system events shown
const WORDS = { healthy: "Healthy", warning: "Warning", critical: "Critical", unknown: "Unknown" };

// The nine components of observability §1.4 and the checks behind each.
const COMPONENTS = [
  ["memory", "Memory", ["system:memory"]],
  ["cpu", "CPU", ["system:cpu"]],
  ["disk", "Disk", ["system:disk"]],
  ["websocket", "WebSocket", ["websocket:connections", "websocket:pending"]],
  ["messages", "Message delivery", ["websocket:delivery_rate", "websocket:failure_rate"]],
  ["database", "Event store", ["database:response", "database:append"]],
  ["canary", "Canary game", ["canary:game"]],
  ["runtime", "Runtime", ["system:process_rss", "system:goroutines"]],
  ["game", "Game", ["game:rooms", "game:players", "game:room_faults"]],
];

// Plotted series: a key of health.history, or, with value, a number read
// from each polled sample and kept here (state.local, one per checked_at).
// check names the check whose thresholds are drawn; trend a key of
// health.trend.
const SERIES = [
  { key: "cpu", title: "CPU", unit: " %", percent: true, check: "system:cpu" },
  { key: "memory", title: "Memory", unit: " %", percent: true, check: "system:memory", trend: "memory" },
  { key: "connections", title: "Connections", unit: "", check: "websocket:connections", trend: "connections" },
  { key: "pending", title: "Pending frames", unit: "", check: "websocket:pending" },
  { key: "rooms", title: "Live rooms", unit: "", check: "game:rooms", value: (hl) => hl.checks["game:rooms"]?.value?.rooms },
  { key: "append", title: "Append p99", unit: " ms", check: "database:append", value: (hl) => hl.metrics.database?.value?.append_p99_ms },
];

const PROCEDURES = ["stale_connections", "high_pending_messages", "room_state_corruption", "client_desync",
  "database_connection_loss", "memory_pressure", "system_overload"];

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || "",
  adminError: "", // why the admin routes are not polled ("" while the token works)
  health: null,
  local: [], // {t, rooms, append}
  rooms: null,
  recovery: null,
  system: { events: [], after: null, note: "" }, // after: seq to read from next
  logs: null,
  logsNote: "",
  logFilter: { level: "info", category: "", correlation: "" }, // as last applied

  failures: {}, // route → error text of its latest failed poll
  polls: 0,
  paused: false,
  timer: 0,
  polling: false, // a poll is in flight
  again: false, // poll again as soon as it ends (the filter or token changed meanwhile)
  waitMs: 0, // extra wait a 429 asked for
};

class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const e = (body && body.error) || {};
    super(`${status} ${e.code || ""} ${e.message || ""}`.trim());
    this.status = status;
    this.code = e.code || "";
    this.retryAfterMs = retryAfter * 1000;
  }
}

async function getJSON(path, admin = false) {
  const headers = admin ? { Authorization: `Bearer ${state.token}` } : {};
  const resp = await fetch(path, { headers, cache: "no-store" });
  const body = await resp.json().catch(() => null);
  if (!resp.ok) throw new ApiError(resp.status, body, Number(resp.headers.get("Retry-After")) || 0);
  return body;
}

// poll reads every source once, then renders and schedules the next poll.
async function poll() {
  clearTimeout(state.timer);
  state.polling = true;
  const [health, rooms, recovery] = await Promise.allSettled([
    getJSON(`/health/detailed?history=${RING_SAMPLES}`), getJSON("/rooms?limit=500"), getJSON("/recovery/status")]);
  keep("health", health, (v) => {
    state.health = v.health;
    remember(v.health);
  });
  keep("rooms", rooms, (v) => (state.rooms = v));
  keep("recovery", recovery, (v) => (state.recovery = v));
  if (state.token && !state.adminError) await Promise.all([pollSystem(), pollLogs()]);
  state.polls++;
  state.polling = false;
  render();
  if (state.again) {
    state.again = false;
    poll();
  } else schedule();
}

function keep(route, result, use) {
  if (result.status === "fulfilled") {
    delete state.failures[route];
    use(result.value);
    return;
  }
  const err = result.reason;
  state.failures[route] = err instanceof ApiError ? err.message : "the server cannot be reached";
  if (err.status === 429) state.waitMs = Math.max(state.waitMs, err.retryAfterMs);
}

function schedule() {
  if (state.paused) return;
  const every = Number($("refresh-every").value) * 1000;
  state.timer = setTimeout(poll, Math.max(every, state.waitMs));
  state.waitMs = 0;
}

// remember adds the snapshot's local series values, once per sample.
function remember(hl) {
  if (hl.checked_at === null || state.local.at(-1)?.t === hl.checked_at) return;
  const sample = { t: hl.checked_at };
  for (const s of SERIES) if (s.value) sample[s.key] = s.value(hl) ?? null;
  state.local.push(sample);
  if (state.local.length > LOCAL_SAMPLES) state.local.shift();
}

// adminFailed stops admin polling on an authentication answer to token,
// unless the operator has entered another token since.
function adminFailed(err, token) {
  if (err.status !== 401 && err.status !== 403) return false;
  if (token === state.token) state.adminError = `The admin token was refused (${err.message}). Enter the right one.`;
  return true;
}

function resetAdmin() {
  state.adminError = "";
  state.system = { events: [], after: null, note: "" };
  state.logs = null;
  state.logsNote = "";
}

// pollSystem reads the _system stream forward from the events seen; the
// first read starts SYSTEM_KEPT events before its head.
async function pollSystem() {
  const sys = state.system;
  const token = state.token;
  try {
    if (sys.after === null) {
      const head = await getJSON("/rooms/_system/events/0?limit=1", true);
      sys.after = Math.max(0, head.last_seq - SYSTEM_KEPT);
    }
    const page = await getJSON(`/rooms/_system/events/${sys.after}?limit=100`, true);
    sys.events = sys.events.concat(page.events).slice(-SYSTEM_KEPT);
    if (page.events.length) sys.after = page.events.at(-1).seq;
    sys.note = "";
  } catch (err) {
    if (adminFailed(err, token)) return;
    if (err.code === "ROOM_NOT_FOUND") sys.note = "The server has written no events yet.";
    else sys.note = `Server events unavailable: ${err.message}`;
    if (err.code === "SEQ_OUT_OF_RANGE") sys.after = null;
  }
}

async function pollLogs() {
  const f = state.logFilter;
  const q = new URLSearchParams({ level: f.level, limit: "100" });
  if (f.category) q.set("category", f.category);
  if (f.correlation) q.set("correlation_id", f.correlation);
  const token = state.token;
  try {
    const logs = await getJSON(`/logs?${q}`, true);
    if (f !== state.logFilter) return; // the filter changed meanwhile: the next poll reads it
    state.logs = logs;
    state.logsNote = "";
  } catch (err) {
    if (adminFailed(err, token)) return;
    state.logsNote = `Logs unavailable: ${err.message}`;
  }
}

// ---- rendering ----

function render() {
  document.body.dataset.polls = String(state.polls);
  renderHeader();
  if (state.health) {
    renderStatus(state.health);
    renderPlots(state.health);
  }
  if (state.rooms) renderRooms(state.rooms);
  if (state.recovery) renderRecovery(state.recovery);
  renderAdmin();
}

const word = (status) => WORDS[status] || status;
const statusTag = (status) => h("span", { class: `status st-${status}`, dataset: { status } }, word(status));

// setText changes an element's text only when it differs, so that live
// regions announce changes rather than every poll.
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function renderHeader() {
  const failed = Object.entries(state.failures).map(([route, why]) => `${route}: ${why}`);
  const notice = $("notice");
  notice.hidden = failed.length === 0;
  setText(notice, failed.length ? `Some data could not be refreshed (${failed.join("; ")}); showing the latest values read.` : "");
  const when = state.paused ? "Paused" : `Updated ${clock(Date.now())}`;
  setText($("refresh-state"), failed.length ? `${when} (incomplete)` : when);
}

function renderStatus(hl) {
  const overall = $("overall");
  overall.className = `status st-${hl.overall_status}`;
  overall.dataset.status = hl.overall_status;
  setText(overall, word(hl.overall_status));
  document.body.dataset.checkedAt = String(hl.checked_at);
  setText($("overall-message"), `${word(hl.overall_status)}: ${hl.overall_message || ""}`);
  const facts = [
    ["Last sample", hl.checked_at === null ? "none yet" : clock(hl.checked_at * 1000), "checked-at"],
    ["Monitor interval", `${round(hl.check_interval_seconds, 3)} s`, "interval"],
    ["Healthy streak", `${hl.consecutive_healthy} samples`, "streak"],
    ["Uptime", duration(hl.uptime_seconds), "uptime"],
  ];
  replace($("facts"), facts.map(([k, v, id]) => h("div", {}, h("dt", {}, k), h("dd", { id: `fact-${id}` }, v))));
  $("fact-interval").dataset.seconds = String(hl.check_interval_seconds);
  replace($("components"), COMPONENTS.map(([key, label, checks]) => {
    const status = hl.metrics[key]?.status || hl.components[key] || "unknown";
    const message = hl.metrics[key]?.message || checks.map((c) => hl.checks[c]?.message).filter(Boolean).join("; ");
    return h("li", { class: `component st-${status}`, dataset: { component: key, status } },
      h("span", { class: "component-name" }, label), statusTag(status), h("span", { class: "component-message" }, message));
  }));
  const rows = Object.entries(hl.checks).sort(([a], [b]) => a.localeCompare(b)).map(([id, c]) =>
    h("tr", { dataset: { check: id } }, h("th", { scope: "row" }, id), h("td", {}, statusTag(c.status), c.stale ? " (stale)" : ""),
      h("td", {}, summary(c.value)), h("td", {}, `${c.warn ?? "—"} / ${c.crit ?? "—"}`), h("td", {}, c.message)));
  replace($("checks"), table(["Check", "Status", "Value", "Warn / crit", "Message"], rows, "checks-table"));
}

function renderPlots(hl) {
  const ring = hl.history || [];
  replace($("plots"), SERIES.map((s) => {
    const points = s.value ? state.local.map((p) => [p.t, p[s.key]]) : ring.map((e) => [e.timestamp, e[s.key]]);
    return plot(s, points, hl.checks[s.check], hl.trend[s.trend]);
  }));
}

// ---- rooms, recovery, server events, logs ----

function renderRooms(body) {
  if (body.rooms.length === 0) {
    replace($("rooms"), h("p", { class: "muted", id: "no-rooms" }, "No live rooms."));
    return;
  }
  const rows = body.rooms.map((r) => h("tr", { dataset: { room: r.room_id, phase: r.phase } },
    h("th", { scope: "row", class: "code" }, r.room_id),
    h("td", { class: "phase" }, PHASES[r.phase] || r.phase),
    h("td", {}, r.round ? String(r.round) : "—"),
    h("td", {}, h("ul", { class: "players" }, r.seats.map((s) => h("li", { class: `player ${s.kind}`, dataset: { seat: String(s.seat), kind: s.kind } },
      `${s.seat}. `, s.kind === "open" ? "open" : s.name, s.kind === "bot" ? " (bot)" : "", s.kind === "human" && !s.connected ? " (away)" : "")))),
    h("td", {}, r.host_name || "—"),
    h("td", {}, clock(r.created_at))));
  replace($("rooms"), table(["Room", "Phase", "Round", "Players", "Host", "Created"], rows, "rooms-table"),
    h("p", { class: "muted" }, `${body.total} live room${body.total === 1 ? "" : "s"}${body.truncated ? `, showing ${body.rooms.length}` : ""}.`));
}

function renderRecovery(rs) {
  const p = rs.protection || {};
  const head = h("p", { id: "recovery-summary" },
    rs.is_active ? "Manager running" : "Manager stopped",
    ` · ${rs.recent_attempts} attempt${rs.recent_attempts === 1 ? "" : "s"} in the last hour · success rate ${rs.success_rate} %`);
  const protection = p.active
    ? h("p", { class: "status-line st-critical", id: "protection" }, `Emergency protection mode since ${clock(p.since * 1000)} (${p.reason})`)
    : h("p", { class: "status-line st-healthy", id: "protection" }, "Protection mode off");
  const names = PROCEDURES.filter((n) => rs.procedures[n]).concat(Object.keys(rs.procedures).filter((n) => !PROCEDURES.includes(n)));
  const procs = names.map((n) => {
    const pr = rs.procedures[n];
    return h("tr", { dataset: { procedure: n } }, h("th", { scope: "row", title: pr.description }, n),
      h("td", {}, pr.action), h("td", {}, pr.enabled ? "yes" : "no"), h("td", {}, pr.severity),
      h("td", {}, `${pr.recent_attempts} / ${pr.max_attempts}`), h("td", {}, `${pr.cooldown_seconds} s`),
      h("td", {}, pr.last_attempt_at ? clock(pr.last_attempt_at * 1000) : "—"),
      h("td", {}, pr.next_allowed_at ? clock(pr.next_allowed_at * 1000) : "now"));
  });
  const history = rs.recent_history.map((a) => h("tr", { dataset: { attempt: String(a.id), result: a.result } },
    h("td", {}, clock(a.timestamp * 1000)), h("th", { scope: "row" }, a.procedure_name),
    h("td", {}, `${a.source} (${a.raised_by})`), h("td", {}, h("span", { class: `result r-${a.result}` }, a.result)),
    h("td", {}, `${round(a.duration_ms, 1)} ms`), h("td", {}, correlation(a.correlation_id)),
    h("td", {}, a.error_message || summary(a.actions))));
  replace($("recovery"), head, protection,
    scroller("Procedures", table(["Procedure", "Action", "Enabled", "Severity", "Attempts / hour", "Cooldown", "Last attempt", "Next allowed"], procs, "procedures-table")),
    h("h3", {}, "Recent attempts"),
    history.length ? scroller("Recent attempts", table(["Started", "Procedure", "Source", "Result", "Duration", "Correlation id", "Actions or error"], history, "history-table"))
      : h("p", { class: "muted", id: "no-attempts" }, "No attempts in the last hour."));
}

function renderAdmin() {
  $("token-forget").disabled = !state.token;
  setText($("token-state"), !state.token ? "Enter the admin token to see server events and logs; it is kept for this tab only."
    : state.adminError || "Admin token in use (kept for this tab only).");
  if (!state.token || state.adminError) {
    replace($("system"));
    replace($("logs"));
    return;
  }
  const sys = state.system;
  const evRows = sys.events.slice().reverse().map((e) => h("tr", { dataset: { seq: String(e.seq), type: e.type } },
    h("td", {}, String(e.seq)), h("td", {}, clock(e.at)), h("th", { scope: "row" }, e.type), h("td", {}, summary(e.payload))));
  replace($("system"), sys.note ? h("p", { class: "muted" }, sys.note) : null,
    evRows.length ? table(["Seq", "Time", "Event", "Details"], evRows, "system-table") : null);
  if (!state.logs) {
    replace($("logs"), h("p", { class: "muted" }, state.logsNote || "Loading…"));
    return;
  }
  const lg = state.logs;
  const rows = lg.logs.map((r) => {
    const { time, level, msg, category, component, correlation_id: corr, ...rest } = r;
    return h("tr", { dataset: { level: level.toLowerCase(), correlation: corr || "" } },
      h("td", {}, clock(Date.parse(time))), h("td", {}, h("span", { class: `level l-${level.toLowerCase()}` }, level)),
      h("td", {}, `${category || "—"} / ${component || "—"}`), h("th", { scope: "row" }, msg), h("td", {}, correlation(corr)), h("td", {}, summary(rest)));
  });
  replace($("logs"), state.logsNote ? h("p", { class: "muted" }, state.logsNote) : null,
    h("p", { class: "muted", id: "logs-count" }, `${lg.count} record${lg.count === 1 ? "" : "s"}${lg.truncated ? " (more matched)" : ""} of a ring of ${lg.ring_capacity}.`),
    rows.length ? table(["Time", "Level", "Category / component", "Message", "Correlation id", "Fields"], rows, "logs-table") : null);
}

// correlation is a correlation id as a button that filters the logs by it.
function correlation(id) {
  if (!id) return "—";
  return h("button", { type: "button", class: "corr", dataset: { key: `corr-${id}` }, title: "Show the logs of this correlation id",
    onclick: () => {
      $("log-correlation").value = id;
      $("log-level").value = "debug";
      applyLogFilter();
      $("log-correlation").focus();
    } }, id);
}

// table builds a table; each cell keeps its column's heading in data-label,
// which a phone-sized screen shows beside the value (rows become cards).
function table(headings, rows, id) {
  for (const row of rows) [...row.cells].forEach((cell, i) => (cell.dataset.label = headings[i]));
  return h("table", { class: "dash-table", id }, h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows));
}

// scroller is a keyboard-scrollable box for a table wider than the screen.
const scroller = (label, ...children) => h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": label }, ...children);

// ---- controls ----

function refreshNow() {
  clearTimeout(state.timer);
  if (state.polling) state.again = true;
  else poll();
}

// applyLogFilter takes the filter form's values and reads the logs with them.
function applyLogFilter() {
  state.logFilter = { level: $("log-level").value, category: $("log-category").value, correlation: $("log-correlation").value.trim() };
  state.logs = null;
  refreshNow();
}

$("refresh-every").addEventListener("change", refreshNow);
$("refresh-now").addEventListener("click", refreshNow);
$("pause").addEventListener("click", () => {
  state.paused = !state.paused;
  $("pause").textContent = state.paused ? "Resume" : "Pause";
  if (state.paused) clearTimeout(state.timer);
  else refreshNow();
  renderHeader();
});
$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.token = $("token-input").value.trim();
  $("token-input").value = "";
  sessionStorage.setItem(TOKEN_KEY, state.token);
  resetAdmin();
  refreshNow();
});
$("token-forget").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = "";
  resetAdmin();
  render();
});
$("log-filter").addEventListener("submit", (ev) => {
  ev.preventDefault();
  applyLogFilter();
});
$("log-clear").addEventListener("click", () => {
  $("log-correlation").value = "";
  $("log-category").value = "";
  $("log-level").value = "info";
  applyLogFilter();
});

poll();
