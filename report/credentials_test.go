package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/expectations"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// TestRefusedCredentialsMakeEveryReportAHarnessError: a refused credential makes the run a
// harness error even beside a failure and under expectations that expect every failure, and
// every report says so; specs skipped for a reason of their own are listed by reason.
func TestRefusedCredentialsMakeEveryReportAHarnessError(t *testing.T) {
	pass := spec("a passes", types.SpecStatePassed, "rule:HQ-TAKE-LIMITS", "evidence:doc", "endpoint:handles-query")
	fail := spec("b fails", types.SpecStateFailed, "rule:HQ-PRIVATE-403")
	unchecked := spec("c unchecked", types.SpecStateFailed, "rule:HQ-PRIVATE-403")
	unchecked.Failure.Message = outcome.HarnessErrorPrefix + "credential refused: credential of user2 refused (401)"
	noServer := spec("d needs the server", types.SpecStateSkipped, "rule:HQ-PRIVATE-SERVER")
	noServer.Failure.Message = "needs a server identity (none configured)"
	s := Summarize(Metadata{RunID: "r1", StartedAt: time.Now()}, types.Report{SpecReports: []types.SpecReport{pass, fail, unchecked, noServer}})
	if s.Verdict != VerdictFail {
		t.Fatalf("precondition: verdict %s", s.Verdict)
	}
	refusal := identity.Refusal{Identity: "user2", Source: "authorizationEnv MPSD_USER2_AUTH", Status: 401, Cause: "token has expired", At: time.Now()}
	s.SetCredentialProblems([]identity.Refusal{refusal})
	if s.Verdict != VerdictHarness || s.ExitCode() != ExitHarness {
		t.Errorf("verdict %s with a refused credential, want harness-error", s.Verdict)
	}
	all := expectations.File{Expectations: []expectations.Entry{{Rule: "HQ-PRIVATE-403", Outcome: expectations.Failed, Reason: "known"}}}
	s.ApplyExpectations("expect.yaml", all, true, time.Now())
	if s.Verdict != VerdictHarness || len(s.Expectations.UnexpectedPasses) != 0 {
		t.Errorf("expectations turned the run into %s (unexpected passes %v): a harness error stays one, and an unchecked spec is no unexpected pass",
			s.Verdict, s.Expectations.UnexpectedPasses)
	}
	dir := t.TempDir()
	if err := WriteReports(dir, types.Report{SpecReports: []types.SpecReport{pass, fail, unchecked, noServer}}, s); err != nil {
		t.Fatal(err)
	}
	line := refusal.String()
	for file, wants := range map[string][]string{
		MarkdownFile: {"Harness error: credentials refused", line, "## Skipped specs", "1 skipped: needs a server identity (none configured)"},
		HTMLFile:     {"Harness error: credentials refused", "needs a server identity (none configured)"},
		JUnitFile:    {"mpsdconf.credentialRefused", "user2 (authorizationEnv MPSD_USER2_AUTH) refused (401)"},
		JSONFile:     {`"credentialProblems"`, `"identity": "user2"`, `"verdict": "harness-error"`},
	} {
		raw, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range wants {
			if !strings.Contains(string(raw), want) {
				t.Errorf("%s lacks %q", file, want)
			}
		}
	}
	back, err := ReadSummary(filepath.Join(dir, JSONFile))
	if err != nil || len(back.CredentialProblems) != 1 || back.CredentialProblems[0].Identity != "user2" {
		t.Errorf("report.json does not read back its credential problems: %v %+v", err, back.CredentialProblems)
	}
}
