// The game rules the page needs to guide a player (rules.md §1, §2, §3.1,
// §11). The server decides; these only explain and pre-check choices.

// Kinds in deck order (rules §1): name, colour, points, piece ids, glyph.
const KINDS = [
  ["GENERAL", "RED", 14, [0], "帥"],
  ["GENERAL", "BLACK", 13, [1], "將"],
  ["ADVISOR", "RED", 12, [2, 3], "仕"],
  ["ADVISOR", "BLACK", 11, [4, 5], "士"],
  ["ELEPHANT", "RED", 10, [6, 7], "相"],
  ["ELEPHANT", "BLACK", 9, [8, 9], "象"],
  ["CHARIOT", "RED", 8, [10, 11], "俥"],
  ["CHARIOT", "BLACK", 7, [12, 13], "車"],
  ["HORSE", "RED", 6, [14, 15], "傌"],
  ["HORSE", "BLACK", 5, [16, 17], "馬"],
  ["CANNON", "RED", 4, [18, 19], "炮"],
  ["CANNON", "BLACK", 3, [20, 21], "砲"],
  ["SOLDIER", "RED", 2, [22, 23, 24, 25, 26], "兵"],
  ["SOLDIER", "BLACK", 1, [27, 28, 29, 30, 31], "卒"],
];

// PIECES[id] is {id, kind, name, colour, points, glyph}.
export const PIECES = [];
for (const [name, colour, points, ids, glyph] of KINDS) {
  for (const id of ids) {
    PIECES[id] = { id, kind: `${name}_${colour}`, name, colour, points, glyph };
  }
}

const GROUPS = [
  ["GENERAL", "ADVISOR", "ELEPHANT"],
  ["CHARIOT", "HORSE", "CANNON"],
];

// classify is the play type of a set of piece ids (rules §2).
export function classify(ids) {
  const pieces = ids.map((id) => PIECES[id]);
  const n = pieces.length;
  if (n === 0 || n > 6 || pieces.some((p) => !p)) return "INVALID";
  if (n === 1) return "SINGLE";
  if (new Set(pieces.map((p) => p.colour)).size !== 1) return "INVALID";
  const kinds = new Set(pieces.map((p) => p.kind));
  const allSoldiers = pieces.every((p) => p.name === "SOLDIER");
  if (n === 2) return kinds.size === 1 ? "PAIR" : "INVALID";
  if (allSoldiers) {
    if (kinds.size !== 1) return "INVALID";
    return { 3: "THREE_OF_A_KIND", 4: "FOUR_OF_A_KIND", 5: "FIVE_OF_A_KIND" }[n] || "INVALID";
  }
  const counts = {};
  for (const p of pieces) counts[p.name] = (counts[p.name] || 0) + 1;
  const group = GROUPS.find((g) => Object.keys(counts).every((name) => g.includes(name)));
  if (!group || !group.every((name) => counts[name] > 0)) return "INVALID";
  const shape = group.map((name) => counts[name]).sort().join("");
  switch (n) {
    case 3:
      return "STRAIGHT";
    case 4:
      return shape === "112" ? "EXTENDED_STRAIGHT" : "INVALID";
    case 5:
      return shape === "122" ? "EXTENDED_STRAIGHT_5" : "INVALID";
    default:
      return shape === "222" && group[0] === "CHARIOT" ? "DOUBLE_STRAIGHT" : "INVALID";
  }
}

// playValue is the value of a play (rules §3.1): the core sum of the three
// distinct kinds for extended straights, the plain sum of points otherwise.
export function playValue(ids) {
  const type = classify(ids);
  const pieces = ids.map((id) => PIECES[id]).filter(Boolean);
  if (type === "EXTENDED_STRAIGHT" || type === "EXTENDED_STRAIGHT_5") {
    const distinct = new Map(pieces.map((p) => [p.kind, p.points]));
    return [...distinct.values()].reduce((a, b) => a + b, 0);
  }
  return pieces.reduce((a, p) => a + p.points, 0);
}

// declarationChoices lists 0..8 with, for each value, why it is forbidden
// (null when allowed), by rules §11.
export function declarationChoices(othersTotal, isLast, zeroStreak) {
  const out = [];
  for (let v = 0; v <= 8; v++) {
    let reason = null;
    if (isLast && v === 8 - othersTotal) reason = "total_eight";
    if (v === 0 && zeroStreak >= 2) reason = "zero_streak";
    out.push({ value: v, reason });
  }
  return out;
}

// isWeak tells whether a hand has no piece worth more than 9 (rules §8).
export function isWeak(ids) {
  return ids.every((id) => PIECES[id].points <= 9);
}
