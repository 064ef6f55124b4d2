// The lobby: quick play, create, join by code and the live room list
// (protocol §5.4 lobby.rooms).

import { h, replace } from "./dom.js";
import { PHASES } from "./text.js";

// renderLobby fills the lobby's room list; act has join(roomId).
export function renderLobby(container, lobby, busy, act) {
  if (!lobby) {
    replace(container, h("p", { class: "muted" }, "Loading the room list…"));
    return;
  }
  if (lobby.rooms.length === 0) {
    replace(container, h("p", { class: "muted", id: "no-rooms" }, "No rooms yet: create one or play quickly."));
    return;
  }
  const more = lobby.truncated ? h("p", { class: "muted" }, `Showing ${lobby.rooms.length} of ${lobby.total} rooms.`) : null;
  replace(
    container,
    h("ul", { class: "room-list" }, lobby.rooms.map((r) => roomRow(r, busy, act))),
    more,
  );
}

function roomRow(r, busy, act) {
  const seats = r.seats.map((s) =>
    h(
      "li",
      { class: `mini-seat ${s.kind}${s.connected ? "" : " away"}`, title: seatTitle(s) },
      s.kind === "open" ? "open" : s.name,
    ),
  );
  const label = r.joinable ? `Join room ${r.room_id}` : `Room ${r.room_id} cannot be joined`;
  return h(
    "li",
    { class: "room-row", dataset: { room: r.room_id } },
    h("div", { class: "room-code" }, r.room_id),
    h("div", { class: "room-info" },
      h("span", {}, r.host_name ? `Host: ${r.host_name}` : "No host"),
      h("span", { class: "muted" }, ` · ${PHASES[r.phase] || r.phase}${r.round ? `, round ${r.round}` : ""}`),
    ),
    h("ul", { class: "mini-seats", "aria-label": "Seats" }, seats),
    h(
      "button",
      {
        type: "button",
        class: "join",
        "aria-label": label,
        disabled: !r.joinable || busy,
        dataset: { key: `join-${r.room_id}` },
        onclick: () => act.join(r.room_id),
      },
      "Join",
    ),
  );
}

function seatTitle(s) {
  if (s.kind === "open") return `Seat ${s.seat}: open`;
  if (s.kind === "bot") return `Seat ${s.seat}: ${s.name} (bot)`;
  return `Seat ${s.seat}: ${s.name}${s.connected ? "" : " (offline)"}`;
}
