// proc.go holds the process measurements: running the mpsdconf binary and timing it, its
// peak resident memory (rusage, GNU time, /proc), and reading a run's report.json.

package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcResult is how a finished child process went.
type ProcResult struct {
	// Wall is the time from starting the process to its exit.
	Wall time.Duration
	// ExitCode is the process's exit status (-1 if killed by a signal).
	ExitCode int
	// MaxRSSKB is the peak resident set size the kernel reported for it (and for any
	// descendant it waited for), in KiB; 0 when the platform does not say.
	MaxRSSKB int64
	// Output is its standard output and error, interleaved.
	Output []byte
}

// RunProcess runs name with args and the extra environment variables env (on top of this
// process's) and waits for it. A non-zero exit is not an error (see ExitCode); err is
// non-nil when the process cannot be started or waited for.
func RunProcess(ctx context.Context, env []string, name string, args ...string) (ProcResult, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	res := ProcResult{Wall: time.Since(start), Output: out.Bytes()}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return res, fmt.Errorf("run %s: %w", filepath.Base(name), err)
	}
	res.ExitCode = cmd.ProcessState.ExitCode()
	res.MaxRSSKB = MaxRSSKB(cmd.ProcessState)
	return res, nil
}

// MaxRSSKB returns the peak resident set size of a finished process from its rusage, in KiB
// (Linux reports ru_maxrss in KiB); 0 when unavailable.
func MaxRSSKB(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}

// Tail returns at most the last n lines of out, for error messages.
func Tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TimeMaxRSSKB reads "Maximum resident set size (kbytes): N" from the report GNU time -v
// writes to standard error.
func TimeMaxRSSKB(out []byte) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Maximum resident set size (kbytes):"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// ProcMemory is the memory of a running process from /proc/PID/status, in KiB.
type ProcMemory struct {
	// HWM is VmHWM, the peak resident set size so far.
	HWM int64
	// RSS is VmRSS, the resident set size now.
	RSS int64
}

// ReadProcMemory reads VmHWM and VmRSS of process pid (Linux only).
func ReadProcMemory(pid int) (ProcMemory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcMemory{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	defer f.Close()
	m, err := parseProcStatus(f)
	if err != nil {
		return ProcMemory{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	return m, nil
}

// parseProcStatus reads VmHWM and VmRSS ("VmHWM:   12345 kB") from a /proc/PID/status file.
func parseProcStatus(r io.Reader) (ProcMemory, error) {
	var m ProcMemory
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmHWM" && key != "VmRSS") {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return ProcMemory{}, fmt.Errorf("unexpected %s line %q", key, sc.Text())
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return ProcMemory{}, fmt.Errorf("%s: %w", key, err)
		}
		if key == "VmHWM" {
			m.HWM = n
		} else {
			m.RSS = n
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return ProcMemory{}, fmt.Errorf("read status: %w", err)
	}
	if found < 2 {
		return ProcMemory{}, errors.New("no VmHWM and VmRSS lines")
	}
	return m, nil
}

// RunDurationSeconds returns run.durationSeconds from the report.json a `mpsdconf run` wrote
// into reportDir (the time its specs ran, without process start, target set-up and report
// writing; see runner.Summary).
func RunDurationSeconds(reportDir string) (float64, error) {
	raw, err := os.ReadFile(filepath.Join(reportDir, "report.json"))
	if err != nil {
		return 0, fmt.Errorf("read run report: %w", err)
	}
	var rep struct {
		Run struct {
			DurationSeconds *float64 `json:"durationSeconds"`
		} `json:"run"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return 0, fmt.Errorf("decode run report: %w", err)
	}
	if rep.Run.DurationSeconds == nil {
		return 0, errors.New("run report has no run.durationSeconds")
	}
	return *rep.Run.DurationSeconds, nil
}
