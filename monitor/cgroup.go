package monitor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Memory sources reported with system:memory (§1.1).
const (
	MemorySourceCgroupV2 = "cgroup_v2"
	MemorySourceCgroupV1 = "cgroup_v1"
	MemorySourceHost     = "host"
)

// cgroupMembership is where /proc/self/cgroup places the process: the path
// in the unified (v2) hierarchy and, per v1 controller list, its path.
type cgroupMembership struct {
	unified    string
	hasUnified bool
	v1         []cgroupV1Line
}

type cgroupV1Line struct {
	controllers []string
	path        string
}

// readCgroupMembership parses root/proc/self/cgroup; a missing file means
// the process is in no cgroup (not Linux, or /proc not mounted).
func readCgroupMembership(root string) (cgroupMembership, error) {
	var m cgroupMembership
	data, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("read cgroup membership: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			m.unified, m.hasUnified = parts[2], true
			continue
		}
		m.v1 = append(m.v1, cgroupV1Line{controllers: strings.Split(parts[1], ","), path: parts[2]})
	}
	return m, nil
}

// v1Line finds the v1 hierarchy that holds controller.
func (m cgroupMembership) v1Line(controller string) (cgroupV1Line, bool) {
	for _, l := range m.v1 {
		for _, c := range l.controllers {
			if c == controller {
				return l, true
			}
		}
	}
	return cgroupV1Line{}, false
}

// v1File finds file for controller. Inside a container without a cgroup
// namespace the listed path does not exist below the mount, whose root is
// then the container's own cgroup, so the mount root is tried as well.
func (m cgroupMembership) v1File(root, controller, file string) (string, bool) {
	l, ok := m.v1Line(controller)
	if !ok {
		return "", false
	}
	base := filepath.Join(root, "sys/fs/cgroup")
	mounts := []string{strings.Join(l.controllers, ","), controller}
	for _, mount := range mounts {
		for _, dir := range []string{filepath.Join(base, mount, l.path), filepath.Join(base, mount)} {
			p := filepath.Join(dir, file)
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
		}
	}
	return "", false
}

// v2Dir is the process's directory in the unified hierarchy, falling back
// to the mount root as v1File does.
func (m cgroupMembership) v2Dir(root string) string {
	base := filepath.Join(root, "sys/fs/cgroup")
	dir := filepath.Join(base, m.unified)
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	return base
}

// readCgroupMemory reads the process's cgroup memory use (§1.1). found is
// false when no limit is set: v2 memory.max is "max" or absent, or v1
// memory.limit_in_bytes is not below hostTotal.
func readCgroupMemory(root string, hostTotal uint64) (r MemoryReading, found bool, err error) {
	m, err := readCgroupMembership(root)
	if err != nil {
		return r, false, err
	}
	var limit, usage, inactive uint64
	if _, ok := m.v1Line("memory"); ok {
		limitPath, ok := m.v1File(root, "memory", "memory.limit_in_bytes")
		if !ok {
			return r, false, nil
		}
		if limit, err = readUintFile(limitPath); err != nil {
			return r, false, err
		}
		if limit >= hostTotal {
			return r, false, nil
		}
		dir := filepath.Dir(limitPath)
		if usage, err = readUintFile(filepath.Join(dir, "memory.usage_in_bytes")); err != nil {
			return r, false, err
		}
		if inactive, err = readStatKey(filepath.Join(dir, "memory.stat"), "total_inactive_file"); err != nil {
			return r, false, err
		}
		r.Source = MemorySourceCgroupV1
	} else {
		if !m.hasUnified {
			return r, false, nil
		}
		dir := m.v2Dir(root)
		maxLine, err := readOptionalString(filepath.Join(dir, "memory.max"))
		if err != nil || maxLine == "" || maxLine == "max" {
			return r, false, err
		}
		if limit, err = strconv.ParseUint(maxLine, 10, 64); err != nil {
			return r, false, fmt.Errorf("parse memory.max %q: %w", maxLine, err)
		}
		if usage, err = readUintFile(filepath.Join(dir, "memory.current")); err != nil {
			return r, false, err
		}
		if inactive, err = readStatKey(filepath.Join(dir, "memory.stat"), "inactive_file"); err != nil {
			return r, false, err
		}
		r.Source = MemorySourceCgroupV2
	}
	if limit == 0 {
		return r, false, fmt.Errorf("cgroup memory limit is 0")
	}
	used := usage - min(inactive, usage)
	r.UsedBytes, r.LimitBytes = used, limit
	r.AvailableBytes = limit - min(used, limit)
	r.Percent = clampPercent(float64(used) / float64(limit) * 100)
	return r, true, nil
}

// cgroupCPU is the CPU quota of the process's cgroup and the CPU time the
// cgroup has used so far.
type cgroupCPU struct {
	limited bool
	cores   float64 // quota / period
	usage   time.Duration
}

// readCgroupCPU reads the quota (v2 cpu.max; v1 cpu.cfs_quota_us and
// cpu.cfs_period_us) and the usage (v2 cpu.stat usage_usec; v1
// cpuacct.usage). Without a quota limited is false and usage is not read.
func readCgroupCPU(root string) (cgroupCPU, error) {
	var c cgroupCPU
	m, err := readCgroupMembership(root)
	if err != nil {
		return c, err
	}
	if quotaPath, ok := m.v1File(root, "cpu", "cpu.cfs_quota_us"); ok {
		quota, err := readIntFile(quotaPath)
		if err != nil || quota <= 0 {
			return c, err
		}
		period, err := readIntFile(filepath.Join(filepath.Dir(quotaPath), "cpu.cfs_period_us"))
		if err != nil {
			return c, err
		}
		usagePath, ok := m.v1File(root, "cpuacct", "cpuacct.usage")
		if !ok {
			return c, fmt.Errorf("cgroup v1 cpu quota without cpuacct.usage")
		}
		ns, err := readUintFile(usagePath)
		if err != nil {
			return c, err
		}
		return cpuQuota(quota, period, time.Duration(ns))
	}
	if !m.hasUnified {
		return c, nil
	}
	dir := m.v2Dir(root)
	line, err := readOptionalString(filepath.Join(dir, "cpu.max"))
	if err != nil || line == "" {
		return c, err
	}
	fields := strings.Fields(line)
	if len(fields) != 2 {
		return c, fmt.Errorf("parse cpu.max %q: want quota and period", line)
	}
	if fields[0] == "max" {
		return c, nil
	}
	quota, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return c, fmt.Errorf("parse cpu.max quota: %w", err)
	}
	period, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return c, fmt.Errorf("parse cpu.max period: %w", err)
	}
	usec, err := readStatKey(filepath.Join(dir, "cpu.stat"), "usage_usec")
	if err != nil {
		return c, err
	}
	return cpuQuota(quota, period, time.Duration(usec)*time.Microsecond)
}

func cpuQuota(quota, period int64, usage time.Duration) (cgroupCPU, error) {
	if period <= 0 {
		return cgroupCPU{}, fmt.Errorf("cgroup cpu period %d", period)
	}
	return cgroupCPU{limited: true, cores: float64(quota) / float64(period), usage: usage}, nil
}

// readOptionalString is the trimmed content of path, "" when it is absent.
func readOptionalString(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return strings.TrimSpace(string(data)), nil
}

func readUintFile(path string) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return v, nil
}

func readIntFile(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return v, nil
}

// readStatKey finds "key value" in a flat-keyed cgroup stat file.
func readStatKey(path, key string) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && name == key {
			v, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse %s %s: %w", path, key, err)
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, key)
}

func clampPercent(v float64) float64 { return min(max(v, 0), 100) }
