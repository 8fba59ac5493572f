package runner

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestJudge(t *testing.T) {
	s := Summary{Specs: []SpecResult{
		{Name: "own", Rule: "HQ-PRIVATE-403", Outcome: OutcomeFailed, Failure: "x"},
		{Name: "other", Rule: "HDR-ERROR-TEXT-PLAIN", Outcome: OutcomeFailed, Failure: "x"},
		{Name: "unchecked", Rule: "HQ-PRIVATE-403", Outcome: OutcomeHarnessError, Failure: "harness error: x"},
		{Name: "fine", Rule: "HQ-PRIVATE-403", Outcome: OutcomePassed},
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
	pass, _ := json.Marshal(Summary{Verdict: VerdictPass, Specs: []SpecResult{{Name: "s", Rule: "HQ-TAKE-LIMITS", Outcome: OutcomePassed, State: "passed"}}})
	fail, _ := json.Marshal(Summary{Verdict: VerdictFail, Specs: []SpecResult{{Name: "s", Rule: failingRule, Outcome: OutcomeFailed, State: "failed", Failure: "boom"}}})
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
		want        int
	}{
		"fault kills its rule":              {"HDR-CV-INVALID-4XX", 1, ExitPass},
		"fault kills only another rule":     {"HQ-TAKE-LIMITS", 1, ExitFail},
		"fault kills nothing":               {"", 0, ExitFail},
		"faulted run ends in harness error": {"HDR-CV-INVALID-4XX", 2, ExitHarness},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var out strings.Builder
			code := SelfTest(context.Background(), SelfTestConfig{
				MatrixConfig: MatrixConfig{Binary: fakeBinary(t, tc.failingRule, tc.exit), ReportDir: dir}, Faults: []string{fault},
			}, &out)
			if code != tc.want {
				t.Fatalf("exit %d, want %d\n%s", code, tc.want, out.String())
			}
			wantLine := "selftest: 2 passed, 0 failed\n"
			if tc.want != ExitPass {
				wantLine = "selftest: 1 passed, 1 failed\n"
			}
			if !strings.HasSuffix(out.String(), wantLine) {
				t.Errorf("output does not end with %q:\n%s", wantLine, out.String())
			}
			var rep SelfTestReport
			raw, err := os.ReadFile(filepath.Join(dir, SelfTestFile))
			if err != nil || json.Unmarshal(raw, &rep) != nil || rep.Total != 1 {
				t.Fatalf("selftest.json: %v %s", err, raw)
			}
		})
	}
	if code := SelfTest(context.Background(), SelfTestConfig{MatrixConfig: MatrixConfig{Binary: "/bin/true"}, Faults: []string{"no-such-fault"}}, io.Discard); code != ExitHarness {
		t.Errorf("unknown fault: exit %d", code)
	}
}

// fakeToleranceBinary writes a script standing in for mpsdconf: a run with --variant
// failingVariant and --profile documented fails rule failingRule; every strict run with a
// variant fails HQ-TAKE-ZERO-EMPTY (an inferred rule); everything else passes.
func fakeToleranceBinary(t *testing.T, failingVariant, failingRule string) string {
	t.Helper()
	dir := t.TempDir()
	pass, _ := json.Marshal(Summary{Verdict: VerdictPass, Specs: []SpecResult{{Name: "s", Rule: "HQ-TAKE-LIMITS", Outcome: OutcomePassed, State: "passed"}}})
	docFail, _ := json.Marshal(Summary{Verdict: VerdictFail, Specs: []SpecResult{{Name: "s", Rule: failingRule, Outcome: OutcomeFailed, State: "failed", Failure: "boom"}}})
	strictFail, _ := json.Marshal(Summary{Verdict: VerdictFail, Specs: []SpecResult{
		{Name: "s", Rule: "HQ-TAKE-LIMITS", Outcome: OutcomePassed, State: "passed"},
		{Name: "z", Rule: "HQ-TAKE-ZERO-EMPTY", Outcome: OutcomeFailed, State: "failed", Failure: "boom"},
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
		want           int
		line           string
	}{
		"documented passes everywhere":  {"", ExitPass, "tolerance: 2 passed, 0 failed\n"},
		"documented fails on a variant": {"take-zero-unlimited", ExitFail, "tolerance: 1 passed, 1 failed\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var out strings.Builder
			code := Tolerance(context.Background(), ToleranceConfig{
				MatrixConfig: MatrixConfig{Binary: fakeToleranceBinary(t, tc.failingVariant, "HQ-TAKE-LIMITS"), ReportDir: dir}, Variants: variants,
			}, &out)
			if code != tc.want || !strings.HasSuffix(out.String(), tc.line) {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.want, out.String())
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
	if code := Tolerance(context.Background(), ToleranceConfig{MatrixConfig: MatrixConfig{Binary: "/bin/true", ReportDir: t.TempDir()}, Variants: []string{"no-such-variant"}}, &out); code != ExitHarness {
		t.Errorf("an unknown variant: exit %d, want %d", code, ExitHarness)
	}
}
