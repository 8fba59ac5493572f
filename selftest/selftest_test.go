package selftest

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mpsdconf/mpsdconf/report"
)

func TestJudge(t *testing.T) {
	s := report.Summary{Specs: []report.SpecResult{
		{Name: "own", Rule: "HQ-PRIVATE-403", Outcome: report.OutcomeFailed, Failure: "x"},
		{Name: "other", Rule: "HDR-ERROR-TEXT-PLAIN", Outcome: report.OutcomeFailed, Failure: "x"},
		{Name: "unchecked", Rule: "HQ-PRIVATE-403", Outcome: report.OutcomeHarnessError, Failure: "harness error: x"},
		{Name: "fine", Rule: "HQ-PRIVATE-403", Outcome: report.OutcomePassed},
	}}
	out := FaultOutcome{Rule: "HQ-PRIVATE-403", OtherRuleFailures: map[string][]string{}}
	judge(&out, s)
	if !out.Killed || len(out.OwnRuleFailures) != 1 || len(out.OtherRuleFailures["HDR-ERROR-TEXT-PLAIN"]) != 1 {
		t.Fatalf("judge: %+v", out)
	}
	miss := FaultOutcome{Rule: "HQ-TAKE-LIMITS", OtherRuleFailures: map[string][]string{}}
	judge(&miss, s)
	if miss.Killed {
		t.Fatal("a fault whose rule has no failed spec was judged killed")
	}
}

// fakeBinary writes a script standing in for mpsdconf: every run writes a report.json in
// which only failingRule (if any) fails when a --fault is given.
func fakeBinary(t *testing.T, failingRule string, exit int) string {
	t.Helper()
	dir := t.TempDir()
	pass, _ := json.Marshal(report.Summary{Verdict: report.VerdictPass, Specs: []report.SpecResult{{Name: "s", Rule: "HQ-TAKE-LIMITS", Outcome: report.OutcomePassed, State: "passed"}}})
	fail, _ := json.Marshal(report.Summary{Verdict: report.VerdictFail, Specs: []report.SpecResult{{Name: "s", Rule: failingRule, Outcome: report.OutcomeFailed, State: "failed", Failure: "boom"}}})
	script := `#!/bin/sh
dir=""; fault=""
while [ $# -gt 0 ]; do
  case "$1" in --report-dir) dir="$2"; shift;; --fault) fault="$2"; shift;; esac; shift
done
mkdir -p "$dir"
if [ -n "$fault" ] && [ -n "` + failingRule + `" ]; then
  printf '%s' '` + string(fail) + `' > "$dir/report.json"; exit ` + strconv.Itoa(exit) + `
fi
printf '%s' '` + string(pass) + `' > "$dir/report.json"; exit 0
`
	p := filepath.Join(dir, "fake-mpsdconf")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSelfTestVerdicts(t *testing.T) {
	fault := "skip-contract-version-check" // its rule is HDR-CV-INVALID-4XX
	cases := map[string]struct {
		failingRule string
		exit        int
		want        string
	}{
		"fault kills its rule":              {"HDR-CV-INVALID-4XX", 1, report.VerdictPass},
		"fault kills only another rule":     {"HQ-TAKE-LIMITS", 1, report.VerdictFail},
		"fault kills nothing":               {"", 0, report.VerdictFail},
		"faulted run ends in harness error": {"HDR-CV-INVALID-4XX", 2, report.VerdictHarness},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var out strings.Builder
			got, err := Run(context.Background(), Config{
				MatrixConfig: MatrixConfig{Binary: fakeBinary(t, tc.failingRule, tc.exit), ReportDir: dir}, Faults: []string{fault},
			}, &out)
			if err != nil || got.Verdict() != tc.want {
				t.Fatalf("verdict %q (error %v), want %q\n%s", got.Verdict(), err, tc.want, out.String())
			}
			wantLine := "selftest: 2 passed, 0 failed\n"
			if tc.want != report.VerdictPass {
				wantLine = "selftest: 1 passed, 1 failed\n"
			}
			if !strings.HasSuffix(out.String(), wantLine) {
				t.Errorf("output does not end with %q:\n%s", wantLine, out.String())
			}
			var rep Report
			raw, err := os.ReadFile(filepath.Join(dir, File))
			if err != nil || json.Unmarshal(raw, &rep) != nil || rep.Total != 1 {
				t.Fatalf("selftest.json: %v %s", err, raw)
			}
		})
	}
	if _, err := Run(context.Background(), Config{MatrixConfig: MatrixConfig{Binary: "/bin/true"}, Faults: []string{"no-such-fault"}}, io.Discard); err == nil || !strings.Contains(err.Error(), "no-such-fault") {
		t.Errorf("unknown fault: error %v", err)
	}
}

// fakeToleranceBinary writes a script standing in for mpsdconf: a run with --variant
// failingVariant and --profile documented fails rule failingRule; every strict run with a
// variant fails HQ-TAKE-ZERO-EMPTY (an inferred rule); everything else passes.
func fakeToleranceBinary(t *testing.T, failingVariant, failingRule string) string {
	t.Helper()
	dir := t.TempDir()
	pass, _ := json.Marshal(report.Summary{Verdict: report.VerdictPass, Specs: []report.SpecResult{{Name: "s", Rule: "HQ-TAKE-LIMITS", Outcome: report.OutcomePassed, State: "passed"}}})
	docFail, _ := json.Marshal(report.Summary{Verdict: report.VerdictFail, Specs: []report.SpecResult{{Name: "s", Rule: failingRule, Outcome: report.OutcomeFailed, State: "failed", Failure: "boom"}}})
	strictFail, _ := json.Marshal(report.Summary{Verdict: report.VerdictFail, Specs: []report.SpecResult{
		{Name: "s", Rule: "HQ-TAKE-LIMITS", Outcome: report.OutcomePassed, State: "passed"},
		{Name: "z", Rule: "HQ-TAKE-ZERO-EMPTY", Outcome: report.OutcomeFailed, State: "failed", Failure: "boom"},
	}})
	script := `#!/bin/sh
dir=""; variant=""; profile=""
while [ $# -gt 0 ]; do
  case "$1" in --report-dir) dir="$2"; shift;; --variant) variant="$2"; shift;; --profile) profile="$2"; shift;; esac; shift
done
mkdir -p "$dir"
if [ "$profile" = documented ] && [ "$variant" = "` + failingVariant + `" ]; then
  printf '%s' '` + string(docFail) + `' > "$dir/report.json"; exit 1
fi
if [ "$profile" = strict ]; then
  printf '%s' '` + string(strictFail) + `' > "$dir/report.json"; exit 1
fi
printf '%s' '` + string(pass) + `' > "$dir/report.json"; exit 0
`
	p := filepath.Join(dir, "fake-mpsdconf")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestToleranceVerdicts(t *testing.T) {
	variants := []string{"invite-answers-200", "take-zero-unlimited"}
	cases := map[string]struct {
		failingVariant string
		want           string
		line           string
	}{
		"documented passes everywhere":  {"", report.VerdictPass, "tolerance: 2 passed, 0 failed\n"},
		"documented fails on a variant": {"take-zero-unlimited", report.VerdictFail, "tolerance: 1 passed, 1 failed\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var out strings.Builder
			got, err := Tolerance(context.Background(), ToleranceConfig{
				MatrixConfig: MatrixConfig{Binary: fakeToleranceBinary(t, tc.failingVariant, "HQ-TAKE-LIMITS"), ReportDir: dir}, Variants: variants,
			}, &out)
			if err != nil || got.Verdict() != tc.want || !strings.HasSuffix(out.String(), tc.line) {
				t.Fatalf("verdict %q (error %v), want %q; output:\n%s", got.Verdict(), err, tc.want, out.String())
			}
			raw, err := os.ReadFile(filepath.Join(dir, ToleranceFile))
			if err != nil {
				t.Fatal(err)
			}
			var rep ToleranceReport
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			rules := map[string]RuleTolerance{}
			for _, r := range rep.Rules {
				rules[r.Rule] = r
			}
			// The strict runs fail the inferred rule on every variant: it tolerates none.
			if r := rules["HQ-TAKE-ZERO-EMPTY"]; len(r.Tolerates) != 0 || len(r.BreaksOn) != 2 {
				t.Errorf("HQ-TAKE-ZERO-EMPTY tolerance: %+v", r)
			}
			if r := rules["HQ-TAKE-LIMITS"]; len(r.Tolerates) != 2 {
				t.Errorf("HQ-TAKE-LIMITS tolerance: %+v", r)
			}
			md, err := os.ReadFile(filepath.Join(dir, ToleranceMarkdownFile))
			if err != nil || !strings.Contains(string(md), "| HQ-TAKE-ZERO-EMPTY | inferred | 0: ") {
				t.Errorf("tolerance.md: %v\n%s", err, md)
			}
		})
	}
	var out strings.Builder
	if _, err := Tolerance(context.Background(), ToleranceConfig{MatrixConfig: MatrixConfig{Binary: "/bin/true", ReportDir: t.TempDir()}, Variants: []string{"no-such-variant"}}, &out); err == nil || !strings.Contains(err.Error(), "no-such-variant") {
		t.Errorf("an unknown variant: error %v, want one naming it", err)
	}
}
