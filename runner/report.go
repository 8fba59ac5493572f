package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/catalog"
)

// version is set at build time with -ldflags "-X github.com/mpsdconf/mpsdconf/runner.version=v1.2.3".
var version = "dev"

// Version returns the harness version and, when known, its commit.
func Version() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}

// Metadata describes a run; it heads every report.
type Metadata struct {
	RunID           string        `json:"runId"`
	HarnessVersion  string        `json:"harnessVersion"`
	Target          string        `json:"target"`
	Embedded        bool          `json:"embeddedEmulator"`
	ContractVersion int           `json:"contractVersion"`
	Profile         string        `json:"profile"`
	LabelFilter     string        `json:"labelFilter"`
	RandomSeed      int64         `json:"randomSeed"`
	Faults          []string      `json:"faults,omitempty"`
	StartedAt       time.Time     `json:"startedAt"`
	Duration        time.Duration `json:"-"`
	DurationSeconds float64       `json:"durationSeconds"`
}

// Totals counts spec outcomes.
type Totals struct {
	Specs   int `json:"specs"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// Line renders the totals as one line.
func (t Totals) Line() string {
	return fmt.Sprintf("%d specs: %d passed, %d failed, %d skipped", t.Specs, t.Passed, t.Failed, t.Skipped)
}

// SpecResult is one spec's outcome.
type SpecResult struct {
	Name       string  `json:"name"`
	Rule       string  `json:"rule"`
	Evidence   string  `json:"evidence"`
	Endpoint   string  `json:"endpoint"`
	State      string  `json:"state"`
	DurationMs float64 `json:"durationMs"`
	Failure    string  `json:"failure,omitempty"`
	Location   string  `json:"location,omitempty"`
}

// Summary is the machine-readable outcome of a run (reports/report.json).
type Summary struct {
	Metadata     Metadata     `json:"run"`
	Verdict      string       `json:"verdict"`
	Totals       Totals       `json:"totals"`
	SetupFailure string       `json:"setupFailure,omitempty"`
	Specs        []SpecResult `json:"specs"`
}

// Verdicts.
const (
	VerdictPass    = "pass"
	VerdictFail    = "fail"
	VerdictHarness = "harness-error"
)

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
		res := SpecResult{
			Name:       sr.FullText(),
			State:      sr.State.String(),
			DurationMs: float64(sr.RunTime.Microseconds()) / 1000,
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
		s.Specs = append(s.Specs, res)
		s.Totals.Specs++
		switch {
		case sr.State == types.SpecStatePassed:
			s.Totals.Passed++
		case sr.State.Is(types.SpecStateFailureStates):
			s.Totals.Failed++
		default:
			s.Totals.Skipped++
		}
	}
	sort.SliceStable(s.Specs, func(i, j int) bool { return s.Specs[i].Name < s.Specs[j].Name })
	switch {
	case s.Totals.Failed > 0:
		s.Verdict = VerdictFail
	case s.SetupFailure != "" || s.Totals.Passed == 0:
		s.Verdict = VerdictHarness
		if s.SetupFailure == "" {
			s.SetupFailure = "no spec ran: the profile and label filter selected nothing, or the run was interrupted"
		}
	default:
		s.Verdict = VerdictPass
	}
	return s
}

// ExitCode maps the verdict to the process exit code.
func (s Summary) ExitCode() int {
	switch s.Verdict {
	case VerdictPass:
		return ExitPass
	case VerdictFail:
		return ExitFail
	default:
		return ExitHarness
	}
}

// Report file names inside the report directory.
const (
	JUnitFile    = "junit.xml"
	JSONFile     = "report.json"
	MarkdownFile = "report.md"
)

// WriteReports writes junit.xml, report.json, report.md, summary.json and traceability.md into dir.
func WriteReports(dir string, report types.Report, s Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	junitCfg := reporters.JunitReportConfig{
		OmitLeafNodeType:          true,
		OmitSuiteSetupNodes:       s.SetupFailure == "",
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped | types.SpecStatePending,
	}
	if err := reporters.GenerateJUnitReportWithConfig(report, filepath.Join(dir, JUnitFile), junitCfg); err != nil {
		return fmt.Errorf("write %s: %w", JUnitFile, err)
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", JSONFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, JSONFile), append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", JSONFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, MarkdownFile), []byte(Markdown(s)), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", MarkdownFile, err)
	}
	return WriteTrace(dir, BuildTrace(s, catalog.Default()))
}

// Markdown renders the human-readable report.
func Markdown(s Summary) string {
	var b strings.Builder
	m := s.Metadata
	fmt.Fprintf(&b, "# MPSD handles conformance: %s\n\n", strings.ToUpper(s.Verdict))
	fmt.Fprintf(&b, "%s.\n\n", s.Totals.Line())
	fmt.Fprintf(&b, "| run | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| run ID | %s |\n| harness | %s |\n| target | %s |\n", m.RunID, m.HarnessVersion, m.Target)
	fmt.Fprintf(&b, "| contract version | %d |\n| profile | %s |\n| label filter | `%s` |\n", m.ContractVersion, m.Profile, m.LabelFilter)
	fmt.Fprintf(&b, "| random seed | %d |\n| started | %s |\n| duration | %.1fs |\n", m.RandomSeed, m.StartedAt.Format(time.RFC3339), m.DurationSeconds)
	if len(m.Faults) > 0 {
		fmt.Fprintf(&b, "| emulator faults | %s |\n", strings.Join(m.Faults, ", "))
	}
	if s.SetupFailure != "" {
		fmt.Fprintf(&b, "\n## Harness error\n\n```\n%s\n```\n", strings.TrimSpace(s.SetupFailure))
	}
	var failed []SpecResult
	for _, sp := range s.Specs {
		if sp.Failure != "" {
			failed = append(failed, sp)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(&b, "\n## Failed specs\n")
		for _, sp := range failed {
			fmt.Fprintf(&b, "\n### %s\n\nRule `%s` (%s), %s\n\n```\n%s\n```\n", sp.Name, sp.Rule, sp.Evidence, sp.Location, strings.TrimSpace(sp.Failure))
		}
	}
	fmt.Fprintf(&b, "\n## Specs by endpoint\n")
	byEndpoint := map[string][]SpecResult{}
	for _, sp := range s.Specs {
		byEndpoint[sp.Endpoint] = append(byEndpoint[sp.Endpoint], sp)
	}
	endpoints := make([]string, 0, len(byEndpoint))
	for e := range byEndpoint {
		endpoints = append(endpoints, e)
	}
	sort.Strings(endpoints)
	for _, e := range endpoints {
		fmt.Fprintf(&b, "\n### %s\n\n| rule | evidence | spec | result |\n|---|---|---|---|\n", e)
		for _, sp := range byEndpoint[e] {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", sp.Rule, sp.Evidence, strings.ReplaceAll(sp.Name, "|", "\\|"), sp.State)
		}
	}
	return b.String()
}
