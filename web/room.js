// The room around the game: its header with the phase and deadlines, the
// four seats (with the host's seat controls before the game), the room's
// buttons and the round's log.

import { countdown, h, piece, replace } from "./dom.js";
import { PHASES } from "./text.js";

// myAction is what the view asks of my seat now ("redeal", "declare",
// "play") or "".
export function myAction(view) {
  const a = view.actor;
  return a && view.my_seat && a.seats.includes(view.my_seat) ? a.action : "";
}

const DEADLINE_LABELS = {
  redeal: "Answer within ",
  declare: "Declare within ",
  play: "Play within ",
};

export function renderHeader(container, view) {
  const action = myAction(view);
  const round = view.round ? `Round ${view.round} · deal ${view.deal} · multiplier ×${view.multiplier}` : "";
  let deadline = null;
  if (view.deadline) {
    const label = action ? DEADLINE_LABELS[action] : view.actor ? "Waiting up to " : "Next in ";
    deadline = countdown(view.deadline, label);
  }
  replace(
    container,
    h("div", { class: "room-title" },
      h("h2", {}, "Room ", h("span", { class: "code", id: "room-code" }, view.room_id)),
      h("span", { class: "phase", id: "phase-name" }, PHASES[view.phase] || view.phase),
    ),
    h("div", { class: "room-meta" },
      round ? h("span", {}, round) : h("span", { class: "muted" }, "Share the room code so friends can join."),
      deadline,
      view.abandon_deadline ? countdown(view.abandon_deadline, "Room closes if nobody returns: ") : null,
    ),
  );
}

// renderSeats draws the four seats; act has seat(seat, occupant).
export function renderSeats(container, view, busy, act) {
  const iAmHost = view.host_seat !== null && view.host_seat === view.my_seat;
  const waiting = view.phase === "waiting";
  const actorSeats = view.actor ? view.actor.seats : [];
  replace(
    container,
    view.seats.map((s, i) => {
      const seat = i + 1;
      const classes = ["seat", s.kind];
      if (seat === view.my_seat) classes.push("me");
      if (actorSeats.includes(seat)) classes.push("acting");
      if (!s.connected) classes.push("away");
      return h(
        "li",
        { class: classes.join(" "), dataset: { seat: String(seat) }, "aria-current": actorSeats.includes(seat) ? "true" : null },
        h("div", { class: "seat-head" },
          h("span", { class: "seat-no" }, String(seat)),
          h("span", { class: "seat-name" }, s.kind === "open" ? "Open seat" : s.name),
          badges(view, s, seat),
        ),
        waiting ? null : seatStats(view, i),
        waiting && iAmHost ? hostControl(s, seat, busy, act) : null,
      );
    }),
  );
}

function badges(view, s, seat) {
  const list = [];
  if (seat === view.my_seat) list.push(h("span", { class: "badge you" }, "you"));
  if (s.host) list.push(h("span", { class: "badge" }, "host"));
  if (s.kind === "bot") list.push(h("span", { class: "badge" }, "bot"));
  if (s.kind === "human" && s.controlled_by === "bot") list.push(h("span", { class: "badge warn" }, "bot plays"));
  if (s.left) list.push(h("span", { class: "badge warn" }, "left"));
  else if (s.kind === "human" && !s.connected) {
    list.push(h("span", { class: "badge warn" }, "offline"));
    if (s.grace_deadline) list.push(countdown(s.grace_deadline, "bot in "));
  }
  if (view.starter === seat && !["waiting", "game_over"].includes(view.phase)) list.push(h("span", { class: "badge", title: "Started this round" }, "round starter"));
  return list;
}

// seatStats shows piles against the declaration, the score and the hand size.
function seatStats(view, i) {
  const declared = view.declarations[i];
  const piles = view.piles[i];
  let target = "";
  if (declared !== null) target = piles === declared ? " on-target" : piles > declared ? " over" : "";
  return h(
    "dl",
    { class: "seat-stats" },
    h("div", { class: `piles${target}` },
      h("dt", {}, "Piles / declared"),
      h("dd", { class: "piles-value" }, `${piles} / ${declared === null ? "–" : declared}`),
    ),
    h("div", {}, h("dt", {}, "Score"), h("dd", { class: "score" }, String(view.scores[i]))),
    h("div", {}, h("dt", {}, "Pieces"), h("dd", {}, String(view.hand_sizes[i]))),
  );
}

function hostControl(s, seat, busy, act) {
  if (s.kind === "human") return null;
  const bot = s.kind === "bot";
  return h(
    "button",
    {
      type: "button",
      class: "seat-control",
      disabled: busy,
      dataset: { key: `seat-${seat}`, seatControl: bot ? "open" : "bot" },
      onclick: () => act.seat(seat, bot ? "open" : "bot"),
    },
    bot ? `Open seat ${seat}` : `Add a bot to seat ${seat}`,
  );
}

// renderActions draws the room's buttons; act has start() and leave().
export function renderActions(container, view, busy, act) {
  const iAmHost = view.host_seat !== null && view.host_seat === view.my_seat;
  const buttons = [];
  if (view.phase === "waiting" && iAmHost) {
    const full = view.seats.every((s) => s.kind !== "open");
    buttons.push(
      h("button", { type: "button", id: "start-game", class: "primary", disabled: busy || !full, onclick: act.start },
        "Start the game"),
    );
    if (!full) buttons.push(h("span", { class: "muted" }, "Fill every seat with a player or a bot to start."));
  } else if (view.phase === "waiting") {
    buttons.push(h("span", { class: "muted" }, "The host starts the game."));
  }
  const label = view.phase === "game_over" ? "Back to the lobby" : view.phase === "waiting" ? "Leave the room" : "Leave the game";
  buttons.push(h("button", { type: "button", id: "leave-room", disabled: busy, onclick: act.leave }, label));
  replace(container, buttons);
}

// renderLog lists this round's events, newest first.
export function renderLog(container, log) {
  replace(
    container,
    log.slice(-40).reverse().map((entry) =>
      h("li", { dataset: { seq: String(entry.seq) } },
        entry.text,
        entry.pieces ? h("span", { class: "log-pieces" }, entry.pieces.map((id) => piece(id, "played"))) : null,
      ),
    ),
  );
}

