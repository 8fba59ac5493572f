// Package report is the outcome model of a conformance run and its report files: each spec's
// outcome class (Classify), the run's summary and verdict (Summarize), the exit code a verdict
// means, and the writers of junit.xml, report.json, report.md, report.html, summary.json and
// traceability.md (WriteReports).
package report

import (
	"fmt"
	"sort"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// Metadata describes a run; it heads every report.
type Metadata struct {
	RunID           string   `json:"runId"`
	HarnessVersion  string   `json:"harnessVersion"`
	Commit          string   `json:"commit,omitempty"`
	Target          string   `json:"target"`
	Embedded        bool     `json:"embeddedEmulator"`
	ContractVersion int      `json:"contractVersion"`
	Profile         string   `json:"profile"`
	LabelFilter     string   `json:"labelFilter"`
	RandomSeed      int64    `json:"randomSeed"`
	Procs           int      `json:"procs"`
	Faults          []string `json:"faults,omitempty"`
	// Variants are the emulator variants (behaviours the contract allows) the run switched on.
	Variants        []string      `json:"variants,omitempty"`
	StartedAt       time.Time     `json:"startedAt"`
	Duration        time.Duration `json:"-"`
	DurationSeconds float64       `json:"durationSeconds"`
	// Requests counts the HTTP traffic of the run, retries of throttled requests included.
	Requests RequestStats `json:"requests"`
	// Config is the run's configuration with every secret redacted.
	Config config.Config `json:"config"`
	// Shard is the share of the specs a sharded run ran ("2/4"), or the shards a merged
	// report joins ("merged 1/4, 2/4, 3/4, 4/4"); empty for a whole run.
	Shard string `json:"shard,omitempty"`
}

// RequestStats counts a run's requests and the retries of throttled ones.
type RequestStats struct {
	Requests         int64   `json:"requests"`
	Retries          int64   `json:"retries"`
	Throttled        int64   `json:"throttledOut"`
	RetryWaitSeconds float64 `json:"retryWaitSeconds"`
}

// Add sums two processes' statistics.
func (a RequestStats) Add(b RequestStats) RequestStats {
	return RequestStats{a.Requests + b.Requests, a.Retries + b.Retries, a.Throttled + b.Throttled, a.RetryWaitSeconds + b.RetryWaitSeconds}
}

// Totals counts spec outcomes by class.
type Totals struct {
	Specs  int `json:"specs"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	// Blocked counts specs whose setup step broke another rule (counted as failed there).
	Blocked       int `json:"blocked"`
	Skipped       int `json:"skipped"`
	HarnessErrors int `json:"harnessErrors"`
	// Flaky counts specs that passed only on a retry.
	Flaky int `json:"flaky,omitempty"`
	// Expected counts the failed or blocked specs that the target's expectations expected; they
	// do not fail the run.
	Expected int `json:"expected,omitempty"`
}

// Line renders the totals as one line.
func (t Totals) Line() string {
	line := fmt.Sprintf("%d specs: %d passed, %d failed, %d blocked, %d skipped, %d harness errors", t.Specs, t.Passed, t.Failed, t.Blocked, t.Skipped, t.HarnessErrors)
	if t.Flaky > 0 {
		line += fmt.Sprintf(", %d flaky", t.Flaky)
	}
	if t.Expected > 0 {
		line += fmt.Sprintf(" (%d of the failed and blocked expected)", t.Expected)
	}
	return line
}

// count adds one spec of the given outcome class.
func (t *Totals) count(class string) {
	t.Specs++
	switch class {
	case OutcomePassed:
		t.Passed++
	case OutcomeFailed:
		t.Failed++
	case OutcomeBlocked:
		t.Blocked++
	case OutcomeHarnessError:
		t.HarnessErrors++
	case OutcomeFlaky:
		t.Flaky++
	default:
		t.Skipped++
	}
}

// Summary is the machine-readable outcome of a run (reports/report.json).
type Summary struct {
	Metadata     Metadata `json:"run"`
	Verdict      string   `json:"verdict"`
	Totals       Totals   `json:"totals"`
	SetupFailure string   `json:"setupFailure,omitempty"`
	// Cleanup says whether the run left anything on the target.
	Cleanup Cleanup `json:"cleanup"`
	// Expectations says how the run measured against the target's expectations file, if any.
	Expectations *ExpectationsResult `json:"expectations,omitempty"`
	// CredentialProblems are the identities whose own credential the target refused during
	// the run: the run stopped acting as them, so its verdict is a harness error whatever else
	// happened (its failures may be its own doing).
	CredentialProblems []identity.Refusal `json:"credentialProblems,omitempty"`
	Specs              []SpecResult       `json:"specs"`
}

// Summarize turns a Ginkgo report into the run summary.
func Summarize(meta Metadata, report types.Report) Summary {
	meta.DurationSeconds = meta.Duration.Seconds()
	s := Summary{Metadata: meta}
	cat := catalog.Default()
	for _, sr := range report.SpecReports {
		if !sr.LeafNodeType.Is(types.NodeTypeIt) {
			if sr.State.Is(types.SpecStateFailureStates) {
				s.SetupFailure += fmt.Sprintf("%s failed: %s\n", sr.LeafNodeType, sr.Failure.Message)
			}
			continue
		}
		res := specResult(sr, cat)
		s.Specs = append(s.Specs, res)
		s.Totals.count(res.Outcome)
	}
	sort.SliceStable(s.Specs, func(i, j int) bool { return s.Specs[i].Name < s.Specs[j].Name })
	s.judge()
	return s
}

// SetCredentialProblems records the credentials the target refused during the run and judges
// the run again: a refused credential makes it a harness error.
func (s *Summary) SetCredentialProblems(refusals []identity.Refusal) {
	s.CredentialProblems = refusals
	s.judge()
}

// specResult is the outcome of one spec, with its rule's evidence and endpoint from cat.
func specResult(sr types.SpecReport, cat *catalog.Catalog) SpecResult {
	class, cause := Classify(sr)
	res := SpecResult{
		Name:       sr.FullText(),
		Outcome:    class,
		State:      sr.State.String(),
		Cause:      cause,
		DurationMs: float64(sr.RunTime.Microseconds()) / 1000,
	}
	if class == OutcomeBlocked {
		res.BlockedBy = blockingRule(cause)
	}
	if sr.NumAttempts > 1 {
		res.Attempts = sr.NumAttempts
	}
	for _, e := range sr.ReportEntries {
		if e.Name == outcome.RetriesEntry {
			_, _ = fmt.Sscan(e.StringRepresentation(), &res.Retries)
		}
	}
	if id, ok := catalog.RuleIDFromLabels(sr.Labels()); ok {
		res.Rule = id
		if rule, ok := cat.Rule(id); ok {
			res.Evidence, res.Endpoint = string(rule.Evidence), rule.Endpoint
		}
	}
	if sr.State.Is(types.SpecStateFailureStates) {
		res.Failure = sr.Failure.Message
		res.Location = sr.Failure.Location.String()
	}
	return res
}
