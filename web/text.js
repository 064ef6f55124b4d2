// Words for what the protocol sends as codes: errors (protocol §10),
// phases, play types and room events (rules §20.2).

export const PHASES = {
  waiting: "Waiting for players",
  preparation: "Dealing",
  round_start: "Round starting",
  declaration: "Declarations",
  turn: "Playing",
  turn_results: "Turn result",
  scoring: "Scoring",
  game_over: "Game over",
};

export const PLAY_TYPES = {
  SINGLE: "Single",
  PAIR: "Pair",
  THREE_OF_A_KIND: "Three of a kind",
  STRAIGHT: "Straight",
  FOUR_OF_A_KIND: "Four of a kind",
  EXTENDED_STRAIGHT: "Extended straight",
  EXTENDED_STRAIGHT_5: "Extended straight (5)",
  FIVE_OF_A_KIND: "Five of a kind",
  DOUBLE_STRAIGHT: "Double straight",
  INVALID: "Not a valid combination",
};

export const STARTER_REASONS = {
  accepted_redeal: "asked for the redeal",
  has_general_red: "holds the red General",
  won_last_turn: "won the last turn of the previous round",
};

export const FORBIDDEN = {
  total_eight: "The last declarer may not bring the total to exactly 8.",
  zero_streak: "You declared 0 in each of the last two rounds.",
};

const ERRORS = {
  BAD_MESSAGE: "The server could not read the page's message.",
  UNKNOWN_TYPE: "The server does not know that command.",
  INVALID_FIELD: "Something in that request was not valid.",
  NOT_AUTHENTICATED: "The page is not signed in yet.",
  ALREADY_AUTHENTICATED: "The page is already signed in.",
  INVALID_TOKEN: "Your saved session has expired.",
  RATE_LIMITED: "Too many actions at once; slow down a little.",
  ROOM_NOT_FOUND: "There is no open room with that code.",
  ROOM_FULL: "That room already has four players.",
  GAME_ALREADY_STARTED: "That game has already started.",
  ALREADY_IN_ROOM: "You are already seated in a room.",
  NOT_HOST: "Only the host can do that.",
  SEAT_OCCUPIED: "That seat is not free.",
  SEAT_NOT_BOT: "Only a bot's seat can be opened.",
  SEATS_NOT_FILLED: "All four seats need a player or a bot before the start.",
  NOT_SEATED: "You are not seated in that room.",
  WRONG_PHASE: "That is not possible at this point of the game.",
  NOT_IN_CONTROL: "A bot plays your seat now.",
  NOT_YOUR_TURN: "It is not your turn.",
  STALE_DEAL: "That answer was for an earlier deal.",
  REDEAL_NOT_OFFERED: "You were not offered a redeal.",
  ALREADY_DECIDED: "You already answered the redeal offer.",
  INVALID_VALUE: "Declarations go from 0 to 8.",
  DECLARATION_FORBIDDEN: "You may not declare that value.",
  UNKNOWN_PIECE: "That piece does not exist.",
  DUPLICATE_PIECE: "A piece was chosen twice.",
  WRONG_PIECE_COUNT: "Wrong number of pieces.",
  PIECE_NOT_IN_HAND: "That piece is not in your hand.",
  INVALID_PLAY: "Those pieces do not form a valid combination.",
  SEQ_OUT_OF_RANGE: "The page was ahead of the server; it reloads the room.",
  UNAVAILABLE: "The server is busy or restarting; try again in a moment.",
  INTERNAL: "The server failed unexpectedly.",
  DISCONNECTED: "The connection was lost; the page reconnects by itself.",
};

// errorText explains a rejected command in words, with the details the
// protocol gives (§4 notes).
export function errorText(err) {
  const d = err.details || {};
  let text = ERRORS[err.code] || err.message || err.code;
  if (err.code === "DECLARATION_FORBIDDEN" && d.reason) {
    text = `${FORBIDDEN[d.reason] || text} Allowed: ${(d.allowed || []).join(", ")}.`;
  }
  if (err.code === "WRONG_PIECE_COUNT") {
    text = d.required_count ? `Play exactly ${d.required_count} pieces.` : "Play 1 to 6 pieces.";
  }
  if (err.code === "INVALID_FIELD" && d.field) text += ` (${d.field}: ${d.reason})`;
  if (err.retryAfterMs) text += ` Retry in ${Math.ceil(err.retryAfterMs / 1000)} s.`;
  return text;
}

export const CLOSE_REASONS = {
  empty: "the room closed because no player was left",
  abandoned: "the room closed because every player had left",
  failed: "the room failed on the server and was closed",
};

// seatName is how a seat is called in messages.
export function seatName(view, seat) {
  if (seat === view.my_seat) return "You";
  const s = view.seats[seat - 1];
  return s && s.name ? s.name : `Seat ${seat}`;
}

// describe is a room event in one line, or null for events the page does
// not list. view is the view after the event (for names).
export function describe(ev, view) {
  const p = ev.payload;
  const who = (seat) => seatName(view, seat);
  switch (ev.type) {
    case "room_created":
      return `Room ${p.room_id} created`;
    case "player_joined":
      return `${who(p.seat)} joined seat ${p.seat}`;
    case "bot_added":
      return `${p.name} took seat ${p.seat}`;
    case "bot_removed":
      return `Seat ${p.seat} opened`;
    case "game_started":
      return "The game started";
    case "hands_dealt":
      return `Round ${p.round}: deal ${p.deal}` + (p.redeal_offered ? ", a redeal is offered" : "");
    case "redeal_decided":
      return `${who(p.seat)} ${p.accept ? "asked for" : "declined"} a redeal` + byText(p.by);
    case "redeal_started":
      return `${who(p.accepter)} gets a redeal: multiplier ×${p.multiplier}`;
    case "round_started":
      return `Round ${p.round} starts with ${who(p.starter)} (${STARTER_REASONS[p.reason] || p.reason})`;
    case "declared":
      return `${who(p.seat)} declared ${p.value}` + byText(p.by);
    case "played": {
      const what = p.play_type === "INVALID" ? "a set that matches nothing" : PLAY_TYPES[p.play_type] || p.play_type;
      return `${who(p.seat)} played ${what} (${p.value})` + byText(p.by);
    }
    case "turn_won":
      return `${who(p.winner)} won turn ${p.turn} and ${p.piles} pile${p.piles === 1 ? "" : "s"}`;
    case "round_scored":
      return `Round ${p.round} scored (×${p.multiplier})`;
    case "game_over":
      return `Game over: ${p.winners.map(who).join(", ")} won`;
    case "player_disconnected":
      return `${who(p.seat)} lost the connection`;
    case "player_reconnected":
      return `${who(p.seat)} ${p.seat === view.my_seat ? "are" : "is"} back`;
    case "player_left":
      return `${who(p.seat)} left`;
    case "seat_control_changed":
      if (p.seat === view.my_seat) return p.controller === "bot" ? "A bot plays for you" : "You play again";
      return p.controller === "bot" ? `A bot plays for ${who(p.seat)}` : `${who(p.seat)} plays again`;
    case "host_changed":
      return `${who(p.to_seat)} ${p.to_seat === view.my_seat ? "are" : "is"} now the host`;
    case "room_closed":
      return `The room closed (${p.reason})`;
    default:
      return null;
  }
}

function byText(by) {
  return by === "timeout" ? " (time ran out)" : "";
}
