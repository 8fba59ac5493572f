package report

import (
	"time"

	"github.com/mpsdconf/mpsdconf/expectations"
)

// ExpectationsResult says how a run measured against the target's expectations file.
type ExpectationsResult struct {
	// File is the expectations file's path.
	File string `json:"file"`
	// Matched counts the specs whose outcome an entry expected.
	Matched int `json:"matched"`
	// UnexpectedPasses are the entries none of whose specs ended in the expected outcome.
	UnexpectedPasses []expectations.Stale `json:"unexpectedPasses"`
	// Expired are the entries past their date, which counted as absent.
	Expired []expectations.Entry `json:"expired"`
	// FailOnUnexpectedPass is true when an unexpected pass fails the run.
	FailOnUnexpectedPass bool `json:"failOnUnexpectedPass"`
}

// ApplyExpectations judges the summary against the target's expectations (read from path):
// each spec whose outcome an entry expected is marked, failed and blocked specs that were
// expected no longer fail the run, and an entry that no longer holds is an unexpected pass,
// which fails the run when failOnUnexpectedPass is set.
func (s *Summary) ApplyExpectations(path string, f expectations.File, failOnUnexpectedPass bool, now time.Time) {
	results := make([]expectations.Result, len(s.Specs))
	for i, sp := range s.Specs {
		results[i] = expectations.Result{Name: sp.Name, Rule: sp.Rule, Outcome: sp.Outcome}
	}
	v := f.Judge(results, now)
	res := &ExpectationsResult{File: path, UnexpectedPasses: v.UnexpectedPasses, Expired: v.Expired, FailOnUnexpectedPass: failOnUnexpectedPass}
	if res.UnexpectedPasses == nil {
		res.UnexpectedPasses = []expectations.Stale{}
	}
	if res.Expired == nil {
		res.Expired = []expectations.Entry{}
	}
	s.Totals.Expected = 0
	for i := range s.Specs {
		e, ok := v.Matched[s.Specs[i].Name]
		if !ok {
			continue
		}
		s.Specs[i].Expected = &e
		res.Matched++
		if o := s.Specs[i].Outcome; o == OutcomeFailed || o == OutcomeBlocked {
			s.Totals.Expected++
		}
	}
	s.Expectations = res
	s.judge()
}
