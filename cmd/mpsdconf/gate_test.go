package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/report"
)

// gateFilter keeps the gate runs short: one rule the faults below break, and one that passes.
const gateFilter = "rule: containsAny {HC-ACTIVITY-201, HQ-PRIVATE-403, HQ-TAKE-LIMITS}"

// TestExpectationsGate runs a CI gate with expectations against the embedded emulator:
// a known fault is expected (green), a second fault is not (red), an expired entry counts as
// absent (red), a stale entry is an unexpected pass (reported; red with
// --fail-on-unexpected-pass), and entries naming unknown rules or specs are configuration
// errors (exit 2).
func TestExpectationsGate(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs skipped in -short mode")
	}
	tomorrow := time.Now().AddDate(0, 0, 1).Format("2006-01-02")
	known := writeFile(t, "known.yaml", `expectations:
  - rule: HC-ACTIVITY-201
    outcome: failed
    reason: the service answers activities 200
    link: https://bugs.example/MPSD-1
    expires: `+tomorrow+"\n")
	expired := writeFile(t, "expired.yaml", "expectations:\n  - {rule: HC-ACTIVITY-201, outcome: failed, reason: was known, expires: 2020-01-01}\n")
	stale := writeFile(t, "stale.yaml", "expectations:\n  - {rule: HC-ACTIVITY-201, outcome: failed, reason: known}\n  - {rule: HQ-TAKE-LIMITS, outcome: failed, reason: fixed since}\n")
	bySpec := writeFile(t, "by-spec.yaml", "expectations:\n  - spec: \"[handles-create] POST /handles with an activity for a session the caller is an active member of is answered 201 with a handle document\"\n    outcome: failed\n    reason: known\n")
	unknownRule := writeFile(t, "unknown-rule.yaml", "expectations:\n  - {rule: HC-NO-SUCH-RULE, outcome: failed, reason: typo}\n")
	unknownSpec := writeFile(t, "unknown-spec.yaml", "expectations:\n  - {spec: \"[handles-create] no such spec\", outcome: failed, reason: typo}\n")
	fault := []string{"--fault", "activity-answers-200", "--label-filter", gateFilter}
	cases := []struct {
		name     string
		args     []string
		wantCode int
		check    func(t *testing.T, s report.Summary)
	}{
		{"a known fault without expectations is red", fault, report.ExitFail, nil},
		{"a known fault with its expectation is green", append(fault, "--expectations", known), report.ExitPass, func(t *testing.T, s report.Summary) {
			if s.Expectations == nil || s.Expectations.Matched == 0 || s.Totals.Expected == 0 || s.Totals.Failed != s.Totals.Expected {
				t.Errorf("expectations %+v, totals %+v", s.Expectations, s.Totals)
			}
		}},
		{"an expectation by spec name is green", append(fault, "--expectations", bySpec), report.ExitPass, func(t *testing.T, s report.Summary) {
			if s.Totals.Expected != 1 {
				t.Errorf("totals %+v: the spec entry did not match", s.Totals)
			}
		}},
		{"a second fault turns the gate red", append(fault, "--expectations", known, "--fault", "allow-private-query-for-users"), report.ExitFail, func(t *testing.T, s report.Summary) {
			for _, sp := range s.Specs {
				if sp.Outcome == report.OutcomeFailed && sp.Rule == "HQ-PRIVATE-403" && sp.Expected != nil {
					t.Errorf("the unexpected failure is marked expected: %+v", sp)
				}
			}
		}},
		{"an expired entry counts as absent", append(fault, "--expectations", expired), report.ExitFail, func(t *testing.T, s report.Summary) {
			if s.Expectations == nil || len(s.Expectations.Expired) != 1 {
				t.Errorf("expired entries not reported: %+v", s.Expectations)
			}
		}},
		{"an unexpected pass is reported", append(fault, "--expectations", stale), report.ExitPass, func(t *testing.T, s report.Summary) {
			if s.Expectations == nil || len(s.Expectations.UnexpectedPasses) != 1 || s.Expectations.UnexpectedPasses[0].Entry.Rule != "HQ-TAKE-LIMITS" {
				t.Errorf("unexpected passes: %+v", s.Expectations)
			}
		}},
		{"an unexpected pass fails with --fail-on-unexpected-pass", append(fault, "--expectations", stale, "--fail-on-unexpected-pass"), report.ExitFail, nil},
		{"an unknown rule is a configuration error", append(fault, "--expectations", unknownRule), report.ExitHarness, nil},
		{"an unknown spec is a configuration error", append(fault, "--expectations", unknownSpec), report.ExitHarness, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			dir := filepath.Join(t.TempDir(), "reports")
			res := runBinary(t, ctx, dir, nil, tc.args...)
			if res.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", res.code, tc.wantCode, tailString(res.output, 3000))
			}
			if tc.wantCode == report.ExitHarness {
				if !strings.Contains(res.output, "configuration error: expectations") {
					t.Errorf("the error does not name the expectations file:\n%s", tailString(res.output, 2000))
				}
				return
			}
			if tc.check != nil {
				tc.check(t, res.summary)
			}
			if slices.Contains(tc.args, known) {
				junit := readAll(t, filepath.Join(dir, report.JUnitFile))
				if !strings.Contains(junit, `<skipped message="[HC-ACTIVITY-201] expected failed on this target: the service answers activities 200 (https://bugs.example/MPSD-1)`) {
					t.Errorf("junit.xml does not show the expected failure as a skip:\n%s", tailString(junit, 2000))
				}
				if md := readAll(t, filepath.Join(dir, report.MarkdownFile)); !strings.Contains(md, "### Expected outcomes") {
					t.Errorf("report.md has no expected outcomes section")
				}
			}
		})
	}
}

// TestFlakySpecIsReportedAsFlaky runs one spec against a target whose first handles query
// fails: with --flake-attempts 2 the spec passes on its retry and is reported as flaky (exit 0,
// a <rerunFailure> in junit.xml); without retries the run fails.
func TestFlakySpecIsReportedAsFlaky(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs skipped in -short mode")
	}
	for _, attempts := range []string{"", "2"} {
		t.Run("flake-attempts="+attempts, func(t *testing.T) {
			var queries atomic.Int64
			key := "flaky-" + attempts
			url := serveEmulator(t, key, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost && r.URL.Path == "/handles/query" && queries.Add(1) == 1 {
						http.Error(w, "a hiccup", http.StatusInternalServerError)
						return
					}
					next.ServeHTTP(w, r)
				})
			})
			args := []string{"--target", url, "--emulator-token-key", key, "--label-filter", "rule: containsAny HQ-RESPONSE-200"}
			if attempts != "" {
				args = append(args, "--flake-attempts", attempts)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			dir := filepath.Join(t.TempDir(), "reports")
			res := runBinary(t, ctx, dir, nil, args...)
			if attempts == "" {
				if res.code != report.ExitFail {
					t.Fatalf("without retries: exit %d, want 1", res.code)
				}
				return
			}
			if res.code != report.ExitPass || res.summary.Totals.Flaky != 1 || res.summary.Totals.Passed != 0 {
				t.Fatalf("exit %d, totals %+v: want a flaky spec, not a plain pass\n%s", res.code, res.summary.Totals, tailString(res.output, 2000))
			}
			var sp report.SpecResult
			for _, s := range res.summary.Specs {
				if s.Rule == "HQ-RESPONSE-200" {
					sp = s
				}
			}
			if sp.Outcome != report.OutcomeFlaky || sp.Attempts != 2 || !strings.Contains(sp.Cause, "passed on attempt 2 of 2") {
				t.Errorf("spec %+v", sp)
			}
			junit := readAll(t, filepath.Join(dir, report.JUnitFile))
			if !strings.Contains(junit, `<rerunFailure message="[HQ-RESPONSE-200] flaky: passed on attempt 2 of 2`) {
				t.Errorf("junit.xml does not mark the flaky spec:\n%s", tailString(junit, 2000))
			}
			for _, f := range []string{report.MarkdownFile, report.HTMLFile} {
				if body := readAll(t, filepath.Join(dir, f)); !strings.Contains(body, "flaky") {
					t.Errorf("%s does not count the flaky spec", f)
				}
			}
		})
	}
}

// TestDeadTargetEndsTheRunQuickly runs the suite against a target that stops answering after
// 40 requests (every later request hangs): the run ends within a bounded number of requests, as
// a harness error that says the target stopped answering, instead of waiting out every request.
func TestDeadTargetEndsTheRunQuickly(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs skipped in -short mode")
	}
	const answered, breaker = 40, 3
	var seen atomic.Int64
	key := "dead-target"
	done := make(chan struct{})
	url := serveEmulator(t, key, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if seen.Add(1) > answered {
				// Dead: no answer until the client gives up (reading the whole request lets the
				// server notice the client hang up) or the test ends.
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-done:
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	t.Cleanup(func() { close(done) }) // runs before the server's Close
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), nil, "--target", url, "--emulator-token-key", key,
		"--request-timeout", "1s", "--max-consecutive-failures", "3")
	took := time.Since(start)
	if res.code != report.ExitHarness {
		t.Fatalf("exit %d, want 2\n%s", res.code, tailString(res.output, 3000))
	}
	if n := seen.Load(); n > answered+breaker+2 {
		t.Errorf("the dead target got %d requests, want at most %d", n, answered+breaker+2)
	}
	if took > time.Minute {
		t.Errorf("the run took %s against a dead target", took)
	}
	down := 0
	for _, sp := range res.summary.Specs {
		if sp.Outcome == report.OutcomeHarnessError && strings.Contains(sp.Cause, "target stopped answering") {
			down++
		}
	}
	if down == 0 {
		t.Errorf("no harness error says the target stopped answering: %+v", res.summary.Totals)
	}
	t.Logf("dead target: %d requests seen, %s, %s", seen.Load(), took.Round(time.Millisecond), res.summary.Totals.Line())
}

// TestColourOnlyOnATerminal: a run whose output is not a terminal (a CI log) writes no ANSI
// colour codes even without --no-color, and NO_COLOR is honoured too.
func TestColourOnlyOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	bin := buildBinary(t)
	for _, env := range [][]string{nil, {"NO_COLOR=1"}} {
		cmd := exec.Command(bin, "run", "--report-dir", t.TempDir(), "--label-filter", "rule: containsAny HQ-TAKE-LIMITS")
		cmd.Env = append(cleanEnviron(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "\x1b[") {
			t.Errorf("env %v: the output has ANSI colour codes:\n%q", env, tailString(string(out), 500))
		}
	}
}

// TestDiffAndHistory compares three nightly runs: a clean one, one with a fault (a
// regression: diff exits 1), and the clean one again (a fix: diff exits 0); history writes the
// grid and lists the rule that changed.
func TestDiffAndHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs skipped in -short mode")
	}
	root := t.TempDir()
	nights := []string{"", "activity-answers-200", ""}
	for i, fault := range nights {
		args := []string{"--label-filter", gateFilter}
		if fault != "" {
			args = append(args, "--fault", fault)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		runBinary(t, ctx, filepath.Join(root, "night-"+string(rune('1'+i))), nil, args...)
		cancel()
	}
	n := func(i int) string { return filepath.Join(root, "night-"+string(rune('1'+i)), report.JSONFile) }
	code, out, _ := runCLI(t, "diff", n(0), n(1))
	if code != report.ExitFail || !strings.Contains(out, "### Regressions") || !strings.Contains(out, "HC-ACTIVITY-201") {
		t.Errorf("diff night-1 night-2: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "diff", "--format", "json", n(1), n(2))
	var d struct{ Regressions, Fixes []map[string]any }
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil || len(d.Fixes) == 0 || len(d.Regressions) != 0 {
		t.Errorf("diff --format json night-2 night-3: exit %d, %v\n%s", code, err, out)
	}
	page := filepath.Join(root, "history.html")
	code, out, stderr := runCLI(t, "history", "--output", page, root)
	if code != 0 || !strings.Contains(out, "3 runs") || !strings.Contains(out, "| HC-ACTIVITY-201 |") {
		t.Errorf("history: exit %d\n%s\n%s", code, out, stderr)
	}
	if html, err := os.ReadFile(page); err != nil || !strings.Contains(string(html), "HC-ACTIVITY-201 in ") {
		t.Errorf("history.html: %v", err)
	}
	if code, _, _ := runCLI(t, "diff", n(0)); code != 2 {
		t.Errorf("diff with one report: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "history", filepath.Join(root, "nothing-here")); code != 2 {
		t.Errorf("history of a missing folder: exit %d, want 2", code)
	}
	code, out, _ = runCLI(t, "expectations", "--from", n(1))
	if code != 0 || !strings.Contains(out, "rule: HC-ACTIVITY-201") || !strings.Contains(out, "outcome: failed") {
		t.Errorf("expectations --from: exit %d\n%s", code, out)
	}
}
