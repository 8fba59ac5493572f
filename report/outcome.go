package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/expectations"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// Outcome classes of a spec.
const (
	// OutcomePassed: the target followed the rule.
	OutcomePassed = outcome.Passed
	// OutcomeFailed: the target broke the rule.
	OutcomeFailed = outcome.Failed
	// OutcomeBlocked: a setup step of the spec got an answer that breaks another rule (named in
	// SpecResult.BlockedBy), so the spec's own rule was not checked. The break is counted once,
	// as a failure of that other rule's own specs.
	OutcomeBlocked = outcome.Blocked
	// OutcomeFlaky: the spec failed, was retried (--flake-attempts) and passed on a retry. It
	// does not fail the run, but it is never reported as a plain pass.
	OutcomeFlaky = outcome.Flaky
	// OutcomeSkipped: not run (not selected by profile or label filter, or not applicable).
	OutcomeSkipped = outcome.Skipped
	// OutcomeHarnessError: the rule could not be checked (no answer, timeout, throttled out,
	// unreadable answer, interrupted run or a harness bug).
	OutcomeHarnessError = outcome.HarnessError
)

// SpecResult is one spec's outcome.
type SpecResult struct {
	Name     string `json:"name"`
	Rule     string `json:"rule"`
	Evidence string `json:"evidence"`
	Endpoint string `json:"endpoint"`
	// Outcome is the class: passed, failed, blocked, skipped or harness-error.
	Outcome string `json:"outcome"`
	// BlockedBy is, for a blocked spec, the rule its setup step found broken.
	BlockedBy string `json:"blockedBy,omitempty"`
	// Attempts is how many times the spec ran, when failed attempts were retried.
	Attempts int `json:"attempts,omitempty"`
	// Expected is the expectations entry that expected the spec's outcome on this target.
	Expected *expectations.Entry `json:"expected,omitempty"`
	// State is Ginkgo's state of the spec.
	State      string  `json:"state"`
	DurationMs float64 `json:"durationMs"`
	// Retries counts the spec's requests that were retried because the target throttled.
	Retries int `json:"retries,omitempty"`
	// Cause is one line saying why the spec failed, was skipped or could not be checked.
	Cause    string `json:"cause,omitempty"`
	Failure  string `json:"failure,omitempty"`
	Location string `json:"location,omitempty"`
}

// CauseNotSelected is the cause of a spec the profile or the label filter left out.
const CauseNotSelected = "not selected by the profile or label filter"

// SkippedByCause groups the specs skipped for a reason of their own (not the profile or label
// filter: e.g. "needs a server identity (none configured)") by that reason, sorted.
func SkippedByCause(specs []SpecResult) (causes []string, byCause map[string][]string) {
	byCause = map[string][]string{}
	for _, sp := range specs {
		if sp.Outcome != OutcomeSkipped || sp.Cause == CauseNotSelected {
			continue
		}
		if _, ok := byCause[sp.Cause]; !ok {
			causes = append(causes, sp.Cause)
		}
		byCause[sp.Cause] = append(byCause[sp.Cause], sp.Name)
	}
	sort.Strings(causes)
	return causes, byCause
}

// Classify returns the outcome class of a spec and a one-line cause.
func Classify(sr types.SpecReport) (class, cause string) {
	msg := strings.TrimSpace(sr.Failure.Message)
	switch {
	case sr.State == types.SpecStatePassed && sr.NumAttempts > 1:
		return OutcomeFlaky, fmt.Sprintf("passed on attempt %d of %d: the %s failed", sr.NumAttempts, sr.MaxFlakeAttempts,
			map[bool]string{true: "first attempt", false: fmt.Sprintf("first %d attempts", sr.NumAttempts-1)}[sr.NumAttempts == 2])
	case sr.State == types.SpecStatePassed:
		return OutcomePassed, ""
	case sr.State == types.SpecStateSkipped && msg == "":
		return OutcomeSkipped, CauseNotSelected
	case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
		return OutcomeSkipped, firstLine(msg)
	case sr.State == types.SpecStateFailed && strings.HasPrefix(msg, outcome.BlockedPrefix):
		return OutcomeBlocked, firstLine(msg)
	case sr.State == types.SpecStateFailed && !strings.HasPrefix(msg, outcome.HarnessErrorPrefix):
		return OutcomeFailed, firstLine(msg)
	case sr.State == types.SpecStateFailed:
		return OutcomeHarnessError, firstLine(msg)
	case sr.State == types.SpecStateTimedout:
		return OutcomeHarnessError, "spec timed out: " + firstLine(msg)
	case sr.State == types.SpecStatePanicked:
		return OutcomeHarnessError, "harness panic: " + firstLine(msg)
	default: // interrupted, aborted
		return OutcomeHarnessError, "run " + sr.State.String() + ": " + firstLine(msg)
	}
}

// IsProblem reports whether an outcome class is one the reports list as a problem: failed,
// blocked or not checked (harness error).
func IsProblem(class string) bool {
	return class == OutcomeFailed || class == OutcomeHarnessError || class == OutcomeBlocked
}

// blockingRule returns the rule ID a blocked spec's cause names: "blocked by [RULE-ID]: ...".
func blockingRule(cause string) string {
	rest, ok := strings.CutPrefix(cause, outcome.BlockedPrefix+"[")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "]")
	if !ok {
		return ""
	}
	return id
}

// firstLine returns the first non-empty line of s, at most 200 characters.
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > 200 {
				line = line[:200] + "..."
			}
			return line
		}
	}
	return ""
}
