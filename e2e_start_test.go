package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// e2eServer is a running in-process server and what it logged.
type e2eServer struct {
	addr  string
	token string // the admin token
	logs  *e2eLogs
}

// e2eLogs keeps every JSON log line the server wrote.
type e2eLogs struct {
	mu    sync.Mutex
	lines []map[string]any
	raw   []string
}

// Find returns the lines whose fields include all of want.
func (l *e2eLogs) Find(want map[string]any) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range l.lines {
		match := true
		for k, v := range want {
			match = match && line[k] == v
		}
		if match {
			out = append(out, line)
		}
	}
	return out
}

// Contains reports whether any raw line contains s.
func (l *e2eLogs) Contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.raw {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// e2eLogTail is how many of the server's last log lines a failed test shows.
const e2eLogTail = 60

// e2eStart serves with env as the environment and faults set, on a loopback
// port, until the test ends.
func e2eStart(t *testing.T, dataDir string, env map[string]string, faults faultHooks) *e2eServer {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := parseServeConfig([]string{"-http.addr", "127.0.0.1:0", "-data_dir", dataDir})
	if err != nil {
		t.Fatal(err)
	}
	cfg.faults = faults
	ctx, cancel := context.WithCancel(context.Background())
	logs, logw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveConfigured(ctx, cfg, logw)
		logw.Close()
	}()
	srv := &e2eServer{logs: &e2eLogs{}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			srv.logs.mu.Lock()
			srv.logs.lines = append(srv.logs.lines, line)
			srv.logs.raw = append(srv.logs.raw, sc.Text())
			srv.logs.mu.Unlock()
			if line["msg"] == "listening" {
				select {
				case addr <- line["addr"].(string):
				default:
				}
			}
		}
		io.Copy(io.Discard, logs) // never block the server's logger
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop in 30 s")
		}
		if t.Failed() { // what the server said last explains most failures
			srv.logs.mu.Lock()
			t.Log("the server's last log lines:\n" + strings.Join(srv.logs.raw[max(0, len(srv.logs.raw)-e2eLogTail):], "\n"))
			srv.logs.mu.Unlock()
		}
	})
	select {
	case a := <-addr:
		e2eWaitReady(t, a)
		srv.addr = a
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start in 10 s")
	}
	srv.token = cfg.AdminToken
	if srv.token == "" {
		b, err := os.ReadFile(filepath.Join(dataDir, "admin.token"))
		if err != nil {
			t.Fatal(err)
		}
		srv.token = strings.TrimSpace(string(b))
	}
	return srv
}
