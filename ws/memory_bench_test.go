package ws

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"testing"
)

// BenchmarkIdleConnection reports what one idle, authenticated connection
// holds in the server, from runtime.MemStats around b.N connections that
// said hello: goroutines, goroutine stack bytes (as they stand: Go shrinks
// stacks only at a GC) and live heap bytes (after a GC), and their sum. The
// clients are bare sockets (rawHello), so besides the server's share the
// figures hold only one client socket per connection.
func BenchmarkIdleConnection(b *testing.B) {
	env := newHubEnv(b, testConfig(), fastGame(), nil)
	runtime.GC()
	before := memStats()
	socks := make([]net.Conn, 0, b.N)
	b.Cleanup(func() {
		for _, s := range socks {
			s.Close()
		}
	})
	for range b.N {
		socks = append(socks, rawHello(b, env.url))
	}
	goroutines := runtime.NumGoroutine() - before.goroutines
	stacks := memStats().stack - before.stack
	runtime.GC()
	heap := memStats().heap - before.heap
	runtime.KeepAlive(socks)
	per := func(v int64) float64 { return float64(v) / float64(b.N) }
	b.ReportMetric(per(int64(goroutines)), "goroutines/conn")
	b.ReportMetric(per(stacks), "stackB/conn")
	b.ReportMetric(per(heap), "heapB/conn")
	b.ReportMetric(per(stacks+heap), "B/conn")
}

type memReading struct {
	goroutines  int
	stack, heap int64
}

func memStats() memReading {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memReading{goroutines: runtime.NumGoroutine(), stack: int64(m.StackInuse), heap: int64(m.HeapAlloc)}
}

// rawHello opens a WebSocket by hand, says hello and reads the welcome; the
// returned socket, which the caller closes, is all the client keeps.
func rawHello(b *testing.B, wsURL string) net.Conn {
	b.Helper()
	u, err := url.Parse(wsURL)
	if err != nil {
		b.Fatal(err)
	}
	sock, err := net.Dial("tcp", u.Host)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(sock, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", u.Path, u.Host)
	br := bufio.NewReader(sock)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		b.Fatalf("upgrade: %v, %v", resp, err)
	}
	if _, err := sock.Write(maskedText([]byte(`{"type":"hello","id":"h","data":{"name":"Idle"}}`))); err != nil {
		b.Fatal(err)
	}
	if msg := readFrame(b, br); !bytes.Contains(msg, []byte(`"welcome"`)) {
		b.Fatalf("hello answered %s", msg)
	}
	if br.Buffered() != 0 {
		b.Fatal("the server sent more than the welcome")
	}
	return sock
}

// maskedText is one client text frame (RFC 6455 §5.2) with a zero mask.
func maskedText(payload []byte) []byte {
	if len(payload) > 125 {
		panic("maskedText: payload over 125 bytes")
	}
	return append([]byte{0x81, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
}

// readFrame reads one unmasked, unfragmented server frame.
func readFrame(b *testing.B, r io.Reader) []byte {
	b.Helper()
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		b.Fatal(err)
	}
	n := uint64(head[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			b.Fatal(err)
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			b.Fatal(err)
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		b.Fatal(err)
	}
	return msg
}
