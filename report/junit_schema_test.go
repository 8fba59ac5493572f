package report

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// junitSchema is the Jenkins xUnit plugin's junit-10.xsd (source and licence in its header).
const junitSchema = "testdata/junit.xsd"

// xmllint validates file against the schema and returns xmllint's output and whether it passed.
func xmllint(t *testing.T, tool, file string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, "--noout", "--schema", junitSchema, file).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("xmllint timed out: %v", ctx.Err())
	}
	return string(out), err == nil
}

// junitFixture is a run with every class of outcome, as Ginkgo reports it: passed (one with an
// owner label and a report entry), failed with an HTTP transcript and a report entry, skipped by
// the filter and by the spec, blocked by a setup step, and harness errors of each kind (a harness-error failure, a
// timeout, a panic, an interruption and an abort).
func junitFixture() types.Report {
	exchange := "unexpected status\n--- request\nPOST https://mpsd.example/handles/query?private=true\n" +
		"Authorization: XBL3.0 <redacted>\n--- response (0s)\n200 OK\n{\"results\": []}\n\nExpected\n    <int>: 200\nto equal\n    <int>: 403"
	failed := spec("b fails", types.SpecStateFailed, "rule:HQ-PRIVATE-403")
	failed.Failure.Message = exchange
	failed.ReportEntries = types.ReportEntries{{Name: "HTTP exchanges", Value: types.WrapEntryValue("[1] " + exchange)}}
	owned := spec("a passes", types.SpecStatePassed, "rule:HQ-TAKE-LIMITS", "owner:team-mpsd")
	owned.ReportEntries = types.ReportEntries{{Name: "cleanup problem", Value: types.WrapEntryValue("DELETE /handles/1: 500")}}
	unchecked := spec("c no answer", types.SpecStateFailed, "rule:HQ-TAKE-LIMITS")
	unchecked.Failure.Message = outcome.HarnessErrorPrefix + "GET /handles/x: no HTTP response from target: EOF\nmore detail"
	skippedBySpec := spec("e not applicable", types.SpecStateSkipped, "rule:HQ-NO-INCLUDE")
	skippedBySpec.Failure.Message = "target has no second title"
	notSelected := spec("d not selected", types.SpecStateSkipped, "rule:HQ-NO-INCLUDE")
	notSelected.Failure.Message = ""
	panicked := spec("f panics", types.SpecStatePanicked, "rule:HQ-PRIVATE-403")
	panicked.Failure.ForwardedPanic = "runtime error: index out of range"
	blocked := spec("j blocked", types.SpecStateFailed, "rule:HQ-NO-INCLUDE")
	blocked.Failure.Message = outcome.BlockedPrefix + "[SP-CREATE-201]: setup step creating a session (PUT /s) answered 500, want 201 (or 200); this spec's own rule was not checked\n--- request\nPUT /s"
	return types.Report{
		SuiteDescription: "MPSD handles API conformance",
		SuitePath:        "/src/suites",
		StartTime:        time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		SpecReports: []types.SpecReport{
			owned, failed, unchecked, notSelected, skippedBySpec, panicked,
			spec("g times out", types.SpecStateTimedout, "rule:HQ-TAKE-LIMITS"),
			spec("h interrupted", types.SpecStateInterrupted, "rule:HQ-TAKE-LIMITS"),
			spec("i aborted", types.SpecStateAborted, "rule:HQ-TAKE-LIMITS"),
			blocked,
		},
	}
}

func writeJUnitFixture(t *testing.T) (string, Summary) {
	t.Helper()
	report := junitFixture()
	cfg := config.Default()
	cfg.Target = "https://mpsd.example"
	meta := Metadata{RunID: "run-junit-1", Target: cfg.Target, HarnessVersion: "v9.9.9", Profile: "strict",
		RandomSeed: 7, Procs: 1, ContractVersion: 107, Config: cfg.Redacted(), StartedAt: report.StartTime}
	s := Summarize(meta, report)
	dir := t.TempDir()
	if err := WriteReports(dir, report, s); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, JUnitFile), s
}

func TestJUnitValidatesAgainstSchema(t *testing.T) {
	tool := requireTool(t, "REQUIRE_XMLLINT", "xmllint")
	file, _ := writeJUnitFixture(t)
	if out, ok := xmllint(t, tool, file); !ok {
		raw, _ := os.ReadFile(file)
		t.Fatalf("junit.xml does not validate against %s:\n%s\n%s", junitSchema, out, raw)
	}

	// The validator can say no: Ginkgo's own per-testcase <properties> and owner attribute,
	// which annotateJUnit removes, are outside the schema.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1"><testsuite name="s" tests="1"><testcase name="x" owner="o"><properties><property name="a" value="b"/></properties></testcase></testsuite></testsuites>`
	if err := os.WriteFile(bad, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, ok := xmllint(t, tool, bad); ok {
		t.Fatalf("xmllint accepted a document outside the schema:\n%s", out)
	}
}

var ruleLabel = regexp.MustCompile(`rule:([A-Z0-9-]+)`)

func TestJUnitMessagesNameRuleAndCause(t *testing.T) {
	file, s := writeJUnitFixture(t)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	causes := map[string]SpecResult{}
	for _, sp := range s.Specs {
		causes[sp.Name] = sp
	}
	failures, errs := 0, 0
	for _, ts := range doc.TestSuites {
		for _, tc := range ts.TestCases {
			if tc.Properties != nil || tc.Owner != "" {
				t.Errorf("%s: per-testcase properties or owner left in", tc.Name)
			}
			m := ruleLabel.FindStringSubmatch(tc.Name)
			if m == nil {
				t.Fatalf("testcase %q has no rule label", tc.Name)
			}
			rule, sp := m[1], causes[junitSpecName(tc.Name)]
			if sp.Cause == "" && (tc.Failure != nil || tc.Error != nil) {
				t.Fatalf("testcase %q has no spec result with a cause", tc.Name)
			}
			if tc.Failure != nil {
				failures++
				if want := "[" + rule + "] " + sp.Cause; tc.Failure.Message != want {
					t.Errorf("failure message %q, want %q", tc.Failure.Message, want)
				}
				if !strings.Contains(tc.Failure.Description, "--- response") {
					t.Errorf("failure body lost the HTTP exchange: %q", tc.Failure.Description)
				}
			}
			if tc.Error != nil {
				errs++
				if !strings.Contains(tc.Error.Message, "["+rule+"]") || !strings.HasPrefix(tc.Error.Message, sp.Cause) {
					t.Errorf("error message %q lacks the cause %q or the rule [%s]", tc.Error.Message, sp.Cause, rule)
				}
				if sp.Outcome != OutcomeHarnessError {
					t.Errorf("%s is an <error> but its outcome is %s", tc.Name, sp.Outcome)
				}
			}
			for _, msg := range []string{failureMessage(tc), errorMessage(tc)} {
				if strings.Contains(msg, "\n") || len(msg) > 260 {
					t.Errorf("message is not one short line: %q", msg)
				}
			}
		}
		if ts.Failures != failures || ts.Errors != errs {
			t.Errorf("testsuite counts failures=%d errors=%d, elements say %d and %d", ts.Failures, ts.Errors, failures, errs)
		}
	}
	if failures != s.Totals.Failed || errs != s.Totals.HarnessErrors || doc.Failures != failures || doc.Errors != errs {
		t.Errorf("junit.xml has %d failures and %d errors (root %d, %d), the summary %d failed and %d harness errors",
			failures, errs, doc.Failures, doc.Errors, s.Totals.Failed, s.Totals.HarnessErrors)
	}
	if s.Totals.Failed != 1 || s.Totals.HarnessErrors != 5 || s.Totals.Skipped != 2 || s.Totals.Passed != 1 {
		t.Fatalf("fixture totals changed: %+v", s.Totals)
	}
	if !strings.Contains(string(raw), `message="[HQ-PRIVATE-403] unexpected status"`) {
		t.Errorf("junit.xml lacks the failure message of HQ-PRIVATE-403:\n%s", raw)
	}
	// The report entries of a passed spec (no timeline in <system-err>) move to <system-out>.
	if !strings.Contains(string(raw), "DELETE /handles/1: 500") || !strings.Contains(string(raw), "owner: team-mpsd") {
		t.Errorf("junit.xml dropped a passed spec's report entry or owner:\n%s", raw)
	}
}

func failureMessage(tc reporters.JUnitTestCase) string {
	if tc.Failure == nil {
		return ""
	}
	return tc.Failure.Message
}

func errorMessage(tc reporters.JUnitTestCase) string {
	if tc.Error == nil {
		return ""
	}
	return tc.Error.Message
}
