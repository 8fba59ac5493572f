package runner

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/suites"
)

// version is set at build time with -ldflags "-X github.com/mpsdconf/mpsdconf/runner.version=v1.2.3".
var version = "dev"

// Version returns the harness version: the one set with -ldflags, else the module version
// recorded by the go command (a tag or pseudo-version for `go install ...@version` builds,
// and since Go 1.24 for builds in a VCS checkout), else "dev". When the binary carries VCS
// information, the short commit and "dirty" (uncommitted changes) are added as build
// metadata unless the version already shows them, e.g. v1.2.3+0123456789ab.dirty.
func Version() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	var meta []string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12 && !strings.Contains(v, s.Value[:12]):
			meta = append(meta, s.Value[:12])
		case s.Key == "vcs.modified" && s.Value == "true" && !strings.HasSuffix(v, "dirty"):
			meta = append(meta, "dirty")
		}
	}
	if len(meta) == 0 {
		return v
	}
	sep := "+"
	if strings.Contains(v, "+") {
		sep = "."
	}
	return v + sep + strings.Join(meta, ".")
}

// Commit returns the full VCS revision the binary was built from, or "" when unknown.
func Commit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}

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
	Config Config `json:"config"`
}

// RequestStats counts a run's requests and the retries of throttled ones.
type RequestStats struct {
	Requests         int64   `json:"requests"`
	Retries          int64   `json:"retries"`
	Throttled        int64   `json:"throttledOut"`
	RetryWaitSeconds float64 `json:"retryWaitSeconds"`
}

func requestStats(s mpsdclient.Stats) RequestStats {
	return RequestStats{Requests: s.Requests, Retries: s.Retries, Throttled: s.Throttled, RetryWaitSeconds: s.RetryWait.Seconds()}
}

// add sums two workers' statistics.
func (a RequestStats) add(b RequestStats) RequestStats {
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
}

// Line renders the totals as one line.
func (t Totals) Line() string {
	return fmt.Sprintf("%d specs: %d passed, %d failed, %d blocked, %d skipped, %d harness errors", t.Specs, t.Passed, t.Failed, t.Blocked, t.Skipped, t.HarnessErrors)
}

// Outcome classes of a spec.
const (
	// OutcomePassed: the target followed the rule.
	OutcomePassed = "passed"
	// OutcomeFailed: the target broke the rule.
	OutcomeFailed = "failed"
	// OutcomeBlocked: a setup step of the spec got an answer that breaks another rule (named in
	// SpecResult.BlockedBy), so the spec's own rule was not checked. The break is counted once,
	// as a failure of that other rule's own specs.
	OutcomeBlocked = "blocked"
	// OutcomeSkipped: not run (not selected by profile or label filter, or not applicable).
	OutcomeSkipped = "skipped"
	// OutcomeHarnessError: the rule could not be checked (no answer, timeout, throttled out,
	// unreadable answer, interrupted run or a harness bug).
	OutcomeHarnessError = "harness-error"
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

// classify returns the outcome class of a spec and a one-line cause.
func classify(sr types.SpecReport) (outcome, cause string) {
	msg := strings.TrimSpace(sr.Failure.Message)
	switch {
	case sr.State == types.SpecStatePassed:
		return OutcomePassed, ""
	case sr.State == types.SpecStateSkipped && msg == "":
		return OutcomeSkipped, "not selected by the profile or label filter"
	case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
		return OutcomeSkipped, firstLine(msg)
	case sr.State == types.SpecStateFailed && strings.HasPrefix(msg, suites.BlockedPrefix):
		return OutcomeBlocked, firstLine(msg)
	case sr.State == types.SpecStateFailed && !strings.HasPrefix(msg, suites.HarnessErrorPrefix):
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

// blockingRule returns the rule ID a blocked spec's cause names: "blocked by [RULE-ID]: ...".
func blockingRule(cause string) string {
	rest, ok := strings.CutPrefix(cause, suites.BlockedPrefix+"[")
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

// Summary is the machine-readable outcome of a run (reports/report.json).
type Summary struct {
	Metadata     Metadata `json:"run"`
	Verdict      string   `json:"verdict"`
	Totals       Totals   `json:"totals"`
	SetupFailure string   `json:"setupFailure,omitempty"`
	// Cleanup says whether the run left anything on the target.
	Cleanup CleanupReport `json:"cleanup"`
	Specs   []SpecResult  `json:"specs"`
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
		outcome, cause := classify(sr)
		res := SpecResult{
			Name:       sr.FullText(),
			Outcome:    outcome,
			State:      sr.State.String(),
			Cause:      cause,
			DurationMs: float64(sr.RunTime.Microseconds()) / 1000,
		}
		if outcome == OutcomeBlocked {
			res.BlockedBy = blockingRule(cause)
		}
		for _, e := range sr.ReportEntries {
			if e.Name == suites.RetriesEntry {
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
		s.Specs = append(s.Specs, res)
		s.Totals.Specs++
		switch outcome {
		case OutcomePassed:
			s.Totals.Passed++
		case OutcomeFailed:
			s.Totals.Failed++
		case OutcomeBlocked:
			s.Totals.Blocked++
		case OutcomeHarnessError:
			s.Totals.HarnessErrors++
		default:
			s.Totals.Skipped++
		}
	}
	sort.SliceStable(s.Specs, func(i, j int) bool { return s.Specs[i].Name < s.Specs[j].Name })
	switch {
	case s.Totals.Failed > 0 || s.Totals.Blocked > 0: // a blocked spec's setup broke a rule
		s.Verdict = VerdictFail
	case s.Totals.HarnessErrors > 0:
		s.Verdict = VerdictHarness
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
	// HTMLFile is the self-contained HTML report (inline CSS, no scripts, no remote assets).
	HTMLFile = "report.html"
)

// WriteReports writes junit.xml, report.json, report.md, report.html, summary.json and
// traceability.md into dir.
func WriteReports(dir string, report types.Report, s Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	junitCfg := reporters.JunitReportConfig{
		OmitLeafNodeType:          true,
		OmitSuiteSetupNodes:       s.SetupFailure == "",
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped | types.SpecStatePending,
	}
	junitPath := filepath.Join(dir, JUnitFile)
	if err := reporters.GenerateJUnitReportWithConfig(report, junitPath, junitCfg); err != nil {
		return fmt.Errorf("write %s: %w", JUnitFile, err)
	}
	if err := annotateJUnit(junitPath, s); err != nil {
		return fmt.Errorf("write %s: %w", JUnitFile, err)
	}
	raw, err := marshalReadable(s)
	if err != nil {
		return fmt.Errorf("encode %s: %w", JSONFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, JSONFile), append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", JSONFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, MarkdownFile), []byte(Markdown(s)), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", MarkdownFile, err)
	}
	trace := BuildTrace(s, catalog.Default())
	page, err := RenderHTML(s, trace)
	if err != nil {
		return fmt.Errorf("render %s: %w", HTMLFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, HTMLFile), page, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", HTMLFile, err)
	}
	return WriteTrace(dir, trace)
}

// marshalReadable encodes v as indented JSON without escaping <, > and & (reports show
// "<redacted>" and HTTP transcripts as they are).
func marshalReadable(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// annotateJUnit adds the run metadata as properties of the test suite, turns the specs of the
// harness-error class into <error> elements, so CI systems tell them from failures, and gives
// every <failure> and <error> a one-line message naming the rule (the full text stays in the
// element body). It also keeps the document valid against the Jenkins junit-10.xsd schema
// (runner/testdata/junit.xsd), which has no per-testcase <properties> and no owner attribute:
// see junitValidCase.
func annotateJUnit(path string, s Summary) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &suites); err != nil {
		return fmt.Errorf("re-read: %w", err)
	}
	m := s.Metadata
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return fmt.Errorf("encode configuration: %w", err)
	}
	props := []reporters.JUnitProperty{
		{Name: "mpsdconf.runId", Value: m.RunID},
		{Name: "mpsdconf.verdict", Value: s.Verdict},
		{Name: "mpsdconf.harnessVersion", Value: m.HarnessVersion},
		{Name: "mpsdconf.commit", Value: orUnknown(m.Commit)},
		{Name: "mpsdconf.target", Value: m.Target},
		{Name: "mpsdconf.contractVersion", Value: strconv.Itoa(m.ContractVersion)},
		{Name: "mpsdconf.profile", Value: m.Profile},
		{Name: "mpsdconf.labelFilter", Value: m.LabelFilter},
		{Name: "mpsdconf.randomSeed", Value: strconv.FormatInt(m.RandomSeed, 10)},
		{Name: "mpsdconf.procs", Value: strconv.Itoa(m.Procs)},
		{Name: "mpsdconf.requests", Value: strconv.FormatInt(m.Requests.Requests, 10)},
		{Name: "mpsdconf.retries", Value: strconv.FormatInt(m.Requests.Retries, 10)},
		{Name: "mpsdconf.harnessErrors", Value: strconv.Itoa(s.Totals.HarnessErrors)},
		{Name: "mpsdconf.blocked", Value: strconv.Itoa(s.Totals.Blocked)},
		{Name: "mpsdconf.config", Value: string(cfg)},
	}
	outcome := map[string]SpecResult{}
	for _, sp := range s.Specs {
		outcome[sp.Name] = sp
	}
	for i := range suites.TestSuites {
		ts := &suites.TestSuites[i]
		ts.Properties.Properties = append(props, ts.Properties.Properties...)
		for j := range ts.TestCases {
			tc := &ts.TestCases[j]
			junitValidCase(tc)
			sp, ok := outcome[junitSpecName(tc.Name)]
			if !ok {
				// Suite setup nodes: no rule, but keep the attribute to one line.
				if tc.Failure != nil {
					tc.Failure.Message = firstLine(tc.Failure.Message)
				}
				if tc.Error != nil {
					tc.Error.Message = firstLine(tc.Error.Message)
				}
				continue
			}
			switch {
			case sp.Outcome == OutcomeBlocked && tc.Failure != nil:
				// Counted once, at the rule the setup broke: here a skip that says why.
				tc.Skipped = &reporters.JUnitSkipped{Message: junitFailureMessage(sp)}
				tc.SystemOut = strings.TrimRight(tc.SystemOut+"\n"+tc.Failure.Description, "\n") + "\n"
				tc.Failure = nil
			case sp.Outcome == OutcomeHarnessError && tc.Failure != nil:
				tc.Error = &reporters.JUnitError{Message: junitErrorMessage(sp), Type: OutcomeHarnessError, Description: tc.Failure.Description}
				tc.Failure = nil
			case tc.Error != nil: // panicked or interrupted: Ginkgo wrote an <error>
				tc.Error.Message = junitErrorMessage(sp)
			case tc.Failure != nil:
				tc.Failure.Message = junitFailureMessage(sp)
			}
		}
		// Recount: Ginkgo counts an aborted spec's <failure> as an error, so adjusting its
		// counts by the conversions above would be off by one for aborted specs.
		suites.Failures -= ts.Failures
		suites.Errors -= ts.Errors
		suites.Disabled -= ts.Skipped + ts.Disabled
		ts.Failures, ts.Errors, ts.Skipped = 0, 0, 0
		for _, tc := range ts.TestCases {
			if tc.Failure != nil {
				ts.Failures++
			}
			if tc.Error != nil {
				ts.Errors++
			}
			if tc.Skipped != nil {
				ts.Skipped++
			}
		}
		suites.Failures += ts.Failures
		suites.Errors += ts.Errors
		suites.Disabled += ts.Skipped + ts.Disabled
	}
	out, err := xml.MarshalIndent(suites, "", "  ")
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}

// junitFailureMessage is the message attribute of a <failure>: "[RULE-ID] first line of the cause".
func junitFailureMessage(sp SpecResult) string {
	if sp.Rule == "" {
		return sp.Cause
	}
	return "[" + sp.Rule + "] " + sp.Cause
}

// junitErrorMessage is the message attribute of an <error> (a harness error): the cause, which
// starts with "harness error: " when the harness said so, then the rule ID in brackets.
func junitErrorMessage(sp SpecResult) string {
	if sp.Rule == "" {
		return sp.Cause
	}
	return sp.Cause + " [" + sp.Rule + "]"
}

// junitValidCase moves what Ginkgo writes outside the Jenkins JUnit schema into elements the
// schema allows: the spec's report entries (per-testcase <properties>) are dropped when the spec's
// timeline is in <system-err> (it already shows every entry) and appended to <system-out>
// otherwise; an owner attribute becomes a line of <system-out>.
func junitValidCase(tc *reporters.JUnitTestCase) {
	var extra []string
	if tc.Owner != "" {
		extra = append(extra, "owner: "+tc.Owner)
		tc.Owner = ""
	}
	if tc.Properties != nil && tc.SystemErr == "" {
		for _, p := range tc.Properties.Properties {
			value := p.Value
			var text string
			if json.Unmarshal([]byte(value), &text) == nil {
				value = text // a string entry: show it as written, not JSON-quoted
			}
			extra = append(extra, fmt.Sprintf("report entry %q:\n%s", p.Name, value))
		}
	}
	tc.Properties = nil
	if len(extra) > 0 {
		if tc.SystemOut != "" && !strings.HasSuffix(tc.SystemOut, "\n") {
			tc.SystemOut += "\n"
		}
		tc.SystemOut += strings.Join(extra, "\n") + "\n"
	}
}

// junitSpecName strips the labels Ginkgo appends to a JUnit test case name ("text [l1, l2]").
func junitSpecName(name string) string {
	if i := strings.LastIndex(name, " ["); i >= 0 && strings.HasSuffix(name, "]") {
		return name[:i]
	}
	return name
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
	if len(m.Variants) > 0 {
		fmt.Fprintf(&b, "| emulator variants | %s |\n", strings.Join(m.Variants, ", "))
	}
	fmt.Fprintf(&b, "| commit | %s |\n| processes | %d |\n", orUnknown(m.Commit), m.Procs)
	fmt.Fprintf(&b, "| requests | %d (%d retries of throttled requests, %.1fs waited, %d throttled out) |\n",
		m.Requests.Requests, m.Requests.Retries, m.Requests.RetryWaitSeconds, m.Requests.Throttled)
	if msg := s.Cleanup.Problem(m.Target, m.RunID); msg != "" {
		fmt.Fprintf(&b, "| cleanup | %s |\n", escapeCell(msg))
	} else {
		fmt.Fprintf(&b, "| cleanup | everything the run created was removed |\n")
	}
	if cfg, err := marshalReadable(m.Config); err == nil {
		fmt.Fprintf(&b, "\n<details><summary>Configuration (secrets redacted)</summary>\n\n```json\n%s\n```\n\n</details>\n", cfg)
	}
	if s.SetupFailure != "" {
		fmt.Fprintf(&b, "\n## Harness error\n\n```\n%s\n```\n", strings.TrimSpace(s.SetupFailure))
	}
	var failed, blocked []SpecResult
	for _, sp := range s.Specs {
		switch sp.Outcome {
		case OutcomeFailed, OutcomeHarnessError:
			failed = append(failed, sp)
		case OutcomeBlocked:
			blocked = append(blocked, sp)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(&b, "\n## Failed specs and harness errors\n")
		for _, sp := range failed {
			fmt.Fprintf(&b, "\n### %s: %s\n\nRule `%s` (%s), %s\n\n```\n%s\n```\n", sp.Outcome, sp.Name, sp.Rule, sp.Evidence, sp.Location, strings.TrimSpace(sp.Failure))
		}
	}
	if len(blocked) > 0 {
		fmt.Fprintf(&b, "\n## Blocked specs\n\nA setup step of each spec below got an answer that breaks another rule, so the spec's own rule was not checked. The break is counted once, as a failure of that rule's own specs.\n\n| spec | rule | blocked by | cause |\n|---|---|---|---|\n")
		for _, sp := range blocked {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", escapeCell(sp.Name), sp.Rule, sp.BlockedBy, escapeCell(sp.Cause))
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
		fmt.Fprintf(&b, "\n### %s\n\n| rule | evidence | spec | outcome | cause |\n|---|---|---|---|---|\n", e)
		for _, sp := range byEndpoint[e] {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", sp.Rule, sp.Evidence, escapeCell(sp.Name), sp.Outcome, escapeCell(sp.Cause))
		}
	}
	return b.String()
}
