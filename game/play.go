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

// playStats is what classification needs from a multiset of kinds.
type playStats struct {
	n, sum, maxCount int
	kinds            uint16 // bit k set when kind k is present
}

func (p *playStats) add(kind uint8, count int) {
	p.n++
	p.sum += numKinds - int(kind)
	p.kinds |= 1 << kind
	p.maxCount = max(p.maxCount, count)
}

// Classify gives the type of a multiset of kinds (rules §2). It does not check
// copy limits; an unknown kind, no pieces or 7+ pieces is INVALID.
func Classify(ks []Kind) PlayType {
	p, ok := statsOfKinds(ks)
	if !ok {
		return Invalid
	}
	return p.classify()
}

// PlayValue is the core sum for extended straights and the plain sum of
// points otherwise (rules §3.1).
func PlayValue(ks []Kind) int {
	p, ok := statsOfKinds(ks)
	if !ok {
		sum := 0
		for _, k := range ks {
			sum += k.Points()
		}
		return sum
	}
	return p.value(p.classify())
}

func statsOfKinds(ks []Kind) (playStats, bool) {
	var p playStats
	if len(ks) > 6 {
		return p, false
	}
	var counts [numKinds]int
	for _, k := range ks {
		i, ok := kindIndex(k)
		if !ok {
			return p, false
		}
		counts[i]++
		p.add(uint8(i), counts[i])
	}
	return p, true
}

// ClassifyHand classifies a set of piece ids and gives its value.
func ClassifyHand(h Hand) (PlayType, int) {
	if h.Len() > 6 {
		return Invalid, h.Points()
	}
	var p playStats
	var counts [numKinds]int
	for m := uint32(h); m != 0; m &= m - 1 {
		k := kindOfID[bits.TrailingZeros32(m)]
		counts[k]++
		p.add(k, counts[k])
	}
	t := p.classify()
	return t, p.value(t)
}

// Kind masks: the colours and the two groups of rules §1.
const (
	redKinds     uint16 = 0b01_0101_0101_0101
	blackKinds   uint16 = 0b10_1010_1010_1010
	generalGroup uint16 = 0b00_0000_0011_1111
	chariotGroup uint16 = 0b00_1111_1100_0000
	soldierKinds uint16 = 0b11_0000_0000_0000
)

func (p *playStats) classify() PlayType {
	switch distinct := bits.OnesCount16(p.kinds); {
	case p.n < 1 || p.n > 6:
		return Invalid
	case p.n == 1:
		return Single
	case distinct == 1 && p.n == 2:
		return Pair
	case distinct == 1 && p.kinds&soldierKinds != 0:
		return [...]PlayType{3: ThreeOfAKind, 4: FourOfAKind, 5: FiveOfAKind, 6: Invalid}[p.n]
	case distinct != 3 || p.maxCount > 2:
		return Invalid
	}
	// Three kinds of one colour, all of one group: its three names.
	oneColour := p.kinds&redKinds == p.kinds || p.kinds&blackKinds == p.kinds
	inGeneral, inChariot := p.kinds&generalGroup == p.kinds, p.kinds&chariotGroup == p.kinds
	if !oneColour || !(inGeneral || inChariot) {
		return Invalid
	}
	switch p.n { // each name at most twice, so n - 3 names appear twice
	case 3:
		return Straight
	case 4:
		return ExtendedStraight
	case 5:
		return ExtendedStraight5
	}
	if inChariot {
		return DoubleStraight
	}
	return Invalid
}

// value is the core sum for extended straights, else the plain sum.
func (p *playStats) value(t PlayType) int {
	if t != ExtendedStraight && t != ExtendedStraight5 {
		return p.sum
	}
	core := 0
	for m := p.kinds; m != 0; m &= m - 1 {
		core += numKinds - bits.TrailingZeros16(m)
	}
	return core
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
