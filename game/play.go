package game

import "math/bits"

// PlayType is the type of a play (rules §2).
type PlayType string

// The play types of rules §2.
const (
	Single            PlayType = "SINGLE"
	Pair              PlayType = "PAIR"
	ThreeOfAKind      PlayType = "THREE_OF_A_KIND"
	Straight          PlayType = "STRAIGHT"
	FourOfAKind       PlayType = "FOUR_OF_A_KIND"
	ExtendedStraight  PlayType = "EXTENDED_STRAIGHT"
	ExtendedStraight5 PlayType = "EXTENDED_STRAIGHT_5"
	FiveOfAKind       PlayType = "FIVE_OF_A_KIND"
	DoubleStraight    PlayType = "DOUBLE_STRAIGHT"
	Invalid           PlayType = "INVALID"
)

// kindCounts is a multiset of kinds by kind index.
type kindCounts [numKinds]uint8

// Classify gives the type of a multiset of kinds (rules §2). It does not check
// copy limits; an unknown kind, no pieces or 7+ pieces is INVALID.
func Classify(ks []Kind) PlayType {
	c, ok := countKinds(ks)
	if !ok {
		return Invalid
	}
	return c.classify(len(ks))
}

// PlayValue is the core sum for extended straights and the plain sum of
// points otherwise (rules §3.1).
func PlayValue(ks []Kind) int {
	c, ok := countKinds(ks)
	if !ok || len(ks) > 6 {
		sum := 0
		for _, k := range ks {
			sum += k.Points()
		}
		return sum
	}
	return c.value(c.classify(len(ks)))
}

func countKinds(ks []Kind) (kindCounts, bool) {
	var c kindCounts
	if len(ks) > 6 {
		return c, false
	}
	for _, k := range ks {
		i, ok := kindIndex(k)
		if !ok {
			return c, false
		}
		c[i]++
	}
	return c, true
}

func countHand(h Hand) kindCounts {
	var c kindCounts
	for m := uint32(h); m != 0; m &= m - 1 {
		c[kindOfID[bits.TrailingZeros32(m)]]++
	}
	return c
}

// ClassifyHand classifies a set of piece ids and gives its value.
func ClassifyHand(h Hand) (PlayType, int) {
	n := h.Len()
	if n == 0 || n > 6 {
		return Invalid, h.Points()
	}
	c := countHand(h)
	t := c.classify(n)
	return t, c.value(t)
}

func (c *kindCounts) classify(n int) PlayType {
	if n < 1 || n > 6 {
		return Invalid
	}
	if n == 1 {
		return Single
	}
	// distinct kinds, and whether they share one colour and one group
	distinct, first := 0, -1
	colour, group := -1, -1
	oneColour, oneGroup := true, true
	for k, cnt := range c {
		if cnt == 0 {
			continue
		}
		distinct++
		if first < 0 {
			first = k
		}
		if colour >= 0 && k%2 != colour {
			oneColour = false
		}
		colour = k % 2
		g := groupOfName(k / 2)
		if g < 0 || (group >= 0 && g != group) {
			oneGroup = false
		}
		group = g
	}
	if distinct == 1 {
		if n == 2 {
			return Pair
		}
		if first/2 != nameSoldier {
			return Invalid
		}
		switch n {
		case 3:
			return ThreeOfAKind
		case 4:
			return FourOfAKind
		case 5:
			return FiveOfAKind
		}
		return Invalid
	}
	// Straights need one colour, one group and all three of its names.
	if !oneColour || !oneGroup || distinct != 3 {
		return Invalid
	}
	twice := 0
	for _, cnt := range c {
		switch cnt {
		case 0, 1:
		case 2:
			twice++
		default:
			return Invalid
		}
	}
	switch {
	case n == 3:
		return Straight
	case n == 4 && twice == 1:
		return ExtendedStraight
	case n == 5 && twice == 2:
		return ExtendedStraight5
	case n == 6 && twice == 3 && group == 1:
		return DoubleStraight
	}
	return Invalid
}

// groupOfName: 0 GENERAL group, 1 CHARIOT group, -1 soldier.
func groupOfName(name int) int {
	switch {
	case name < 3:
		return 0
	case name < nameSoldier:
		return 1
	}
	return -1
}

func (c *kindCounts) value(t PlayType) int {
	sum := 0
	for k, cnt := range c {
		if cnt == 0 {
			continue
		}
		if t == ExtendedStraight || t == ExtendedStraight5 {
			sum += numKinds - k
		} else {
			sum += int(cnt) * (numKinds - k)
		}
	}
	return sum
}

// TurnWinner returns the index of the winning play (rules §3.2), or -1 when
// plays is empty or the starter's play is INVALID.
func TurnWinner(plays [][]Kind) int {
	if len(plays) == 0 {
		return -1
	}
	lead := Classify(plays[0])
	if lead == Invalid {
		return -1
	}
	best, bestValue := 0, PlayValue(plays[0])
	for i := 1; i < len(plays); i++ {
		if Classify(plays[i]) != lead {
			continue
		}
		if v := PlayValue(plays[i]); v > bestValue {
			best, bestValue = i, v
		}
	}
	return best
}
