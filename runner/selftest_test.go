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
				Binary: fakeBinary(t, tc.failingRule, tc.exit), ReportDir: dir, Faults: []string{fault},
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
	if code := SelfTest(context.Background(), SelfTestConfig{Binary: "/bin/true", Faults: []string{"no-such-fault"}}, io.Discard); code != ExitHarness {
		t.Errorf("unknown fault: exit %d", code)
	}
}
