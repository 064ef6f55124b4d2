//go:build unix

package events

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash test of observability §6.4/§6.7: a child process appends and
// acknowledges every committed event on a pipe; the parent kills it with
// SIGKILL mid-stream, reopens the file and finds every acknowledged event,
// in order, with no gaps.

const (
	crashPathEnv = "LIAP_CRASH_CHILD"       // database path; makes TestCrashChild the child
	crashSyncEnv = "LIAP_CRASH_SYNCHRONOUS" // store.synchronous of the child

	crashProducers    = 4
	crashRoomsPer     = 3 // rooms per producer; each room has exactly one producer
	crashMaxBatch     = 3 // events per Append
	crashChildRuntime = 60 * time.Second
	crashDeadline     = 20 * time.Second
)

// crashRoom is the room producer p writes as its r-th room.
func crashRoom(p, r int) string { return roomID(1000 + p*crashRoomsPer + r) }

var crashTypes = []string{"bot_added", "played", "declared", "turn_won", "player_disconnected"}

// crashEvent is the event the child appends at (room, seq): everything in it
// follows from room and seq, so the parent can check every stored field.
func crashEvent(room string, seq int64) NewEvent {
	typ := crashTypes[seq%int64(len(crashTypes))]
	if seq == 1 {
		typ = "room_created"
	}
	pad := strings.Repeat(string(rune('a'+seq%26)), int(seq%40))
	return NewEvent{
		Type:    typ,
		At:      1_700_000_000_000 + seq*7,
		Payload: []byte(fmt.Sprintf(`{"room":%q,"seq":%d,"pad":%q}`, room, seq, pad)),
		Actor:   fmt.Sprintf("bot:%d", seq%4),
	}
}

// TestCrashChild is the child process of TestCrashKillMidStream; without the
// environment variable it does nothing.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashPathEnv)
	if path == "" {
		t.Skip("the child of TestCrashKillMidStream; runs only when " + crashPathEnv + " is set")
	}
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stdout, "ERR "+format+"\n", args...)
		os.Exit(2)
	}
	ctx := context.Background()
	s, err := Open(ctx, path, Options{Synchronous: os.Getenv(crashSyncEnv)})
	if err != nil {
		fail("open: %v", err)
	}
	var out sync.Mutex // one Write per Append: its lines reach the pipe together, in order
	stop := time.Now().Add(crashChildRuntime)
	var wg sync.WaitGroup
	for p := range crashProducers {
		wg.Go(func() {
			heads := make([]int64, crashRoomsPer)
			var line strings.Builder
			for i := 0; time.Now().Before(stop); i++ {
				r := i % crashRoomsPer
				room := crashRoom(p, r)
				n := 1 + (i/crashRoomsPer+p)%crashMaxBatch
				batch := make([]NewEvent, n)
				for k := range batch {
					batch[k] = crashEvent(room, heads[r]+int64(k)+1)
				}
				stored, err := s.Append(ctx, room, 1, heads[r], batch)
				if err != nil {
					fail("append %s after %d: %v", room, heads[r], err)
				}
				line.Reset()
				for k, st := range stored {
					if st.Seq != heads[r]+int64(k)+1 {
						fail("append %s after %d stored seq %d at %d", room, heads[r], st.Seq, k)
					}
					fmt.Fprintf(&line, "ACK %s %d\n", room, st.Seq)
				}
				heads[r] += int64(n)
				out.Lock()
				_, err = os.Stdout.WriteString(line.String())
				out.Unlock()
				if err != nil {
					os.Exit(3) // the parent went away
				}
			}
		})
	}
	wg.Wait()
}

func TestCrashKillMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	for _, mode := range []string{"normal", "full"} {
		for _, killAfter := range []int{300, 1500} {
			t.Run(fmt.Sprintf("%s/kill_after_%d", mode, killAfter), func(t *testing.T) {
				crashRun(t, mode, killAfter)
			})
		}
	}
}

// crashAck is one acknowledged event.
type crashAck struct {
	room string
	seq  int64
}

func crashRun(t *testing.T, synchronous string, killAfter int) {
	path := filepath.Join(t.TempDir(), "events.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), crashPathEnv+"="+path, crashSyncEnv+"="+synchronous)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	deadline := time.AfterFunc(crashDeadline, func() { cmd.Process.Kill() })
	defer deadline.Stop()

	acks, killed, childErr := crashReadAcks(stdout, killAfter, func() error {
		return cmd.Process.Signal(syscall.SIGKILL)
	})
	waitErr := cmd.Wait()
	waited = true
	if childErr != "" {
		t.Fatalf("child failed: %s\nstderr:\n%s", childErr, stderr.String())
	}
	if !killed {
		t.Fatalf("child stopped after %d acknowledgements, before the %d-th (wait: %v)\nstderr:\n%s",
			len(acks), killAfter, waitErr, stderr.String())
	}
	var exitErr *exec.ExitError
	if !errors.As(waitErr, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v\nstderr:\n%s", waitErr, stderr.String())
	}
	if len(acks) < killAfter {
		t.Fatalf("%d acknowledgements, want at least %d", len(acks), killAfter)
	}
	t.Logf("%d events acknowledged before SIGKILL (kill sent at %d)", len(acks), killAfter)

	// Acknowledgements of one room come from one producer, one Append at a
	// time: they must be 1, 2, 3, … in pipe order.
	acked := map[string]int64{}
	for _, a := range acks {
		if a.seq != acked[a.room]+1 {
			t.Fatalf("acknowledgement %s %d follows %d", a.room, a.seq, acked[a.room])
		}
		acked[a.room] = a.seq
	}

	ctx := context.Background()
	s, err := Open(ctx, path, Options{Synchronous: synchronous})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer func() {
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	var check string
	if err := s.reader().QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("quick_check after SIGKILL: %q %v", check, err)
	}
	for p := range crashProducers {
		for r := range crashRoomsPer {
			room := crashRoom(p, r)
			head := crashCheckRoom(t, s, room)
			// Everything acknowledged is there; beyond it at most the one
			// Append the room's producer had in flight may have committed.
			if head < acked[room] || head > acked[room]+crashMaxBatch {
				t.Fatalf("room %s: %d events stored, %d acknowledged", room, head, acked[room])
			}
			stored, err := s.Append(ctx, room, 1, head, []NewEvent{crashEvent(room, head+1)})
			if err != nil || len(stored) != 1 || stored[0].Seq != head+1 {
				t.Fatalf("room %s: append after reopen at head %d: %+v %v", room, head, stored, err)
			}
			page, err := s.Since(ctx, room, head, 0)
			if err != nil || page.HeadSeq != head+1 || len(page.Events) != 1 || page.Events[0].ID != stored[0].ID {
				t.Fatalf("room %s: since %d after the new append: %+v %v", room, head, page, err)
			}
		}
	}
}

// crashReadAcks reads the child's acknowledgements, calls kill once it has
// read killAfter of them, and keeps reading until the pipe closes: lines the
// child wrote before dying are acknowledgements too.
func crashReadAcks(r io.Reader, killAfter int, kill func() error) (acks []crashAck, killed bool, childErr string) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err != nil { // EOF (a partial last line was never acknowledged) or a read error
			return acks, killed, childErr
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "ACK "):
			f := strings.Fields(line)
			seq, perr := strconv.ParseInt(f[len(f)-1], 10, 64)
			if len(f) != 3 || perr != nil {
				if childErr == "" {
					childErr = "malformed acknowledgement " + strconv.Quote(line)
				}
				continue
			}
			acks = append(acks, crashAck{room: f[1], seq: seq})
			if len(acks) == killAfter && !killed {
				killed = kill() == nil
			}
		case strings.HasPrefix(line, "ERR "):
			if childErr == "" {
				childErr = line
			}
		}
	}
}

// crashCheckRoom checks that room's stored stream is exactly seqs 1..head of
// what the child writes, ids ascending, and that the streams row agrees; it
// returns head (0 when the room was never committed).
func crashCheckRoom(t *testing.T, s *Store, room string) int64 {
	t.Helper()
	ctx := context.Background()
	var head, lastID int64
	err := s.Load(ctx, room, 1, func(e Stored) error {
		want := crashEvent(room, head+1)
		switch {
		case e.Seq != head+1:
			return fmt.Errorf("seq %d follows %d", e.Seq, head)
		case e.ID <= lastID:
			return fmt.Errorf("seq %d has id %d, not above %d", e.Seq, e.ID, lastID)
		case e.Type != want.Type || string(e.Payload) != string(want.Payload) || e.At != want.At ||
			e.Actor != want.Actor || e.SchemaVersion != 1:
			return fmt.Errorf("seq %d stored as %+v, want %+v", e.Seq, e, want)
		}
		head, lastID = e.Seq, e.ID
		return nil
	})
	if err != nil {
		t.Fatalf("room %s: %v", room, err)
	}
	info, err := s.Stream(ctx, room)
	switch {
	case head == 0 && errors.Is(err, ErrNotFound):
	case err != nil:
		t.Fatalf("room %s: stream row: %v", room, err)
	case info.HeadSeq != head || info.FirstSeq != 1 || info.Status != StatusLive || info.Kind != KindRoom || info.Incarnation != 1:
		t.Fatalf("room %s: streams row %+v after %d stored events", room, info, head)
	}
	return head
}
