package monitor

import (
	"math"
	"testing"
	"unsafe"
)

func testHistoryEntry(seq uint64, memory float64) *HistoryEntry {
	e := &HistoryEntry{UnixMs: int64(seq) * 30000, Seq: seq, Trigger: TriggerSchedule}
	for i := range e.Values {
		e.Values[i] = missingValue
	}
	e.Values[SeriesMemory] = memory
	return e
}

func historySeqs(entries []HistoryEntry) []uint64 {
	out := make([]uint64, len(entries))
	for i, e := range entries {
		out[i] = e.Seq
	}
	return out
}

func equalHistorySeqs(a []uint64, b ...uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHistoryWrapsAround(t *testing.T) {
	h := newHistory(5)
	if got := h.Last(10, math.MaxUint64, nil); len(got) != 0 || h.Len() != 0 {
		t.Fatalf("empty ring gave %v", historySeqs(got))
	}
	for seq := uint64(1); seq <= 8; seq++ {
		h.append(testHistoryEntry(seq, float64(seq)))
	}
	if h.Len() != 5 || h.Cap() != 5 {
		t.Fatalf("len %d cap %d", h.Len(), h.Cap())
	}
	if got := historySeqs(h.Last(10, math.MaxUint64, nil)); !equalHistorySeqs(got, 4, 5, 6, 7, 8) {
		t.Fatalf("after wrap: %v", got)
	}
	if got := historySeqs(h.Last(2, math.MaxUint64, nil)); !equalHistorySeqs(got, 7, 8) {
		t.Fatalf("last 2: %v", got)
	}
	// A snapshot sees the ring as of its own sequence number.
	if got := historySeqs(h.Last(3, 6, nil)); !equalHistorySeqs(got, 4, 5, 6) {
		t.Fatalf("up to seq 6: %v", got)
	}
}

func TestHistoryPointsSkipMissingValues(t *testing.T) {
	h := newHistory(10)
	for seq := uint64(1); seq <= 6; seq++ {
		v := float64(seq * 10)
		if seq == 3 || seq == 5 {
			v = missingValue // an error sample
		}
		h.append(testHistoryEntry(seq, v))
	}
	pts := h.points(SeriesMemory, 4, nil) // entries 3..6, of which 4 and 6 have values
	if len(pts) != 2 || pts[0].value != 40 || pts[1].value != 60 || pts[1].unixSec != 180 {
		t.Fatalf("points %+v", pts)
	}
	e := testHistoryEntry(1, missingValue)
	if _, ok := e.Value(SeriesMemory); ok {
		t.Fatal("missing value reported present")
	}
	if _, ok := e.Value(SeriesDiskFree); ok {
		t.Fatal("a series the ring does not keep reported present")
	}
}

func TestHistoryEntrySize(t *testing.T) {
	if size := unsafe.Sizeof(HistoryEntry{}); size > 240 {
		t.Fatalf("history entry is %d bytes; §3 budgets about 200", size)
	}
}
