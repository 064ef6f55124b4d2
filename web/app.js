// The play page: sign-in, lobby and room state, the protocol's sequence
// numbers and resync (protocol §8), commands and keyboard shortcuts.

import { Connection } from "./connection.js";
import { h, replace, syncServerClock, tick } from "./dom.js";
import { renderGame, selection } from "./game.js";
import { renderLobby } from "./lobby.js";
import { myAction, renderActions, renderHeader, renderLog, renderSeats } from "./room.js";
import { CLOSE_REASONS, describe, errorText } from "./text.js";

const TOKEN_KEY = "liaptui.token";
const NAME_KEY = "liaptui.name";

const $ = (id) => document.getElementById(id);

const state = {
  screen: "name",
  conn: "closed",
  lobby: null,
  subscribed: false,
  roomId: null,
  lastSeq: 0, // latest event applied in order
  buffer: new Map(), // events after a gap, by seq, until the resync reply
  resyncing: false,
  view: null,
  log: [], // this round's events in words
  logRound: 0,
  selected: new Set(),
  busy: false,
};

const conn = new Connection({
  hello() {
    const token = localStorage.getItem(TOKEN_KEY);
    const data = token ? { token } : { name: localStorage.getItem(NAME_KEY) };
    return { ...data, client: "liaptui-web" };
  },
  welcome(data) {
    localStorage.setItem(TOKEN_KEY, data.token);
    localStorage.setItem(NAME_KEY, data.name);
    $("who").textContent = data.name;
    if (data.room) {
      if (data.room.room_id !== state.roomId) enterRoom(data.room.room_id);
      resync();
    } else {
      if (state.roomId) notify(`You are no longer seated in room ${state.roomId}.`);
      toLobby();
    }
  },
  helloFailed(err) {
    const token = localStorage.getItem(TOKEN_KEY);
    if (token && err.code !== "INVALID_TOKEN") {
      conn.retry(err.retryAfterMs); // the server is busy or starting: keep the identity
      return;
    }
    conn.stop();
    if (token && localStorage.getItem(NAME_KEY)) {
      localStorage.removeItem(TOKEN_KEY);
      notify("Your saved session had expired: you start again with a new identity.");
      conn.start();
      return;
    }
    localStorage.removeItem(TOKEN_KEY);
    notify(errorText(err));
    state.screen = "name";
    render();
  },
  push: onPush,
  status(s, waitMs) {
    state.conn = s;
    if (s !== "open") state.subscribed = false; // a new connection starts unsubscribed
    const text = {
      connecting: "Connecting…",
      open: "Connected",
      waiting: `Connection lost; retrying in ${Math.ceil((waitMs || 0) / 1000)} s…`,
      replaced: "This game is open in another tab or window.",
    }[s];
    replace($("conn-status"), text, s === "replaced" ? h("button", { type: "button", id: "use-here", onclick: () => conn.start() }, "Play here") : null);
    render();
  },
});

function onPush(msg) {
  const d = msg.data;
  switch (msg.type) {
    case "lobby.rooms":
      state.lobby = d;
      break;
    case "event":
      onEvent(d, msg.seq);
      break;
    case "room.view":
      if (d.room_id === state.roomId) showView(d.view);
      break;
    case "room.closed":
      if (d.room_id === state.roomId) {
        notify(`Room ${d.room_id}: ${CLOSE_REASONS[d.reason] || d.reason}.`);
        toLobby();
      }
      break;
    case "shutdown":
      notify("The server is restarting; the page reconnects by itself.");
      break;
  }
  render();
}

function enterRoom(roomId) {
  state.roomId = roomId;
  state.lastSeq = 0;
  state.buffer.clear();
  state.resyncing = false;
  state.view = null;
  state.log = [];
  state.logRound = 0;
  state.selected.clear();
  state.screen = "room";
  if (state.subscribed) {
    state.subscribed = false;
    conn.call("lobby.unsubscribe").catch(() => {}); // a lost connection drops the subscription anyway
  }
}

function toLobby() {
  state.roomId = null;
  state.view = null;
  state.screen = "lobby";
  if (!state.subscribed && conn.open) {
    state.subscribed = true;
    conn.call("lobby.subscribe").catch(() => (state.subscribed = false));
  }
  render();
}

// onEvent applies events in seq order; a gap asks for a resync, but the
// event's view is current either way (protocol §5.3, §8).
function onEvent(d, seq) {
  if (state.roomId !== d.room_id) enterRoom(d.room_id);
  if (seq <= state.lastSeq) return;
  if (seq === state.lastSeq + 1 && !state.resyncing) {
    record(d.event, d.view);
  } else {
    state.buffer.set(seq, d);
    if (!state.resyncing) resync();
  }
  showView(d.view);
}

function record(ev, view) {
  state.lastSeq = ev.seq;
  if (ev.type === "hands_dealt" && ev.payload.round !== state.logRound) {
    state.log = []; // the log covers the current round
    state.logRound = ev.payload.round;
  }
  const text = describe(ev, view);
  if (text) state.log.push({ seq: ev.seq, text, pieces: ev.type === "played" ? ev.payload.pieces : null });
}

function resync() {
  const roomId = state.roomId;
  state.resyncing = true;
  conn.call("room.resync", { room_id: roomId, last_seq: state.lastSeq }).then(
    (ack) => {
      if (roomId !== state.roomId) return;
      state.resyncing = false;
      for (const ev of ack.events) if (ev.seq > state.lastSeq) record(ev, ack.view);
      state.lastSeq = Math.max(state.lastSeq, ack.last_seq);
      for (const seq of [...state.buffer.keys()].sort((a, b) => a - b)) {
        const d = state.buffer.get(seq);
        state.buffer.delete(seq);
        if (seq === state.lastSeq + 1) record(d.event, d.view);
        else if (seq > state.lastSeq) {
          state.buffer.set(seq, d);
          resync();
          break;
        }
      }
      showView(ack.view);
      render();
    },
    (err) => {
      state.resyncing = false;
      if (roomId !== state.roomId) return;
      if (err.code === "SEQ_OUT_OF_RANGE") {
        state.lastSeq = 0;
        state.log = [];
        state.logRound = 0;
        resync();
      } else if (err.code === "NOT_SEATED" || err.code === "ROOM_NOT_FOUND") {
        toLobby();
      } else if (err.code !== "DISCONNECTED") {
        notify(errorText(err));
      }
    },
  );
}

function showView(view) {
  if (state.view && state.view.room_id === view.room_id && view.seq <= state.view.seq) return;
  syncServerClock(view.server_time);
  state.view = view;
  const hand = new Set((view.my_hand || []).map((p) => p.id));
  for (const id of state.selected) if (!hand.has(id)) state.selected.delete(id);
}

// command sends a command, disabling the controls until the reply, and
// shows a rejection in words.
function command(type, data, onAck) {
  if (state.busy) return;
  state.busy = true;
  render();
  conn.call(type, data).then(
    (ack) => {
      state.busy = false;
      clearNotice();
      if (onAck) onAck(ack);
      render();
    },
    (err) => {
      state.busy = false;
      notify(errorText(err));
      render();
    },
  );
}

const act = {
  quickPlay: () => command("room.create", { quick_play: true }),
  create: () => command("room.create", {}),
  join: (roomId) => command("room.join", { room_id: roomId.trim().toUpperCase() }),
  seat: (seat, occupant) => command("room.seat", { seat, occupant }),
  start: () => command("room.start", {}),
  leave: () => {
    const inGame = state.view && !["waiting", "game_over"].includes(state.view.phase);
    if (inGame && !confirm("Leave the game? A bot plays your seat until the end and you cannot come back.")) return;
    command("room.leave", {}, () => toLobby());
  },
  redeal: (accept) => command("game.redeal", { accept, deal: state.view.deal }),
  declare: (value) => command("game.declare", { value }),
  toggle: (id) => {
    if (state.selected.has(id)) state.selected.delete(id);
    else state.selected.add(id);
    render();
  },
  clear: () => {
    state.selected.clear();
    render();
  },
  play: () => {
    const s = selection(state.view, state.selected, state.busy);
    if (s.canPlay) command("game.play", { pieces: s.ids }, () => state.selected.clear());
  },
};

let noticeTimer = 0;

function notify(text) {
  const el = $("notice");
  replace(el, h("span", {}, text), h("button", { type: "button", class: "close", "aria-label": "Dismiss", onclick: clearNotice }, "×"));
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(clearNotice, 10000);
}

function clearNotice() {
  $("notice").hidden = true;
}

function render() {
  const app = $("app");
  const v = state.view;
  const screen = state.screen === "room" && !v ? "loading" : state.screen;
  const blocked = state.busy || !conn.open; // no command can be sent now
  Object.assign(app.dataset, {
    screen,
    conn: state.conn,
    busy: String(blocked),
    room: state.roomId || "",
    seat: v && v.my_seat ? String(v.my_seat) : "",
    phase: v ? v.phase : "",
    seq: v ? String(v.seq) : "",
    deal: v ? String(v.deal) : "",
    action: v ? myAction(v) : "",
  });
  $("screen-name").hidden = screen !== "name";
  $("screen-lobby").hidden = screen !== "lobby";
  $("screen-loading").hidden = screen !== "loading";
  $("screen-room").hidden = screen !== "room";
  for (const b of document.querySelectorAll("#screen-lobby button")) b.disabled = blocked;
  if (screen === "lobby") renderLobby($("room-list"), state.lobby, blocked, act);
  if (screen !== "room") return;
  renderHeader($("room-head"), v);
  renderSeats($("seats"), v, blocked, act);
  renderActions($("room-actions"), v, blocked, act);
  renderGame($("game-panel"), $("hand-panel"), v, { selected: state.selected, busy: blocked }, act);
  renderLog($("log"), state.log);
}

// Keyboard: digits declare (declaration) or pick the n-th piece (turn),
// Enter plays the selection and Escape clears it.
function onKey(e) {
  const v = state.view;
  if (state.screen !== "room" || !v || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target instanceof HTMLInputElement) return;
  const action = myAction(v);
  if (/^[0-8]$/.test(e.key) && v.phase === "declaration" && action === "declare") {
    const b = document.querySelector(`.declare-option[data-value="${e.key}"]`);
    if (b && !b.disabled) b.click();
  } else if (/^[1-8]$/.test(e.key) && v.phase === "turn") {
    const b = document.querySelector(`#hand .piece[data-index="${e.key}"]`);
    if (b) act.toggle(Number(b.dataset.piece));
  } else if (e.key === "Enter" && v.phase === "turn" && !(e.target instanceof HTMLButtonElement)) {
    act.play();
  } else if (e.key === "Escape") {
    act.clear();
  } else {
    return;
  }
  e.preventDefault();
}

function start() {
  $("name-input").value = localStorage.getItem(NAME_KEY) || "";
  $("name-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("name-input").value.trim();
    if (!name) return;
    localStorage.setItem(NAME_KEY, name);
    localStorage.removeItem(TOKEN_KEY);
    conn.stop();
    conn.start();
  });
  $("quick-play").addEventListener("click", act.quickPlay);
  $("create-room").addEventListener("click", act.create);
  $("join-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const code = $("join-code").value.trim();
    if (code) act.join(code);
  });
  document.addEventListener("keydown", onKey);
  setInterval(tick, 250);
  if (localStorage.getItem(TOKEN_KEY)) {
    state.screen = "loading";
    conn.start();
  }
  render();
  if (state.screen === "name") $("name-input").focus();
}

start();
