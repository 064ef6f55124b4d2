package game

import (
	"math/bits"
	"math/rand/v2"
)

// Strategy decides for one seat from its view. The random source is only for
// strategies that draw; the bot draws for redeal answers alone.
type Strategy interface {
	Redeal(v SeatView, r *rand.Rand) bool
	Declare(v SeatView, r *rand.Rand) int
	Play(v SeatView, r *rand.Rand) Hand
}

// BotStrategy is the bot logic of rules §19: declarations and plays are pure
// functions of the view.
type BotStrategy struct{}

// Redeal accepts with probability 0.8, one draw per answer (rules §19.2).
func (BotStrategy) Redeal(_ SeatView, r *rand.Rand) bool { return r.Float64() < 0.8 }

// Declare picks the option nearest the estimate, the lower on a tie (§19.3).
func (BotStrategy) Declare(v SeatView, _ *rand.Rand) int {
	estimate := min(max(estimatePiles(v.Hand, v.FirstToDeclare), 0), 8)
	best := -1
	for _, o := range v.Options() {
		if best < 0 || abs(o-estimate) < abs(best-estimate) {
			best = o
		}
	}
	return best
}

// estimatePiles is the reference estimate of rules §19.3: one pile for each
// GENERAL and ADVISOR_RED, plus, when the seat leads first or holds a GENERAL,
// the pieces of the largest play nobody outside the hand could beat, counting
// no piece twice.
func estimatePiles(hand Hand, first bool) int {
	sure := hand & HandOf(0, 1, 2, 3)
	e := sure.Len()
	if !first && hand&HandOf(0, 1) == 0 {
		return e
	}
	outside := countHand(fullDeck &^ hand)
	extra := 0
	forEachSubset(hand, func(set Hand) {
		t, value := ClassifyHand(set)
		if t == Invalid || value < outside.bestValue(t) {
			return
		}
		extra = max(extra, (set &^ sure).Len())
	})
	return e + extra
}

// forEachSubset calls f for every non-empty subset of h with at most 6 pieces.
func forEachSubset(h Hand, f func(Hand)) {
	for sub := h; sub != 0; sub = (sub - 1) & h {
		if sub.Len() <= 6 {
			f(sub)
		}
	}
}

// kindCounts is a multiset of kinds by kind index.
type kindCounts [numKinds]uint8

func countHand(h Hand) kindCounts {
	var c kindCounts
	for m := uint32(h); m != 0; m &= m - 1 {
		c[kindOfID[bits.TrailingZeros32(m)]]++
	}
	return c
}

// bestValue is the highest value a play of type t can reach with these
// pieces, 0 when none can be formed.
func (c *kindCounts) bestValue(t PlayType) int {
	best := 0
	has := func(k, n int) bool { return int(c[k]) >= n }
	switch t {
	case Single, Pair:
		need := 1
		if t == Pair {
			need = 2
		}
		for k := 0; k < numKinds; k++ {
			if has(k, need) {
				return need * (numKinds - k)
			}
		}
	case ThreeOfAKind, FourOfAKind, FiveOfAKind:
		n := map[PlayType]int{ThreeOfAKind: 3, FourOfAKind: 4, FiveOfAKind: 5}[t]
		for _, k := range []int{12, 13} { // SOLDIER_RED, SOLDIER_BLACK
			if has(k, n) {
				return n * (numKinds - k)
			}
		}
	default:
		// straights: a group of one colour, names 0..2 or 3..5
		for group := 0; group < 2; group++ {
			for colour := 0; colour < 2; colour++ {
				k0 := group*6 + colour
				counts := []int{int(c[k0]), int(c[k0+2]), int(c[k0+4])}
				core := 3*(numKinds-k0) - 6
				if straightFits(t, group, counts) && core > best {
					best = core
					if t == DoubleStraight {
						best = 2 * core
					}
				}
			}
		}
	}
	return best
}

// straightFits reports whether name counts of one coloured group allow t.
func straightFits(t PlayType, group int, counts []int) bool {
	twice := 0
	for _, n := range counts {
		if n == 0 {
			return false
		}
		if n >= 2 {
			twice++
		}
	}
	switch t {
	case Straight:
		return true
	case ExtendedStraight:
		return twice >= 1
	case ExtendedStraight5:
		return twice >= 2
	case DoubleStraight:
		return group == 1 && twice == 3
	}
	return false
}

// Play follows rules §19.4.
func (BotStrategy) Play(v SeatView, _ *rand.Rand) Hand {
	need := v.Declared - v.Captured
	if v.NumPlays == 0 {
		if need <= 0 {
			return Hand(1) << v.Hand.highest()
		}
		return bestLead(v.Hand, need)
	}
	leadType, leadValue := leadOf(v.Plays[:v.NumPlays])
	var taking, dumping Hand
	takingValue, dumpingPoints := 0, 0
	forEachSizedSubset(v.Hand, v.Required, func(set Hand) {
		t, value := ClassifyHand(set)
		if t == leadType && value > leadValue {
			if taking == 0 || value < takingValue || (value == takingValue && lexLess(set, taking)) {
				taking, takingValue = set, value
			}
			return
		}
		points := set.Points()
		if dumping == 0 || points < dumpingPoints || (points == dumpingPoints && lexLess(set, dumping)) {
			dumping, dumpingPoints = set, points
		}
	})
	switch {
	case need > 0 && taking != 0:
		return taking
	case dumping != 0:
		return dumping
	}
	return lowest(v.Hand, v.Required)
}

// bestLead is the valid play of at most need pieces with the highest value;
// then more pieces; then the lexicographically smallest id list.
func bestLead(hand Hand, need int) Hand {
	var best Hand
	bestValue := -1
	forEachSubset(hand, func(set Hand) {
		n := set.Len()
		if n > need {
			return
		}
		t, value := ClassifyHand(set)
		if t == Invalid {
			return
		}
		bn := best.Len()
		if value > bestValue || (value == bestValue && (n > bn || (n == bn && lexLess(set, best)))) {
			best, bestValue = set, value
		}
	})
	return best
}

// leadOf is the starter's type and the best candidate's value (rules §3.2).
func leadOf(plays []PlayRecord) (PlayType, int) {
	w := plays[turnWinner(plays)]
	return plays[0].PlayType, w.Value
}

// forEachSizedSubset calls f for every subset of h with exactly n pieces.
func forEachSizedSubset(h Hand, n int, f func(Hand)) {
	for sub := h; sub != 0; sub = (sub - 1) & h {
		if sub.Len() == n {
			f(sub)
		}
	}
}

// lowest is the n pieces with the highest ids (the least valuable).
func lowest(h Hand, n int) Hand {
	var out Hand
	for i := 0; i < n && h != 0; i++ {
		top := Hand(1) << h.highest()
		out |= top
		h &^= top
	}
	return out
}

// lexLess compares the ascending id lists of two sets lexicographically.
func lexLess(a, b Hand) bool {
	for a != 0 && b != 0 {
		x, y := bits.TrailingZeros32(uint32(a)), bits.TrailingZeros32(uint32(b))
		if x != y {
			return x < y
		}
		a &= a - 1
		b &= b - 1
	}
	return a == 0 && b != 0
}

// RandomStrategy is the baseline of rules §19.5: uniform over the legal
// choices, accepting a redeal with probability 0.5.
type RandomStrategy struct{}

// Redeal accepts with probability 0.5.
func (RandomStrategy) Redeal(_ SeatView, r *rand.Rand) bool { return r.IntN(2) == 0 }

// Declare picks an option uniformly.
func (RandomStrategy) Declare(v SeatView, r *rand.Rand) int {
	opts := v.Options()
	return opts[r.IntN(len(opts))]
}

// Play picks uniformly among the valid plays (starter) or the N-piece sets.
func (RandomStrategy) Play(v SeatView, r *rand.Rand) Hand {
	var choices []Hand
	if v.NumPlays == 0 {
		forEachSubset(v.Hand, func(set Hand) {
			if t, _ := ClassifyHand(set); t != Invalid {
				choices = append(choices, set)
			}
		})
	} else {
		forEachSizedSubset(v.Hand, v.Required, func(set Hand) { choices = append(choices, set) })
	}
	return choices[r.IntN(len(choices))]
}
