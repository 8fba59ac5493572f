// Package selftest proves that the suite can fail, and that it does not fail a conformant
// service. The self-test (kill matrix, Run) runs the suite against the emulator with each
// fault switched on: each fault must fail a spec of its own rule, and the clean emulator must
// pass. The tolerance matrix (Tolerance) runs the documented profile against the emulator with
// each variant, a behaviour the contract allows: it must pass against every one. Each run is
// a separate `mpsdconf run` process (one Ginkgo suite per process).
package selftest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"

	"github.com/mpsdconf/mpsdconf/report"
)

// MatrixConfig is what the self-test (faults) and the tolerance matrix (variants) share: each
// runs the suite once per switch of the emulator, in separate processes.
type MatrixConfig struct {
	// Binary is the mpsdconf executable that runs each suite (one Ginkgo suite per process).
	Binary string
	// ReportDir receives the matrix's report and one sub-folder of reports per run.
	ReportDir string
	// Parallel is how many runs go at once (default 2).
	Parallel int
	// Seed orders the specs of every run alike (default 1).
	Seed int64
	// HarnessVersion is recorded in the matrix's report (runner.Version of the binary).
	HarnessVersion string
}

// prepare fills in the defaults and empties ReportDir/name, the folder of the runs' reports,
// which it returns.
func (c *MatrixConfig) prepare(name string) (string, error) {
	if c.Parallel < 1 {
		c.Parallel = 2
	}
	if c.ReportDir == "" {
		c.ReportDir = "reports"
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	runsDir := filepath.Join(c.ReportDir, name)
	if err := os.RemoveAll(runsDir); err != nil {
		return "", fmt.Errorf("empty %s: %w", runsDir, err)
	}
	return runsDir, nil
}

// each calls run(i) for every i below n, at most c.Parallel at once, and waits for all.
func (c *MatrixConfig) each(n int, run func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.Parallel)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			run(i)
		}()
	}
	wg.Wait()
}

// choose returns the switches a matrix runs: those asked for, else all of them, and the first
// one asked for that is not among all ("" when every one is known).
func choose(all, asked []string) (names []string, unknown string) {
	if len(asked) == 0 {
		return all, ""
	}
	known := map[string]bool{}
	for _, n := range all {
		known[n] = true
	}
	for _, n := range asked {
		if !known[n] {
			return nil, n
		}
	}
	return asked, ""
}

// suiteRun is the result of one `mpsdconf run` subprocess.
type suiteRun struct {
	// ExitCode is the process's exit code (report.ExitCode of its verdict, or report.ExitHarness).
	ExitCode int
	// Error says why the run could not be judged (it did not start, or wrote no readable report).
	Error   string
	Summary report.Summary
}

// runSuite runs `binary run` against its embedded emulator with the report directory dir, the
// spec order seed and extra arguments, and reads the report.json it wrote.
func runSuite(ctx context.Context, binary, dir string, seed int64, extra ...string) suiteRun {
	args := append([]string{"run", "--report-dir", dir, "--no-color", "--seed", fmt.Sprint(seed)}, extra...)
	cmd := exec.CommandContext(ctx, binary, args...)
	log, err := cmd.CombinedOutput()
	var out suiteRun
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		out.ExitCode = exitErr.ExitCode()
	default:
		out.Error = fmt.Sprintf("could not run %s: %v", binary, err)
		return out
	}
	raw, err := os.ReadFile(filepath.Join(dir, report.JSONFile))
	if err != nil {
		out.Error = fmt.Sprintf("exit %d and no report: %v\n%s", out.ExitCode, err, tail(string(log), 2000))
		return out
	}
	if err := json.Unmarshal(raw, &out.Summary); err != nil {
		out.Error = fmt.Sprintf("unreadable report: %v", err)
	}
	return out
}

// verdict judges a matrix: pass when every check held, a harness error when some run could not
// be judged, else fail.
func verdict(passed, harnessErr bool) string {
	switch {
	case passed:
		return report.VerdictPass
	case harnessErr:
		return report.VerdictHarness
	default:
		return report.VerdictFail
	}
}

// writeJSON writes v as indented JSON, with a final newline, to path.
func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
