package monitor

import (
	"math"
	"sync"
)

// Series names one number a sample records. The first ones are those the
// history ring keeps (observability §3); the rest feed /metrics only.
type Series int

const (
	SeriesCPU             Series = iota // percent
	SeriesMemory                        // percent of the effective limit
	SeriesMemoryUsed                    // bytes
	SeriesDisk                          // percent
	SeriesRSS                           // bytes
	SeriesGoroutines                    //
	SeriesConnections                   // open WebSocket connections
	SeriesPending                       // queued outbound frames
	SeriesDeliveryRate                  // percent
	SeriesFailureRate                   // percent
	SeriesFramesPerSecond               // resolved frames per second over 60 s
	SeriesDBResponseMs                  //
	SeriesAppendP99Ms                   //
	SeriesQueueDepth                    // writer queue
	SeriesRooms                         // live rooms
	SeriesActiveGames                   // rooms playing
	SeriesPlayers                       // human seats
	SeriesBots                          // bot seats
	SeriesCanaryMs                      // last canary game
	SeriesMemoryLimit                   // bytes: cgroup limit, else host total
	SeriesMemoryAvailable               // bytes
	SeriesDiskFree                      // bytes
	numSeries
)

// numHistorySeries counts the series the history ring keeps: those before
// SeriesMemoryLimit.
const numHistorySeries = SeriesMemoryLimit

// NumSeries is the number of Series.
const NumSeries = int(numSeries)

// missingValue marks a series without a value in a sample; JSON shows null.
var missingValue = math.NaN()

// readingsFrom lifts the inputs of a sample into its numbers.
func readingsFrom(in *sampleInputs) [numSeries]float64 {
	var v [numSeries]float64
	for i := range v {
		v[i] = missingValue
	}
	if in.cpu.ok() {
		v[SeriesCPU] = in.cpu.value
	}
	if m := in.memory; m.ok() {
		v[SeriesMemory] = m.value.Percent
		v[SeriesMemoryUsed] = float64(m.value.UsedBytes)
		v[SeriesMemoryLimit] = float64(m.value.LimitBytes)
		v[SeriesMemoryAvailable] = float64(m.value.AvailableBytes)
	}
	if d := in.disk; d.ok() {
		v[SeriesDisk] = d.value.Percent
		v[SeriesDiskFree] = float64(d.value.FreeBytes)
	}
	if in.rss.ok() {
		v[SeriesRSS] = float64(in.rss.value)
	}
	if in.goroutines.ok() {
		v[SeriesGoroutines] = float64(in.goroutines.value)
	}
	if h := in.hub; h.ok() {
		v[SeriesConnections] = float64(h.value.connections)
		v[SeriesPending] = float64(h.value.pending)
		v[SeriesDeliveryRate] = h.value.delivery.DeliveryRate()
		v[SeriesFailureRate] = h.value.delivery.FailureRate()
		v[SeriesFramesPerSecond] = float64(h.value.delivery.Resolved()) / windowSeconds
	}
	if in.ping.ok() {
		v[SeriesDBResponseMs] = durationMillis(in.ping.value)
	}
	if s := in.store; s.ok() {
		v[SeriesQueueDepth] = float64(s.value.QueueDepth)
		if s.value.Append.Count > 0 {
			v[SeriesAppendP99Ms] = s.value.Append.P99Ms
		}
	}
	if r := in.rooms; r.ok() {
		c := r.value
		v[SeriesRooms] = float64(c.Waiting + c.Playing + c.Finished)
		v[SeriesActiveGames] = float64(c.Playing)
		v[SeriesPlayers] = float64(c.HumansConnected + c.HumansAway)
		v[SeriesBots] = float64(c.Bots)
	}
	if c := in.canary; c.ok() && c.value.Enabled && len(c.value.Recent) > 0 {
		v[SeriesCanaryMs] = durationMillis(c.value.Recent[len(c.value.Recent)-1].Duration)
	}
	return v
}

// windowSeconds is the span of the delivery window.
const windowSeconds = float64(windowBuckets) * float64(windowSpan) / 1e9

// HistoryEntry is one sample in the history ring (≈ 200 bytes).
type HistoryEntry struct {
	UnixMs              int64
	Seq                 uint64
	Trigger             string
	OverallRaw, Overall Level
	Checks              [numChecks]Level // reported status per check
	Values              [numHistorySeries]float64
}

// Value is the entry's value of s; false when the sample had none.
func (e *HistoryEntry) Value(s Series) (float64, bool) {
	if s < 0 || s >= numHistorySeries {
		return 0, false
	}
	v := e.Values[s]
	return v, !math.IsNaN(v)
}

// History is the fixed-size ring of the latest samples, allocated once.
type History struct {
	mu    sync.RWMutex
	ring  []HistoryEntry
	next  int // slot of the next append
	count int
}

func newHistory(size int) *History { return &History{ring: make([]HistoryEntry, size)} }

// Cap is monitor.history.size.
func (h *History) Cap() int { return len(h.ring) }

// Len is the number of entries held.
func (h *History) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.count
}

func (h *History) append(e *HistoryEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ring[h.next] = *e
	h.next = (h.next + 1) % len(h.ring)
	h.count = min(h.count+1, len(h.ring))
}

// Last appends to dst the latest n entries whose Seq is at most upTo,
// oldest first.
func (h *History) Last(n int, upTo uint64, dst []HistoryEntry) []HistoryEntry {
	h.mu.RLock()
	defer h.mu.RUnlock()
	newest := h.count // entries from the newest back that are newer than upTo are skipped
	for newest > 0 && h.at(newest-1).Seq > upTo {
		newest--
	}
	n = min(n, newest)
	for i := newest - n; i < newest; i++ {
		dst = append(dst, *h.at(i))
	}
	return dst
}

// at is the i-th held entry, 0 the oldest; h.mu must be held.
func (h *History) at(i int) *HistoryEntry {
	oldest := (h.next - h.count + len(h.ring)) % len(h.ring)
	return &h.ring[(oldest+i)%len(h.ring)]
}

// trendPoint is one present value of a series at its sample time.
type trendPoint struct{ unixSec, value float64 }

// points appends to dst the present, finite values of s among the latest
// n entries, oldest first.
func (h *History) points(s Series, n int, dst []trendPoint) []trendPoint {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for i := max(h.count-n, 0); i < h.count; i++ {
		e := h.at(i)
		if v, ok := e.Value(s); ok && !math.IsInf(v, 0) {
			dst = append(dst, trendPoint{float64(e.UnixMs) / 1000, v})
		}
	}
	return dst
}
