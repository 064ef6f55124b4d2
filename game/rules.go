package game

import "slices"

// RoundScore is the base score of rules §14 times the multiplier.
func RoundScore(declared, captured, multiplier int) int {
	var base int
	switch {
	case declared == 0 && captured == 0:
		base = 3
	case declared == 0:
		base = -captured
	case captured == declared:
		base = declared + 5
	default:
		base = -abs(declared - captured)
	}
	return base * multiplier
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// DeclarationOptions gives the allowed declarations ascending (rules §11);
// othersTotal only matters for the last declarer.
func DeclarationOptions(othersTotal int, isLast bool, zeroStreak int) []int {
	opts := make([]int, 0, 9)
	for v := 0; v <= 8; v++ {
		if declarationAllowed(v, othersTotal, isLast, zeroStreak) {
			opts = append(opts, v)
		}
	}
	return opts
}

func declarationAllowed(v, othersTotal int, isLast bool, zeroStreak int) bool {
	if isLast && v == 8-othersTotal {
		return false
	}
	return v != 0 || zeroStreak < 2
}

// CheckDeclaration is nil when value is an option, else INVALID_VALUE
// (outside 0..8) or DECLARATION_FORBIDDEN with the reason and the options.
func CheckDeclaration(value, othersTotal int, isLast bool, zeroStreak int) error {
	if value < 0 || value > 8 {
		return reject(CodeInvalidValue, nil, "declaration %d is outside 0..8", value)
	}
	if declarationAllowed(value, othersTotal, isLast, zeroStreak) {
		return nil
	}
	reason, why := "zero_streak", "a third declaration of 0 in a row is not allowed"
	if isLast && value == 8-othersTotal {
		reason, why = "total_eight", "the last declaration may not bring the total to 8"
	}
	return reject(CodeDeclarationForbidden,
		map[string]any{"reason": reason, "allowed": DeclarationOptions(othersTotal, isLast, zeroStreak)},
		"declaration %d is forbidden: %s", value, why)
}

// IsWeakHand is true when no kind is worth more than 9 (rules §8).
func IsWeakHand(hand []Kind) bool {
	for _, k := range hand {
		if k.Points() > 9 {
			return false
		}
	}
	return true
}

// Rotation lists the four seat indices from start (rules §0).
func Rotation(start int) []int {
	r := make([]int, numSeats)
	for i := range r {
		r[i] = (start + i) % numSeats
	}
	return r
}

// Starter reasons (rules §10).
const (
	ReasonAcceptedRedeal = "accepted_redeal"
	ReasonHasGeneralRed  = "has_general_red"
	ReasonWonLastTurn    = "won_last_turn"
)

// RoundStarter applies rules §10 with seat indices; latestAccepter is -1 when
// no redeal was accepted this round.
func RoundStarter(round, generalRedSeat, lastTurnWinner, latestAccepter int) (seat int, reason string) {
	switch {
	case latestAccepter >= 0:
		return latestAccepter, ReasonAcceptedRedeal
	case round <= 1:
		return generalRedSeat, ReasonHasGeneralRed
	}
	return lastTurnWinner, ReasonWonLastTurn
}

// RedealAccepter is the first accepting seat index in the rotation from
// searchStart, or -1 when nobody accepted (rules §9).
func RedealAccepter(searchStart int, accepts []bool) int {
	for _, seat := range Rotation(searchStart) {
		if seat < len(accepts) && accepts[seat] {
			return seat
		}
	}
	return -1
}

// CheckPlay runs the piece checks of rules §6.4 for one seat; required is 0
// for the turn's starter.
func CheckPlay(hand, pieces []int, required int) error {
	var held Hand
	for _, id := range hand {
		if id >= 0 && id < numPieces {
			held |= 1 << id
		}
	}
	_, err := checkPieces(held, pieces, required)
	return err
}

// checkPieces validates pieces against a hand and returns them as a set.
func checkPieces(hand Hand, pieces []int, required int) (Hand, error) {
	var unknown []int
	for _, id := range pieces {
		if id < 0 || id >= numPieces {
			unknown = append(unknown, id)
		}
	}
	if unknown != nil {
		return 0, reject(CodeUnknownPiece, map[string]any{"pieces": unknown}, "piece ids must be 0..31")
	}
	var set Hand
	var dup []int
	for _, id := range pieces {
		if set.Has(id) && !slices.Contains(dup, id) {
			dup = append(dup, id)
		}
		set |= 1 << id
	}
	if dup != nil {
		return 0, reject(CodeDuplicatePiece, map[string]any{"pieces": dup}, "a piece is listed more than once")
	}
	if required == 0 && (len(pieces) < 1 || len(pieces) > 6) {
		return 0, reject(CodeWrongPieceCount, map[string]any{"required_count": nil},
			"the starter plays 1 to 6 pieces, not %d", len(pieces))
	}
	if required > 0 && len(pieces) != required {
		return 0, reject(CodeWrongPieceCount, map[string]any{"required_count": required},
			"this turn needs exactly %d pieces, not %d", required, len(pieces))
	}
	if missing := set &^ hand; missing != 0 {
		return 0, reject(CodePieceNotInHand, map[string]any{"pieces": missing.IDs()},
			"pieces %v are not in your hand", missing.IDs())
	}
	if required == 0 {
		if t, _ := ClassifyHand(set); t == Invalid {
			return 0, reject(CodeInvalidPlay, nil, "pieces %v form no valid play", set.IDs())
		}
	}
	return set, nil
}

// Winners gives the winning seat indices ascending once the game has ended
// after round roundsPlayed (rules §16), nil while it goes on.
func Winners(scores []int, winScore, roundsPlayed, maxRounds int) []int {
	if len(scores) == 0 {
		return nil
	}
	top := slices.Max(scores)
	if top < winScore && (maxRounds <= 0 || roundsPlayed < maxRounds) {
		return nil
	}
	var winners []int
	for i, s := range scores {
		if s == top {
			winners = append(winners, i)
		}
	}
	return winners
}
