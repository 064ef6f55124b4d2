package game

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkFullGame plays one complete fast-mode game of four bots at the
// table: one Start command runs it to game over inside Decide.
func BenchmarkFullGame(b *testing.B) {
	b.ReportAllocs()
	events := 0
	for i := 0; b.Loop(); i++ {
		_, log, err := PlayMatch(Match{Seed: uint64(i%1000 + 1), Config: matchConfig()})
		if err != nil {
			b.Fatal(err)
		}
		events += len(log)
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/game")
}

// BenchmarkClassify classifies the §22 way, from kind strings; the mask
// form the engine uses internally is BenchmarkClassifyHand.
func BenchmarkClassify(b *testing.B) {
	plays := benchPlays()
	kinds := make([][]Kind, len(plays))
	for i, p := range plays {
		for _, id := range p.IDs() {
			kinds[i] = append(kinds[i], KindOfPiece(id))
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Classify(kinds[i%len(kinds)])
	}
}

func BenchmarkClassifyHand(b *testing.B) {
	plays := benchPlays()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ClassifyHand(plays[i%len(plays)])
	}
}

// benchPlays are 1024 random subsets of 1..6 pieces.
func benchPlays() []Hand {
	r := rand.New(rand.NewPCG(1, 2))
	plays := make([]Hand, 1024)
	for i := range plays {
		perm := r.Perm(numPieces)
		plays[i] = HandOf(perm[:1+r.IntN(6)]...)
	}
	return plays
}
