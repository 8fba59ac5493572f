package report

// Verdicts of a run.
const (
	// VerdictPass: every selected spec passed.
	VerdictPass = "pass"
	// VerdictFail: the target broke at least one rule.
	VerdictFail = "fail"
	// VerdictHarness: some rule could not be checked and none was broken.
	VerdictHarness = "harness-error"
)

// Exit codes of the mpsdconf commands that judge a target: the code each verdict means.
const (
	// ExitPass means every selected spec passed.
	ExitPass = 0
	// ExitFail means the target broke at least one rule.
	ExitFail = 1
	// ExitHarness means the run could not check the target: bad configuration, unreachable
	// target, or a harness error. It is never used when a conformance failure was found.
	ExitHarness = 2
)

// judge sets the run's verdict: from its totals and suite setup (verdict), failed when
// expectations no longer hold and the run asked to fail on that, and a harness error whenever
// the target refused one of the run's own credentials, which nothing (an expectations file
// included) turns into a pass or a conformance failure.
func (s *Summary) judge() {
	s.Verdict, s.SetupFailure = verdict(s.Totals, s.SetupFailure)
	if e := s.Expectations; e != nil && e.FailOnUnexpectedPass && len(e.UnexpectedPasses) > 0 {
		s.Verdict = VerdictFail
	}
	if len(s.CredentialProblems) > 0 {
		s.Verdict = VerdictHarness
	}
}

// verdict judges a run from its totals and the failures of its suite setup, which it returns
// with the reason when no spec ran.
func verdict(t Totals, setupFailure string) (string, string) {
	switch {
	case t.Failed+t.Blocked > t.Expected: // a blocked spec's setup broke a rule; expected ones do not count
		return VerdictFail, setupFailure
	case t.HarnessErrors > 0:
		return VerdictHarness, setupFailure
	case setupFailure != "":
		return VerdictHarness, setupFailure
	case t.Passed+t.Flaky+t.Expected == 0:
		return VerdictHarness, "no spec ran: the profile and label filter selected nothing, or the run was interrupted"
	default:
		return VerdictPass, setupFailure
	}
}

// ExitCode returns the exit code a verdict means: ExitPass, ExitFail, or ExitHarness for a
// harness error (and anything else).
func ExitCode(verdict string) int {
	switch verdict {
	case VerdictPass:
		return ExitPass
	case VerdictFail:
		return ExitFail
	default:
		return ExitHarness
	}
}

// ExitCode maps the summary's verdict to the process exit code (see the package function).
func (s Summary) ExitCode() int { return ExitCode(s.Verdict) }
