// Package game is the pure rule set of Liap Tui (rules.md): pieces, play types,
// scoring, the phase machine as Decide/Apply, views and bots. It does no I/O,
// starts no goroutines and reads no clock or global random source: callers pass
// the time and a seeded source in Env.
package game

import (
	"fmt"
	"math/bits"
)

// Kind is one of the 14 kinds of piece, e.g. "GENERAL_RED".
type Kind string

// kinds lists the 14 kinds strongest first; a kind's index k gives its name
// (k/2), colour (k%2, 0 = red) and points (14 - k).
var kinds = [numKinds]Kind{
	"GENERAL_RED", "GENERAL_BLACK", "ADVISOR_RED", "ADVISOR_BLACK",
	"ELEPHANT_RED", "ELEPHANT_BLACK", "CHARIOT_RED", "CHARIOT_BLACK",
	"HORSE_RED", "HORSE_BLACK", "CANNON_RED", "CANNON_BLACK",
	"SOLDIER_RED", "SOLDIER_BLACK",
}

const (
	numKinds  = 14
	numPieces = 32
	numSeats  = 4
	handSize  = 8

	nameSoldier = 6 // names 0..2 form the GENERAL group, 3..5 the CHARIOT group
)

// kindOfID maps a piece id to its kind index (rules §1 table order).
var kindOfID = [numPieces]uint8{
	0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
	12, 12, 12, 12, 12, 13, 13, 13, 13, 13,
}

// ParseKind accepts exactly one of the 14 kind strings.
func ParseKind(s string) (Kind, error) {
	if _, ok := kindIndex(Kind(s)); ok {
		return Kind(s), nil
	}
	return "", fmt.Errorf("unknown piece kind %q", s)
}

func kindIndex(k Kind) (int, bool) {
	for i, known := range kinds {
		if known == k {
			return i, true
		}
	}
	return 0, false
}

// Points is the kind's value (rules §1), 0 for an unknown kind.
func (k Kind) Points() int {
	if i, ok := kindIndex(k); ok {
		return numKinds - i
	}
	return 0
}

// KindOfPiece gives the kind of piece id 0..31, "" for any other id.
func KindOfPiece(id int) Kind {
	if id < 0 || id >= numPieces {
		return ""
	}
	return kinds[kindOfID[id]]
}

// PiecePoints is the points of piece id (which must be 0..31).
func PiecePoints(id int) int { return numKinds - int(kindOfID[id]) }

// Hand is a set of piece ids as a bit mask: bit i set means piece i is held.
// It keeps State comparable and copying cheap.
type Hand uint32

// fullDeck holds all 32 pieces.
const fullDeck = Hand(1<<numPieces - 1)

// HandOf builds a set from ids; ids must be 0..31.
func HandOf(ids ...int) Hand {
	var h Hand
	for _, id := range ids {
		h |= 1 << id
	}
	return h
}

// Has reports whether piece id is in the set.
func (h Hand) Has(id int) bool { return id >= 0 && id < numPieces && h&(1<<id) != 0 }

// Len is the number of pieces.
func (h Hand) Len() int { return bits.OnesCount32(uint32(h)) }

// IDs lists the piece ids ascending; never nil, so it encodes as [].
func (h Hand) IDs() []int {
	ids := make([]int, 0, h.Len())
	for m := uint32(h); m != 0; m &= m - 1 {
		ids = append(ids, bits.TrailingZeros32(m))
	}
	return ids
}

// Points is the plain sum of the pieces' points.
func (h Hand) Points() int {
	sum := 0
	for m := uint32(h); m != 0; m &= m - 1 {
		sum += PiecePoints(bits.TrailingZeros32(m))
	}
	return sum
}

// highest is the highest id in the set (its weakest piece), -1 when empty.
func (h Hand) highest() int { return 31 - bits.LeadingZeros32(uint32(h)) }

// strongPieces are ids 0..7, the pieces worth more than 9 (rules §1, §8).
const strongPieces = Hand(0xFF)
