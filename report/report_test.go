package report

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

func spec(text string, state types.SpecState, labels ...string) types.SpecReport {
	return types.SpecReport{
		LeafNodeType:   types.NodeTypeIt,
		LeafNodeText:   text,
		LeafNodeLabels: labels,
		State:          state,
		Failure:        types.Failure{Message: "boom: Authorization: XBL3.0 <redacted>"},
	}
}

func TestSummarizeVerdictsAndExitCodes(t *testing.T) {
	pass := spec("a passes", types.SpecStatePassed, "rule:HQ-TAKE-LIMITS", "evidence:doc", "endpoint:handles-query")
	fail := spec("b fails", types.SpecStateFailed, "rule:HQ-PRIVATE-403")
	skip := spec("c skipped", types.SpecStateSkipped, "rule:HQ-NO-INCLUDE")
	unchecked := spec("g no answer", types.SpecStateFailed, "rule:HQ-TAKE-LIMITS")
	unchecked.Failure.Message = outcome.HarnessErrorPrefix + "GET /handles/x: no HTTP response from target: connection reset"
	blocked := spec("h blocked", types.SpecStateFailed, "rule:HQ-TAKE-LIMITS")
	blocked.Failure.Message = outcome.BlockedPrefix + "[SP-CREATE-201]: setup step creating a session (PUT /x) answered 500, want 201 (or 200)"
	setup := types.SpecReport{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "no target"}}
	cases := map[string]struct {
		specs []types.SpecReport
		want  string
		code  int
	}{
		"all pass":                     {[]types.SpecReport{pass, skip}, VerdictPass, ExitPass},
		"a failure":                    {[]types.SpecReport{pass, fail}, VerdictFail, ExitFail},
		"failure wins":                 {[]types.SpecReport{setup, fail}, VerdictFail, ExitFail},
		"setup failed":                 {[]types.SpecReport{setup, skip}, VerdictHarness, ExitHarness},
		"nothing ran":                  {[]types.SpecReport{skip}, VerdictHarness, ExitHarness},
		"empty":                        {nil, VerdictHarness, ExitHarness},
		"panic is a harness error":     {[]types.SpecReport{pass, spec("d", types.SpecStatePanicked)}, VerdictHarness, ExitHarness},
		"no answer is a harness error": {[]types.SpecReport{pass, unchecked}, VerdictHarness, ExitHarness},
		"failure beats harness error":  {[]types.SpecReport{unchecked, fail}, VerdictFail, ExitFail},
		"a blocked spec fails the run": {[]types.SpecReport{pass, blocked}, VerdictFail, ExitFail},
		"blocked beats harness error":  {[]types.SpecReport{unchecked, blocked}, VerdictFail, ExitFail},
		"interrupted run":              {[]types.SpecReport{pass, spec("e", types.SpecStateInterrupted)}, VerdictHarness, ExitHarness},
		"timed-out spec":               {[]types.SpecReport{pass, spec("f", types.SpecStateTimedout)}, VerdictHarness, ExitHarness},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := Summarize(Metadata{RunID: "r1"}, types.Report{SpecReports: tc.specs})
			if s.Verdict != tc.want || s.ExitCode() != tc.code {
				t.Fatalf("verdict %q exit %d, want %q %d", s.Verdict, s.ExitCode(), tc.want, tc.code)
			}
		})
	}
	b := Summarize(Metadata{}, types.Report{SpecReports: []types.SpecReport{pass, blocked, fail}})
	if b.Totals.Blocked != 1 || b.Totals.Failed != 1 || b.Totals.Passed != 1 {
		t.Errorf("blocked spec counted wrongly: %+v", b.Totals)
	}
	for _, sp := range b.Specs {
		if sp.Name == "h blocked" && (sp.Outcome != OutcomeBlocked || sp.BlockedBy != "SP-CREATE-201" || !strings.Contains(sp.Cause, "PUT /x")) {
			t.Errorf("blocked spec: %+v", sp)
		}
	}
	if !strings.Contains(b.Totals.Line(), "1 blocked") {
		t.Errorf("totals line lacks the blocked count: %s", b.Totals.Line())
	}
	s := Summarize(Metadata{}, types.Report{SpecReports: []types.SpecReport{pass}})
	if s.Specs[0].Rule != "HQ-TAKE-LIMITS" || s.Specs[0].Evidence != "doc" || s.Specs[0].Endpoint != "handles-query" {
		t.Errorf("rule metadata not resolved from the catalog: %+v", s.Specs[0])
	}
}

func TestWriteReports(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "reports")
	unchecked := spec("c no answer", types.SpecStateFailed, "rule:HQ-TAKE-LIMITS")
	unchecked.Failure.Message = outcome.HarnessErrorPrefix + "GET /handles/x: no HTTP response from target: EOF"
	blocked := spec("d blocked", types.SpecStateFailed, "rule:HQ-NO-INCLUDE")
	blocked.Failure.Message = outcome.BlockedPrefix + "[SP-CREATE-201]: setup step creating a session (PUT /s) answered 500, want 201 (or 200)"
	report := types.Report{
		SuiteDescription: "MPSD handles API conformance",
		SuiteSucceeded:   false,
		SpecReports: []types.SpecReport{
			spec("a passes", types.SpecStatePassed, "rule:HQ-TAKE-LIMITS"),
			spec("b fails", types.SpecStateFailed, "rule:HQ-PRIVATE-403"),
			unchecked,
			blocked,
		},
	}
	cfg := config.Default()
	cfg.Target, cfg.Proxy, cfg.EmulatorTokenKey = "https://mpsd.example", "http://u:proxy-secret-1@proxy:3128", "key-secret-2"
	meta := Metadata{RunID: "r1", Target: cfg.Target, HarnessVersion: "v9.9.9", Commit: "abc123", Profile: "strict",
		LabelFilter: "rule: containsAny HQ-TAKE-LIMITS", RandomSeed: 4242, Procs: 3, ContractVersion: 107,
		Config: cfg.Redacted(), StartedAt: time.Now(), Duration: time.Second}
	s := Summarize(meta, report)
	if err := WriteReports(dir, report, s); err != nil {
		t.Fatal(err)
	}
	junit, err := os.ReadFile(filepath.Join(dir, JUnitFile))
	if err != nil || !strings.Contains(string(junit), "rule:HQ-PRIVATE-403") || !strings.Contains(string(junit), "<failure") {
		t.Errorf("junit.xml lacks the rule or the failure: %v\n%s", err, junit)
	}
	var back Summary
	raw, _ := os.ReadFile(filepath.Join(dir, JSONFile))
	if err := json.Unmarshal(raw, &back); err != nil || back.Totals.Failed != 1 || back.Metadata.RunID != "r1" {
		t.Errorf("report.json: %v %+v", err, back.Totals)
	}
	md, _ := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if !strings.Contains(string(md), "FAIL") || !strings.Contains(string(md), "HQ-PRIVATE-403") {
		t.Errorf("report.md:\n%s", md)
	}
	if !strings.Contains(string(junit), `<error message="harness error: GET /handles/x`) || !strings.Contains(string(junit), `errors="1"`) {
		t.Errorf("junit.xml does not show the harness error as an <error>:\n%s", junit)
	}
	// A blocked spec is a skip that names the rule its setup broke, never a second failure.
	if !strings.Contains(string(junit), `<skipped message="[HQ-NO-INCLUDE] blocked by [SP-CREATE-201]: setup step creating a session (PUT /s) answered 500`) ||
		!strings.Contains(string(junit), `failures="1"`) {
		t.Errorf("junit.xml does not show the blocked spec as a skip naming the broken rule:\n%s", junit)
	}
	if !strings.Contains(string(md), "## Blocked specs") || !strings.Contains(string(md), "| d blocked | HQ-NO-INCLUDE | SP-CREATE-201 |") {
		t.Errorf("report.md does not list the blocked spec:\n%s", md)
	}
	// Every report carries the run metadata and the redacted configuration.
	for _, f := range []string{JUnitFile, JSONFile, MarkdownFile, TraceJSONFile, TraceMarkdownFile} {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"r1", "https://mpsd.example", "v9.9.9", "abc123", "4242", "HQ-TAKE-LIMITS", "proxy:3128"} {
			if !strings.Contains(html.UnescapeString(string(raw)), want) {
				t.Errorf("%s lacks %q", f, want)
			}
		}
		for _, secret := range []string{"proxy-secret-1", "key-secret-2"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("%s contains the secret %q", f, secret)
			}
		}
	}
}

func TestWriteReportsIntoAFileFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteReports(filepath.Join(file, "reports"), types.Report{}, Summary{})
	if err == nil || !strings.Contains(err.Error(), "create report directory") {
		t.Fatalf("WriteReports into a file: %v", err)
	}
}
