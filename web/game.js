// The game table: the panel of the current phase (redeal offer,
// declarations, the turn's plays and winner, round scores, final ranking)
// and my hand with the selection's play type, value and legality.

import { countdown, h, piece, replace } from "./dom.js";
import { myAction } from "./room.js";
import { classify, declarationChoices, isWeak, playValue } from "./rules.js";
import { FORBIDDEN, PLAY_TYPES, STARTER_REASONS, seatName } from "./text.js";

// renderGame draws the phase panel and the hand. ui is {selected, busy};
// act has redeal(accept), declare(value), toggle(id), clear() and play().
export function renderGame(panel, hand, view, ui, act) {
  const phaseViews = {
    preparation: redealPanel,
    round_start: roundStartPanel,
    declaration: declarationPanel,
    turn: turnPanel,
    turn_results: turnPanel,
    scoring: scoringPanel,
    game_over: gameOverPanel,
  };
  const draw = phaseViews[view.phase];
  replace(panel, draw ? draw(view, ui, act) : null);
  replace(hand, handPanel(view, ui, act));
}

function redealPanel(view, ui, act) {
  const r = view.redeal;
  if (!r) return h("p", {}, "Dealing the pieces…");
  const weak = r.weak_seats.map((s) => seatName(view, s)).join(", ");
  const decisions = r.weak_seats.map((s) => {
    const d = r.decisions[s - 1];
    return h("li", {}, `${seatName(view, s)}: ${d === null ? "deciding…" : d ? "wants a redeal" : "keeps the hand"}`);
  });
  const mine = myAction(view) === "redeal";
  return h(
    "section",
    { class: "panel", id: "redeal-panel", "aria-labelledby": "redeal-title" },
    h("h3", { id: "redeal-title" }, "Weak hands"),
    h("p", {}, `Without a piece worth more than 9: ${weak}.` + (r.offered ? "" : " No redeal is offered.")),
    h("ul", {}, decisions),
    mine
      ? h("div", { class: "decision" },
          h("p", {}, `Your hand is weak. Ask for a redeal? All hands are dealt again and the round's multiplier becomes ×${view.multiplier + 1}.`),
          h("div", { class: "buttons" },
            h("button", { type: "button", id: "redeal-accept", class: "primary", disabled: ui.busy, dataset: { key: "redeal-accept" }, onclick: () => act.redeal(true) }, "Redeal"),
            h("button", { type: "button", id: "redeal-decline", disabled: ui.busy, dataset: { key: "redeal-decline" }, onclick: () => act.redeal(false) }, "Keep my hand"),
          ),
          countdown(view.deadline, "Time left: "),
        )
      : null,
  );
}

function roundStartPanel(view) {
  return h(
    "section",
    { class: "panel", id: "round-start-panel" },
    h("h3", {}, `Round ${view.round}`),
    h("p", {}, `${seatName(view, view.starter)} starts: ${STARTER_REASONS[view.starter_reason] || view.starter_reason}.`),
    h("p", {}, `Multiplier ×${view.multiplier}.`),
  );
}

function declarationPanel(view, ui, act) {
  const order = (view.declaration_order || []).map((s) => {
    const d = view.declarations[s - 1];
    const current = view.actor && view.actor.seats.includes(s);
    return h("li", { class: current ? "current" : "" }, `${seatName(view, s)}: ${d === null ? (current ? "deciding…" : "–") : d}`);
  });
  const declared = view.declarations.filter((d) => d !== null);
  const total = declared.reduce((a, b) => a + b, 0);
  const mine = myAction(view) === "declare";
  let choose = null;
  if (mine) {
    const choices = declarationChoices(total, declared.length === 3, view.zero_streaks[view.my_seat - 1]);
    const reasons = [...new Set(choices.filter((c) => c.reason).map((c) => c.reason))];
    choose = h("div", { class: "decision" },
      h("p", { id: "declare-prompt" }, "How many piles will you win this round? (keys 0–8)"),
      h("div", { class: "buttons declare-options", role: "group", "aria-labelledby": "declare-prompt" },
        choices.map((c) =>
          h("button", {
            type: "button",
            class: "declare-option",
            disabled: ui.busy || c.reason !== null,
            title: c.reason ? FORBIDDEN[c.reason] : `Declare ${c.value}`,
            "aria-describedby": c.reason ? `forbidden-${c.reason}` : null,
            dataset: { key: `declare-${c.value}`, value: String(c.value), forbidden: c.reason || "" },
            onclick: () => act.declare(c.value),
          }, String(c.value)),
        ),
      ),
      reasons.map((r) => h("p", { class: "forbidden-reason", id: `forbidden-${r}` }, FORBIDDEN[r])),
      countdown(view.deadline, "Time left: "),
    );
  }
  return h(
    "section",
    { class: "panel", id: "declaration-panel" },
    h("h3", {}, "Declarations"),
    h("p", {}, `Declared so far: ${total} of 8 piles.`),
    h("ol", { class: "declare-order" }, order),
    choose,
  );
}

// playRow shows one seat's play in a turn.
function playRow(view, p, winner) {
  return h(
    "li",
    { class: `play${p.seat === winner ? " winner" : ""}`, dataset: { seat: String(p.seat) } },
    h("span", { class: "play-who" }, seatName(view, p.seat)),
    h("span", { class: "play-pieces" }, p.pieces.map((x) => piece(x.id, "played"))),
    h("span", { class: "play-type" }, `${PLAY_TYPES[p.play_type] || p.play_type} · ${p.value}`),
    p.seat === winner ? h("span", { class: "badge win" }, "wins") : null,
  );
}

function turnPanel(view) {
  const results = view.phase === "turn_results" && view.last_turn;
  const winner = results ? view.last_turn.winner : null;
  const played = new Map(view.turn_plays.map((p) => [p.seat, p]));
  const rows = (view.turn_order || []).map((s) => {
    const p = played.get(s);
    if (p) return playRow(view, p, winner);
    const current = view.actor && view.actor.seats.includes(s);
    return h("li", { class: `play pending${current ? " current" : ""}` },
      h("span", { class: "play-who" }, seatName(view, s)),
      h("span", { class: "muted" }, current ? "choosing…" : "waiting"));
  });
  const need = view.required_count ? `Everyone plays ${view.required_count} piece${view.required_count === 1 ? "" : "s"}.` : "The first player leads 1 to 6 pieces.";
  const previous = !results && view.turn_plays.length === 0 && view.last_turn;
  return h(
    "section",
    { class: "panel", id: "turn-panel" },
    h("h3", {}, `Turn ${view.turn}`),
    results
      ? h("p", { class: "turn-winner", id: "turn-winner" },
          `${seatName(view, winner)} won turn ${view.last_turn.turn} and ${view.last_turn.piles} pile${view.last_turn.piles === 1 ? "" : "s"}.`)
      : h("p", {}, need),
    h("ol", { class: "plays" }, rows),
    previous
      ? h("div", { class: "previous-turn" },
          h("p", {}, `Previous turn: ${seatName(view, previous.winner)} won ${previous.piles} pile${previous.piles === 1 ? "" : "s"}.`),
          h("ol", { class: "plays compact" }, previous.plays.map((p) => playRow(view, p, previous.winner))),
        )
      : null,
  );
}

// roundTable shows a round's scores (rules §14) with its multiplier.
function roundTable(view, round) {
  return h(
    "table",
    { class: "scores", id: "round-scores" },
    h("caption", {}, `Round ${round.round} · multiplier ×${round.multiplier}`),
    h("thead", {}, h("tr", {}, ["Seat", "Declared", "Piles", "Base", "Change", "Total"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {},
      round.results.map((r) =>
        h("tr", { class: r.seat === view.my_seat ? "me" : "" },
          h("th", { scope: "row" }, seatName(view, r.seat), r.perfect ? h("span", { class: "badge win" }, "perfect") : null),
          h("td", {}, String(r.declared)),
          h("td", {}, String(r.captured)),
          h("td", {}, signed(r.base)),
          h("td", { class: r.delta < 0 ? "neg" : "pos" }, `${signed(r.base)} × ${round.multiplier} = ${signed(r.delta)}`),
          h("td", {}, String(r.score)),
        ),
      ),
    ),
  );
}

function signed(n) {
  return n > 0 ? `+${n}` : String(n);
}

function scoringPanel(view) {
  return h("section", { class: "panel", id: "scoring-panel" },
    h("h3", {}, `Round ${view.round} scores`),
    view.last_round ? roundTable(view, view.last_round) : null);
}

const END_REASONS = {
  win_score: (view) => `A score reached ${view.config.win_score}.`,
  max_rounds: (view) => `The last round (${view.config.max_rounds}) was played.`,
};

function gameOverPanel(view) {
  const g = view.game_result;
  const won = g.winners.includes(view.my_seat);
  return h(
    "section",
    { class: "panel", id: "game-over-panel" },
    h("h3", {}, won ? "You won!" : "Game over"),
    h("p", { id: "winners" }, `Winner${g.winners.length > 1 ? "s" : ""}: ${g.winners.map((s) => seatName(view, s)).join(", ")}. `,
      (END_REASONS[g.reason] || (() => g.reason))(view), ` ${g.rounds} round${g.rounds === 1 ? "" : "s"} played.`),
    h("table", { class: "scores", id: "ranking" },
      h("caption", {}, "Final ranking"),
      h("thead", {}, h("tr", {}, ["Rank", "Seat", "Score", "Turns won", "Perfect rounds"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {},
        g.ranking.map((r) =>
          h("tr", { class: r.seat === view.my_seat ? "me" : "", dataset: { seat: String(r.seat) } },
            h("td", {}, String(r.rank)),
            h("th", { scope: "row" }, seatName(view, r.seat)),
            h("td", {}, String(r.score)),
            h("td", {}, String(r.turns_won)),
            h("td", {}, String(r.perfect_rounds)),
          ),
        ),
      ),
    ),
    view.last_round ? roundTable(view, view.last_round) : null,
  );
}

// selection describes the selected pieces: type, value, whether they may
// be played now and, if not, why (rules §12).
export function selection(view, selected, busy) {
  const ids = [...selected].sort((a, b) => a - b);
  const type = classify(ids);
  const value = playValue(ids);
  const required = view.required_count;
  const lead = view.turn_plays.length ? view.turn_plays[0].play_type : null;
  let legal = false;
  let hint = "";
  if (ids.length === 0) {
    hint = required ? `Select ${required} piece${required === 1 ? "" : "s"}.` : "Select 1 to 6 pieces that form a combination.";
  } else if (required === null) {
    legal = type !== "INVALID";
    if (!legal) hint = "The first player of a turn must lead a valid combination.";
  } else {
    legal = ids.length === required;
    if (!legal) hint = `Select exactly ${required} piece${required === 1 ? "" : "s"} (${ids.length} selected).`;
    else if (type !== lead) hint = `It does not match the lead (${PLAY_TYPES[lead]}), so it cannot win this turn.`;
  }
  const mine = myAction(view) === "play";
  if (legal && !mine) hint = "Wait for your turn.";
  return { ids, type, value, canPlay: legal && mine && !busy, hint };
}

function handPanel(view, ui, act) {
  const ids = (view.my_hand || []).map((p) => p.id);
  if (view.my_seat === null || view.phase === "waiting" || view.phase === "game_over") return null;
  const playing = view.phase === "turn";
  const chips = ids.map((id, i) =>
    playing
      ? piece(id, "hand", {
          type: "button",
          "aria-pressed": ui.selected.has(id) ? "true" : "false",
          class: ui.selected.has(id) ? "selected" : "",
          dataset: { key: `piece-${id}`, index: String(i + 1) },
          onclick: () => act.toggle(id),
        }, "button")
      : piece(id, "hand"),
  );
  const parts = [
    h("h3", { id: "hand-title" }, "Your hand"),
    view.phase === "preparation" && ids.length && isWeak(ids) ? h("p", { class: "muted" }, "A weak hand: no piece worth more than 9.") : null,
    h("div", { class: "hand", id: "hand", role: "group", "aria-labelledby": "hand-title" }, chips),
  ];
  if (playing) {
    const s = selection(view, ui.selected, ui.busy);
    parts.push(
      h("p", { id: "selection", class: "selection", "aria-live": "polite", dataset: { type: s.ids.length ? s.type : "", value: String(s.value), legal: String(s.canPlay) } },
        s.ids.length ? `${PLAY_TYPES[s.type]} · value ${s.value}` : "Nothing selected",
        s.hint ? h("span", { class: "hint" }, ` — ${s.hint}`) : null,
      ),
      h("div", { class: "buttons" },
        h("button", { type: "button", id: "play-button", class: "primary", disabled: !s.canPlay, dataset: { key: "play" }, onclick: act.play }, "Play"),
        h("button", { type: "button", id: "clear-button", disabled: s.ids.length === 0, dataset: { key: "clear" }, onclick: act.clear }, "Clear"),
      ),
      h("p", { class: "muted keys" }, "Keys: 1–8 pick pieces from the left, Enter plays, Esc clears."),
    );
  }
  return h("section", { class: "panel hand-panel" }, parts);
}
