package selftest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/report"
)

// Config configures a self-test: the suite against the clean emulator and against the
// emulator with each fault switched on.
type Config struct {
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

// Report is reports/selftest.json.
type Report struct {
	HarnessVersion string         `json:"harnessVersion"`
	Seed           int64          `json:"seed"`
	Baseline       FaultOutcome   `json:"baseline"`
	Faults         []FaultOutcome `json:"faults"`
	Killed         int            `json:"killed"`
	Total          int            `json:"total"`
	Passed         bool           `json:"passed"`
}

// File is the self-test report's name inside the report directory.
const File = "selftest.json"

// Verdict is report.VerdictPass when the baseline was clean and every fault was killed,
// report.VerdictHarness when not and some run could not be judged, else report.VerdictFail.
func (rep Report) Verdict() string { return verdict(rep.Passed, rep.unjudged()) }

// unjudged reports whether the baseline or some faulted run could not be judged.
func (rep Report) unjudged() bool {
	for _, f := range append([]FaultOutcome{rep.Baseline}, rep.Faults...) {
		if f.Error != "" {
			return true
		}
	}
	return false
}

// Run runs the suite against the clean emulator (it must pass) and against each fault (each
// must fail at least one spec of its own rule), prints the kill matrix to w and writes
// selftest.json. The report's Verdict says whether both hold. The error says why the
// self-test could not run (an unknown fault) or its report could not be written.
func Run(ctx context.Context, cfg Config, w io.Writer) (Report, error) {
	rules := map[string]string{}
	var all []string
	for _, f := range emulator.Faults() {
		rules[f.Name] = f.Rule
		all = append(all, f.Name)
	}
	names, unknown := choose(all, cfg.Faults)
	if unknown != "" {
		return Report{}, fmt.Errorf("unknown fault %q", unknown)
	}
	runsDir, err := cfg.prepare("selftest")
	if err != nil {
		return Report{}, err
	}

	start := time.Now()
	rep := Report{HarnessVersion: cfg.HarnessVersion, Seed: cfg.Seed, Total: len(names)}
	rep.Baseline = runOne(ctx, cfg, runsDir, "", "")
	rep.Faults = make([]FaultOutcome, len(names))
	cfg.each(len(names), func(i int) { rep.Faults[i] = runOne(ctx, cfg, runsDir, names[i], rules[names[i]]) })

	for _, f := range rep.Faults {
		if f.Killed {
			rep.Killed++
		}
	}
	baselineClean := rep.Baseline.ExitCode == report.ExitPass && rep.Baseline.Error == ""
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

	if err := writeJSON(filepath.Join(cfg.ReportDir, File), rep); err != nil {
		return rep, fmt.Errorf("writing %s: %w", File, err)
	}
	return rep, nil
}

// runOne runs the suite once (with fault switched on, or clean when fault is "") and judges it.
func runOne(ctx context.Context, cfg Config, runsDir, fault, rule string) FaultOutcome {
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
	if out.ExitCode == report.ExitHarness {
		// A run that could not check the target proves nothing about the fault.
		out.Killed = false
		out.Error = "the run ended in a harness error: " + tail(res.Summary.SetupFailure, 2000)
	}
	return out
}

// judge fills the kill verdict from a run summary.
func judge(out *FaultOutcome, s report.Summary) {
	for _, sp := range s.Specs {
		if sp.Outcome != report.OutcomeFailed { // a harness error proves nothing
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

func printKillMatrix(w io.Writer, rep Report) {
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
