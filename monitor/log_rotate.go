package monitor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// logFile is the file sink's writer: it appends lines to path and, when the
// next line would pass maxBytes, renames path to path.1, path.1 to path.2 …
// up to path.<backups>, dropping the oldest, and starts a new path.
type logFile struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	backups  int
	f        *os.File // nil once closed or after a failed reopen
	size     int64
}

func openLogFile(path string, maxBytes int64, backups int) (*logFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log file directory: %w", err)
	}
	lf := &logFile{path: path, maxBytes: maxBytes, backups: backups}
	if err := lf.open(); err != nil {
		return nil, err
	}
	return lf, nil
}

func (lf *logFile) open() error {
	f, err := os.OpenFile(lf.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	lf.f, lf.size = f, info.Size()
	return nil
}

// Write appends one line. A line that cannot be written without breaking
// the size bound (rotation failed) is refused rather than grow the file.
func (lf *logFile) Write(p []byte) (int, error) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.f == nil {
		return 0, fmt.Errorf("log file %s: %w", lf.path, os.ErrClosed)
	}
	if lf.size > 0 && lf.size+int64(len(p)) > lf.maxBytes {
		if err := lf.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := lf.f.Write(p)
	lf.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("write log file: %w", err)
	}
	return n, nil
}

func (lf *logFile) backup(i int) string { return lf.path + "." + strconv.Itoa(i) }

func (lf *logFile) rotate() error {
	for i := lf.backups; i > 1; i-- {
		if err := os.Rename(lf.backup(i-1), lf.backup(i)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log file: %w", err)
		}
	}
	if err := os.Rename(lf.path, lf.backup(1)); err != nil {
		return fmt.Errorf("rotate log file: %w", err)
	}
	closeErr := lf.f.Close()
	lf.f = nil
	if err := lf.open(); err != nil {
		return err
	}
	if closeErr != nil {
		return fmt.Errorf("close rotated log file: %w", closeErr)
	}
	return nil
}

// Close syncs and closes the file; later writes fail with os.ErrClosed.
func (lf *logFile) Close() error {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.f == nil {
		return nil
	}
	f := lf.f
	lf.f = nil
	return errors.Join(f.Sync(), f.Close())
}
