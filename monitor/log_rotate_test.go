package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// fileSeqs reads the seq fields of a log file's lines.
func fileSeqs(t *testing.T, path string) []int {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, line := range splitLogLines(string(text)) {
		seqs = append(seqs, int(decodeLine(t, line)["seq"].(float64)))
	}
	return seqs
}

func TestLogFileRotation(t *testing.T) {
	const maxBytes = 600
	path := filepath.Join(t.TempDir(), "logs", "liaptui.log")
	f := newLogFixture(t, LogConfig{File: path, FileMaxBytes: maxBytes, FileBackups: 2})
	lg := f.logging.For(ComponentMain)
	for i := range 40 {
		lg.Info(context.Background(), CategorySystem, "tick", slog.Int("seq", i))
	}
	if err := f.logging.Close(); err != nil {
		t.Fatal(err)
	}

	files := []string{path + ".2", path + ".1", path}
	var all []int
	for _, p := range files {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatalf("missing %s: %v", p, err)
		}
		if info.Size() > maxBytes || info.Size() == 0 {
			t.Fatalf("%s has %d bytes, limit %d", p, info.Size(), maxBytes)
		}
		all = append(all, fileSeqs(t, p)...)
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Fatalf("a third backup exists: %v", err)
	}
	for i := 1; i < len(all); i++ {
		if all[i] != all[i-1]+1 {
			t.Fatalf("lines across .2, .1 and the live file are not consecutive: %v", all)
		}
	}
	if all[len(all)-1] != 39 {
		t.Fatalf("the newest line is not last in the live file: %v", all)
	}
}

func TestLogFileReopenAppendsWithinTheBound(t *testing.T) {
	const maxBytes = 400 // three lines fit, the fourth rotates
	path := filepath.Join(t.TempDir(), "liaptui.log")
	for run := range 2 {
		f := newLogFixture(t, LogConfig{File: path, FileMaxBytes: maxBytes, FileBackups: 1})
		lg := f.logging.For(ComponentMain)
		for i := range 3 {
			lg.Info(context.Background(), CategorySystem, "tick", slog.Int("seq", run*3+i))
		}
		if err := f.logging.Close(); err != nil {
			t.Fatal(err)
		}
	}
	live, backup := fileSeqs(t, path), []int{}
	if _, err := os.Stat(path + ".1"); err == nil {
		backup = fileSeqs(t, path+".1")
	}
	got := fmt.Sprint(append(backup, live...))
	if got != fmt.Sprint([]int{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("lines after reopening: %s", got)
	}
	if info, _ := os.Stat(path); info.Size() > maxBytes {
		t.Fatalf("live file grew to %d bytes", info.Size())
	}
}

func TestLogFileBadPathFailsConstruction(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewLogging(LogConfig{File: filepath.Join(blocker, "x.log"), Stdout: &logCapture{}}, NewFakeClock(logTestStart), LogHooks{})
	if err == nil {
		t.Fatal("NewLogging succeeded with a file under a regular file")
	}
}
