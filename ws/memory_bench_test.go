package ws

import (
	"runtime"
	"testing"
)

// BenchmarkIdleConnection reports the heap and stack held per idle,
// authenticated connection, client and server sides together (both live in
// this process). The outbound queue's share is nil: an idle queue holds no
// ring (TestOutQueue).
func BenchmarkIdleConnection(b *testing.B) {
	env := newHubEnv(b, testConfig(), fastGame(), nil)
	inUse := func() (uint64, uint64) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse, m.StackInuse
	}
	hb, sb := inUse()
	clients := make([]*testClient, 0, b.N)
	for i := 0; i < b.N; i++ {
		c := env.dial(nil)
		c.hello("Idle")
		clients = append(clients, c)
	}
	ha, sa := inUse()
	runtime.KeepAlive(clients)
	b.ReportMetric(float64(int64(ha)-int64(hb))/float64(b.N), "heapB/conn")
	b.ReportMetric(float64(int64(sa)-int64(sb))/float64(b.N), "stackB/conn")
}
