package monitor

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// permutations calls f with every ordering of idx.
func healthPermutations(idx []int, f func([]int)) {
	var rec func(int)
	rec = func(k int) {
		if k == len(idx) {
			f(idx)
			return
		}
		for i := k; i < len(idx); i++ {
			idx[k], idx[i] = idx[i], idx[k]
			rec(k + 1)
			idx[k], idx[i] = idx[i], idx[k]
		}
	}
	rec(0)
}

// TestAggregateEveryCombination puts one check at each level of every
// non-empty subset of the four levels, with the unknown one essential or
// not, and the others essential or not, in every order.
func TestAggregateEveryCombination(t *testing.T) {
	all := []Level{LevelHealthy, LevelWarning, LevelUnknown, LevelCritical}
	for mask := 1; mask < 1<<len(all); mask++ {
		var levels []Level
		for i, l := range all {
			if mask&(1<<i) != 0 {
				levels = append(levels, l)
			}
		}
		for flags := 0; flags < 1<<len(levels); flags++ {
			essential := make([]bool, len(levels))
			// Expected: a non-essential unknown counts as warning, then the
			// highest level wins.
			want := LevelHealthy
			for i, l := range levels {
				essential[i] = flags&(1<<i) != 0
				if l == LevelUnknown && !essential[i] {
					l = LevelWarning
				}
				want = max(want, l)
			}
			order := make([]int, len(levels))
			for i := range order {
				order[i] = i
			}
			healthPermutations(order, func(p []int) {
				ls, es := make([]Level, len(p)), make([]bool, len(p))
				for i, j := range p {
					ls[i], es[i] = levels[j], essential[j]
				}
				if got := aggregateLevels(ls, es); got != want {
					t.Errorf("levels %v essential %v: %s, want %s", ls, es, got, want)
				}
			})
		}
	}
	if got := aggregateLevels(nil, nil); got != LevelHealthy {
		t.Errorf("no checks: %s", got)
	}
}

func TestHysteresis(t *testing.T) {
	const (
		H = LevelHealthy
		W = LevelWarning
		U = LevelUnknown
		C = LevelCritical
	)
	type step struct {
		raw, reported Level
		stale         bool
	}
	cases := []struct {
		name    string
		recover int
		steps   []step
	}{
		{"initial unknown", 2, []step{{U, U, false}, {U, U, false}, {H, H, false}}},
		{"up is immediate", 2, []step{{H, H, false}, {W, W, false}, {C, C, false}}},
		{"straight to critical", 2, []step{{H, H, false}, {C, C, false}}},
		{"worked timeline 13-16", 2, []step{{C, C, false}, {W, C, false}, {H, W, false}, {H, H, false}}},
		{"down needs 2 in a row", 2, []step{{W, W, false}, {H, W, false}, {W, W, false}, {H, W, false}, {H, H, false}}},
		{"recover_samples 3", 3, []step{{C, C, false}, {H, C, false}, {H, C, false}, {H, H, false}}},
		{"recover_samples 1", 1, []step{{C, C, false}, {H, H, false}}},
		{"one unknown is stale", 2, []step{{H, H, false}, {U, H, true}, {H, H, false}}},
		{"two unknowns", 2, []step{{W, W, false}, {U, W, true}, {U, U, false}, {U, U, false}}},
		{"from unknown is immediate", 2, []step{{C, C, false}, {U, C, true}, {U, U, false}, {H, H, false}}},
		{"unknown is no evidence of recovery", 2, []step{{C, C, false}, {U, C, true}, {H, C, false}, {H, H, false}}},
		{"error sample in the timeline", 2, []step{{H, H, false}, {U, H, true}, {H, H, false}}},
	}
	for _, c := range cases {
		var h hysteresis
		for i, s := range c.steps {
			h.observe(s.raw, c.recover)
			if h.reported != s.reported || h.stale != s.stale {
				t.Errorf("%s step %d (raw %s): reported %s stale %v, want %s stale %v",
					c.name, i, s.raw, h.reported, h.stale, s.reported, s.stale)
			}
		}
	}
}

func TestStaleSnapshotRule(t *testing.T) {
	s := &Snapshot{Seq: 3, TakenAt: healthEpoch, IntervalAfter: 30 * time.Second, Overall: LevelHealthy, OverallMessage: "all checks healthy"}
	edge := healthEpoch.Add(70 * time.Second)
	if l, msg := s.Status(edge); l != LevelHealthy || msg != "all checks healthy" || s.Stale(edge) {
		t.Fatalf("at 2×30 s + 10 s: %s %q", l, msg)
	}
	late := edge.Add(time.Millisecond)
	if l, msg := s.Status(late); l != LevelUnknown || msg != "monitor stalled" || !s.Stale(late) {
		t.Fatalf("past 2×30 s + 10 s: %s %q", l, msg)
	}
	if l, msg := (&Snapshot{}).Status(healthEpoch); l != LevelUnknown || msg != "no sample yet" {
		t.Fatalf("placeholder: %s %q", l, msg)
	}
}

func TestLevelEncoding(t *testing.T) {
	for i, name := range []string{"healthy", "warning", "unknown", "critical"} {
		l := Level(i)
		b, err := json.Marshal(l)
		if err != nil || string(b) != fmt.Sprintf("%q", name) {
			t.Errorf("marshal %d: %s %v", i, b, err)
		}
		var back Level
		if err := json.Unmarshal(b, &back); err != nil || back != l {
			t.Errorf("unmarshal %s: %s %v", b, back, err)
		}
	}
	if codes := []int{LevelHealthy.SeedCode(), LevelWarning.SeedCode(), LevelCritical.SeedCode(), LevelUnknown.SeedCode()}; fmt.Sprint(codes) != "[0 1 2 3]" {
		t.Errorf("seed codes %v", codes)
	}
	if _, err := json.Marshal(Level(9)); err == nil {
		t.Error("invalid level encoded")
	}
}
