package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
)

// SelfTestConfig configures a self-test: the suite against the clean emulator and against the
// emulator with each fault switched on.
type SelfTestConfig struct {
	// MatrixConfig says how the runs go; ReportDir receives selftest.json.
	MatrixConfig
	// Faults limits the self-test to these faults (default: every fault).
	Faults []string
}

// FaultOutcome is what one faulted run showed.
type FaultOutcome struct {
	Fault string `json:"fault"`
	Rule  string `json:"rule"`
	// Killed is true when at least one spec of the fault's own rule failed.
	Killed bool `json:"killed"`
	// OwnRuleFailures are the failed specs of the fault's rule.
	OwnRuleFailures []string `json:"ownRuleFailures"`
	// OtherRuleFailures maps other rules to their failed specs (collateral kills).
	OtherRuleFailures map[string][]string `json:"otherRuleFailures"`
	ExitCode          int                 `json:"exitCode"`
	Error             string              `json:"error,omitempty"`
}

// SelfTestReport is reports/selftest.json.
type SelfTestReport struct {
	HarnessVersion string         `json:"harnessVersion"`
	Seed           int64          `json:"seed"`
	Baseline       FaultOutcome   `json:"baseline"`
	Faults         []FaultOutcome `json:"faults"`
	Killed         int            `json:"killed"`
	Total          int            `json:"total"`
	Passed         bool           `json:"passed"`
}

// SelfTestFile is the self-test report's name inside the report directory.
const SelfTestFile = "selftest.json"

// SelfTest runs the suite against the clean emulator (it must pass) and against each fault
// (each must fail at least one spec of its own rule), prints the kill matrix to w and writes
// selftest.json. It returns ExitPass when both hold, ExitFail when not, ExitHarness when a
// run could not be judged.
func SelfTest(ctx context.Context, cfg SelfTestConfig, w io.Writer) int {
	all := emulator.Faults()
	rules := map[string]string{}
	for _, f := range all {
		rules[f.Name] = f.Rule
	}
	names := cfg.Faults
	if len(names) == 0 {
		for _, f := range all {
			names = append(names, f.Name)
		}
	}
	for _, n := range names {
		if _, ok := rules[n]; !ok {
			fmt.Fprintf(w, "selftest: unknown fault %q\n", n)
			return ExitHarness
		}
	}
	runsDir, err := cfg.prepare("selftest")
	if err != nil {
		fmt.Fprintf(w, "selftest: %v\n", err)
		return ExitHarness
	}

	start := time.Now()
	rep := SelfTestReport{HarnessVersion: Version(), Seed: cfg.Seed, Total: len(names)}
	rep.Baseline = runOne(ctx, cfg, runsDir, "", "")
	rep.Faults = make([]FaultOutcome, len(names))
	cfg.each(len(names), func(i int) { rep.Faults[i] = runOne(ctx, cfg, runsDir, names[i], rules[names[i]]) })

	harnessErr := rep.Baseline.Error != ""
	for _, f := range rep.Faults {
		if f.Killed {
			rep.Killed++
		}
		if f.Error != "" {
			harnessErr = true
		}
	}
	baselineClean := rep.Baseline.ExitCode == ExitPass && rep.Baseline.Error == ""
	rep.Passed = baselineClean && rep.Killed == rep.Total
	printKillMatrix(w, rep)
	fmt.Fprintf(w, "selftest: %d of %d faults killed, baseline %s, %.1fs\n", rep.Killed, rep.Total,
		map[bool]string{true: "clean", false: "NOT clean"}[baselineClean], time.Since(start).Seconds())
	// The plain closing line: each check (the clean baseline, then each fault) passed or failed.
	passed := rep.Killed
	if baselineClean {
		passed++
	}
	fmt.Fprintf(w, "selftest: %d passed, %d failed\n", passed, rep.Total+1-passed)

	raw, err := json.MarshalIndent(rep, "", "  ")
	if err == nil {
		err = os.WriteFile(filepath.Join(cfg.ReportDir, SelfTestFile), append(raw, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintf(w, "selftest: writing %s: %v\n", SelfTestFile, err)
		return ExitHarness
	}
	switch {
	case rep.Passed:
		return ExitPass
	case harnessErr:
		return ExitHarness
	default:
		return ExitFail
	}
}

// runOne runs the suite once (with fault switched on, or clean when fault is "") and judges it.
func runOne(ctx context.Context, cfg SelfTestConfig, runsDir, fault, rule string) FaultOutcome {
	name := fault
	var extra []string
	if name == "" {
		name = "baseline"
	} else {
		extra = []string{"--fault", fault}
	}
	out := FaultOutcome{Fault: fault, Rule: rule, OtherRuleFailures: map[string][]string{}}
	res := runSuite(ctx, cfg.Binary, filepath.Join(runsDir, name), cfg.Seed, extra...)
	out.ExitCode, out.Error = res.ExitCode, res.Error
	if res.Error != "" {
		return out
	}
	judge(&out, res.Summary)
	if out.ExitCode == ExitHarness {
		// A run that could not check the target proves nothing about the fault.
		out.Killed = false
		out.Error = "the run ended in a harness error: " + tail(res.Summary.SetupFailure, 2000)
	}
	return out
}

// suiteRun is the result of one `mpsdconf run` subprocess.
type suiteRun struct {
	ExitCode int
	// Error says why the run could not be judged (it did not start, or wrote no readable report).
	Error   string
	Summary Summary
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
	raw, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		out.Error = fmt.Sprintf("exit %d and no report: %v\n%s", out.ExitCode, err, tail(string(log), 2000))
		return out
	}
	if err := json.Unmarshal(raw, &out.Summary); err != nil {
		out.Error = fmt.Sprintf("unreadable report: %v", err)
	}
	return out
}

// judge fills the kill verdict from a run summary.
func judge(out *FaultOutcome, s Summary) {
	for _, sp := range s.Specs {
		if sp.Outcome != OutcomeFailed { // a harness error proves nothing
			continue
		}
		if out.Rule != "" && sp.Rule == out.Rule {
			out.OwnRuleFailures = append(out.OwnRuleFailures, sp.Name)
		} else {
			out.OtherRuleFailures[sp.Rule] = append(out.OtherRuleFailures[sp.Rule], sp.Name)
		}
	}
	out.Killed = out.Rule != "" && len(out.OwnRuleFailures) > 0
}

func printKillMatrix(w io.Writer, rep SelfTestReport) {
	fmt.Fprintf(w, "%-40s %-28s %-8s %s\n", "FAULT", "RULE", "KILLED", "FAILED SPECS (own rule; other rules)")
	for _, f := range rep.Faults {
		verdict := "yes"
		if !f.Killed {
			verdict = "NO"
		}
		others := make([]string, 0, len(f.OtherRuleFailures))
		for r, specs := range f.OtherRuleFailures {
			others = append(others, fmt.Sprintf("%s x%d", r, len(specs)))
		}
		sort.Strings(others)
		detail := fmt.Sprintf("%d own", len(f.OwnRuleFailures))
		if len(others) > 0 {
			detail += "; " + strings.Join(others, ", ")
		}
		if f.Error != "" {
			detail += "; ERROR: " + strings.SplitN(f.Error, "\n", 2)[0]
		}
		fmt.Fprintf(w, "%-40s %-28s %-8s %s\n", f.Fault, f.Rule, verdict, detail)
	}
	if n := len(rep.Baseline.OtherRuleFailures); n > 0 || rep.Baseline.Error != "" {
		fmt.Fprintf(w, "baseline (no fault) failed specs of %d rules: exit %d %s\n", n, rep.Baseline.ExitCode, rep.Baseline.Error)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
