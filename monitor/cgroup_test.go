package monitor

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

const (
	cgMiB          = 1 << 20
	cgGiB          = 1 << 30
	cgHostRAM      = 16 * cgGiB
	cgroupFixtures = "testdata/cgroup"
)

func TestCgroupMemoryFixtures(t *testing.T) {
	cases := []struct {
		dir         string
		found       bool
		source      string
		used, limit uint64
		percent     float64
	}{
		{"v2", true, MemorySourceCgroupV2, 384 * cgMiB, cgGiB, 37.5},
		{"v2-nested", true, MemorySourceCgroupV2, cgGiB, 2 * cgGiB, 50},
		{"v2-nolimit", false, "", 0, 0, 0},
		// No cgroup namespace: the listed path is missing below the mount,
		// whose root is the container's cgroup.
		{"v1", true, MemorySourceCgroupV1, 192 * cgMiB, 512 * cgMiB, 37.5},
		{"v1-nolimit", false, "", 0, 0, 0},
	}
	for _, c := range cases {
		r, found, err := readCgroupMemory(filepath.Join(cgroupFixtures, c.dir), cgHostRAM)
		if err != nil {
			t.Fatalf("%s: %v", c.dir, err)
		}
		if found != c.found {
			t.Fatalf("%s: found %v", c.dir, found)
		}
		if !found {
			continue
		}
		if r.Source != c.source || r.UsedBytes != c.used || r.LimitBytes != c.limit ||
			r.AvailableBytes != c.limit-c.used || r.Percent != c.percent {
			t.Errorf("%s: %+v", c.dir, r)
		}
	}
}

func TestCgroupV1LimitAboveHostIsNoLimit(t *testing.T) {
	if _, found, err := readCgroupMemory(filepath.Join(cgroupFixtures, "v1"), 256*cgMiB); err != nil || found {
		t.Fatalf("limit 512 MiB on a 256 MiB host: found %v err %v", found, err)
	}
}

func TestCgroupMissingIsHost(t *testing.T) {
	root := t.TempDir()
	if _, found, err := readCgroupMemory(root, cgHostRAM); err != nil || found {
		t.Fatalf("no /proc/self/cgroup: found %v err %v", found, err)
	}
	if c, err := readCgroupCPU(root); err != nil || c.limited {
		t.Fatalf("no /proc/self/cgroup: cpu %+v err %v", c, err)
	}
}

func TestCgroupMalformedFileIsAnError(t *testing.T) {
	root := copyCgroupFixture(t, "v2")
	writeCgroupFile(t, filepath.Join(root, "sys/fs/cgroup/memory.current"), "lots\n")
	if _, _, err := readCgroupMemory(root, cgHostRAM); err == nil {
		t.Fatal("malformed memory.current accepted")
	}
	writeCgroupFile(t, filepath.Join(root, "sys/fs/cgroup/cpu.max"), "200000\n")
	if _, err := readCgroupCPU(root); err == nil {
		t.Fatal("cpu.max without period accepted")
	}
}

func TestCgroupCPUFixtures(t *testing.T) {
	cases := []struct {
		dir     string
		limited bool
		cores   float64
		usage   time.Duration
	}{
		{"v2", true, 2, 123456789 * time.Microsecond},
		{"v2-nested", false, 0, 0},
		{"v2-nolimit", false, 0, 0},
		{"v1", true, 0.5, 5 * time.Second},
		{"v1-nolimit", false, 0, 0},
	}
	for _, c := range cases {
		got, err := readCgroupCPU(filepath.Join(cgroupFixtures, c.dir))
		if err != nil {
			t.Fatalf("%s: %v", c.dir, err)
		}
		if got.limited != c.limited || got.cores != c.cores || got.usage != c.usage {
			t.Errorf("%s: %+v", c.dir, got)
		}
	}
}

// TestCgroupCPUPercentIsTheDeltaOverWallTimeAndQuota primes at
// construction, then reads 0.5 s of CPU in 1 s on a 2-core quota: 25 %.
func TestCgroupCPUPercentIsTheDeltaOverWallTimeAndQuota(t *testing.T) {
	root := copyCgroupFixture(t, "v2")
	stat := filepath.Join(root, "sys/fs/cgroup/cpu.stat")
	clock := NewFakeClock(healthEpoch)
	h := newHostSystem(root, root, clock)
	writeCgroupFile(t, stat, "usage_usec 123956789\n")
	clock.Advance(time.Second)
	if got, err := h.CPUPercent(t.Context()); err != nil || got != 25 {
		t.Fatalf("cpu %v err %v, want 25", got, err)
	}
	writeCgroupFile(t, stat, "usage_usec 133956789\n") // 10 s of CPU in 1 s
	clock.Advance(time.Second)
	if got, err := h.CPUPercent(t.Context()); err != nil || got != 100 {
		t.Fatalf("cpu %v err %v, want clamped to 100", got, err)
	}
}

func TestCgroupCPUFirstReadingWithoutPrimingIsAnError(t *testing.T) {
	h := &hostSystem{root: filepath.Join(cgroupFixtures, "v2"), clock: NewFakeClock(healthEpoch)}
	if _, err := h.CPUPercent(t.Context()); err == nil {
		t.Fatal("unprimed cgroup CPU reading gave a value")
	}
}

func TestApplyMemoryLimit(t *testing.T) {
	unset := func(string) string { return "" }
	cases := []struct {
		name   string
		dir    string
		getenv func(string) string
		want   int64
	}{
		{"v2 limit", "v2", unset, 912680550},
		{"v1 limit", "v1", unset, 456340275},
		{"no limit", "v2-nolimit", unset, 0},
		{"GOMEMLIMIT set", "v2", func(k string) string {
			if k == "GOMEMLIMIT" {
				return "off"
			}
			return ""
		}, 0},
	}
	for _, c := range cases {
		var set int64
		got, err := applyMemoryLimit(filepath.Join(cgroupFixtures, c.dir), cgHostRAM, c.getenv, func(v int64) int64 { set = v; return 0 })
		if err != nil || got != c.want || set != c.want {
			t.Errorf("%s: returned %d, set %d, err %v; want %d", c.name, got, set, err, c.want)
		}
	}
}

func TestHostSystemReadsThisMachine(t *testing.T) {
	h := newHostSystem("/", t.TempDir(), WallClock{})
	ctx := t.Context()
	if m, err := h.Memory(ctx); err != nil || m.LimitBytes == 0 || m.Percent < 0 || m.Percent > 100 || m.Source == "" {
		t.Errorf("memory %+v err %v", m, err)
	}
	if d, err := h.Disk(ctx); err != nil || d.Percent < 0 || d.Percent > 100 {
		t.Errorf("disk %+v err %v", d, err)
	}
	if rss, err := h.ProcessRSS(ctx); err != nil || rss == 0 {
		t.Errorf("rss %d err %v", rss, err)
	}
	if n, err := h.Goroutines(ctx); err != nil || n < 1 {
		t.Errorf("goroutines %d err %v", n, err)
	}
}

func copyCgroupFixture(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join(cgroupFixtures, name))); err != nil {
		t.Fatal(err)
	}
	return root
}

func writeCgroupFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
