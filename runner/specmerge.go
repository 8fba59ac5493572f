package runner

import (
	"fmt"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// specMerger joins the Ginkgo reports of several sources (the workers of a multi-process run,
// or the shards of a sharded run) into one report with each spec once. A source reports a
// spec in one of three ways: a result (the spec ran, whatever its outcome, or skipped itself
// with a reason), an unselected skip (the label filter left it out: skipped without a
// message), or a foreign skip (another worker or shard runs it: outcome.IsForeignSkip). A
// result wins over an unselected skip; foreign skips are never kept. Two results for one spec
// are a conflict; so is any second report of a spec when the merger is strict (shards, which
// never share a spec).
type specMerger struct {
	strict  bool
	started bool
	merged  types.Report
	index   map[string]int    // spec full text -> its place in merged.SpecReports
	source  map[string]string // spec full text -> the source of its kept report
	twice   []conflict        // specs reported twice, by pair of sources
}

// conflict counts the specs that two sources both report, with the first one as an example.
type conflict struct {
	first, second, example string
	specs                  int
}

func newSpecMerger(strict bool) *specMerger {
	return &specMerger{strict: strict, index: map[string]int{}, source: map[string]string{}}
}

// add joins the report of one source, named in conflicts.
func (m *specMerger) add(source string, rep types.Report) {
	if !m.started {
		m.merged = rep
		m.merged.SpecReports = nil
		m.merged.SpecialSuiteFailureReasons = nil
		m.merged.SuiteSucceeded = true
		m.started = true
	}
	m.merged.SuiteSucceeded = m.merged.SuiteSucceeded && rep.SuiteSucceeded
	if rep.StartTime.Before(m.merged.StartTime) {
		m.merged.StartTime = rep.StartTime
	}
	if rep.EndTime.After(m.merged.EndTime) {
		m.merged.EndTime = rep.EndTime
	}
	m.merged.SpecialSuiteFailureReasons = append(m.merged.SpecialSuiteFailureReasons, rep.SpecialSuiteFailureReasons...)
	for _, sr := range rep.SpecReports {
		m.addSpec(source, sr)
	}
}

// addSpec joins one spec report of source. Suite nodes are kept only when they failed.
func (m *specMerger) addSpec(source string, sr types.SpecReport) {
	if !sr.LeafNodeType.Is(types.NodeTypeIt) {
		if sr.State.Is(types.SpecStateFailureStates) {
			m.merged.SpecReports = append(m.merged.SpecReports, sr)
		}
		return
	}
	if isForeignSkip(sr) {
		return
	}
	name := sr.FullText()
	i, seen := m.index[name]
	switch {
	case !seen:
		m.index[name] = len(m.merged.SpecReports)
		m.source[name] = source
		m.merged.SpecReports = append(m.merged.SpecReports, sr)
	case m.strict || (!isUnselected(m.merged.SpecReports[i]) && !isUnselected(sr)):
		m.conflict(m.source[name], source, name)
	case isUnselected(m.merged.SpecReports[i]) && !isUnselected(sr):
		m.merged.SpecReports[i] = sr
		m.source[name] = source
	}
}

// conflict counts one spec that both first and second report.
func (m *specMerger) conflict(first, second, spec string) {
	for i := range m.twice {
		if c := &m.twice[i]; c.first == first && c.second == second {
			c.specs++
			return
		}
	}
	m.twice = append(m.twice, conflict{first: first, second: second, example: spec, specs: 1})
}

// conflicts says which specs were reported twice, one line per pair of sources.
func (m *specMerger) conflicts() []string {
	lines := make([]string, 0, len(m.twice))
	for _, c := range m.twice {
		if c.specs == 1 {
			lines = append(lines, fmt.Sprintf("spec %q is reported by both %s and %s", c.example, c.first, c.second))
		} else {
			lines = append(lines, fmt.Sprintf("%d specs are reported by both %s and %s, e.g. %q", c.specs, c.first, c.second, c.example))
		}
	}
	return lines
}

// report returns the merged report, its run time spanning the sources'.
func (m *specMerger) report() types.Report {
	m.merged.RunTime = m.merged.EndTime.Sub(m.merged.StartTime)
	return m.merged
}

// isForeignSkip reports whether a spec was skipped because another worker or shard runs it.
func isForeignSkip(sr types.SpecReport) bool {
	return sr.State == types.SpecStateSkipped && outcome.IsForeignSkip(sr.Failure.Message)
}

// isUnselected reports whether a spec was left out by the label filter (skipped before it ran,
// without a message).
func isUnselected(sr types.SpecReport) bool {
	return sr.State == types.SpecStateSkipped && sr.Failure.Message == ""
}

// keepShard returns rep with only the specs of shard (suite nodes stay): a shard's reports
// show its own specs, those it ran and those the label filter left out, and no others.
func keepShard(rep types.Report, shard config.Shard) types.Report {
	if shard.Count == 0 {
		return rep
	}
	kept := make([]types.SpecReport, 0, len(rep.SpecReports)/shard.Count+1)
	for _, sr := range rep.SpecReports {
		if !sr.LeafNodeType.Is(types.NodeTypeIt) || shard.Contains(sr.FullText()) {
			kept = append(kept, sr)
		}
	}
	rep.SpecReports = kept
	return rep
}
