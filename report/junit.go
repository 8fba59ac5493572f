package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// writeJUnit writes junit.xml to path: Ginkgo's JUnit report, annotated (annotateJUnit).
func writeJUnit(path string, report types.Report, s Summary) error {
	cfg := reporters.JunitReportConfig{
		OmitLeafNodeType:          true,
		OmitSuiteSetupNodes:       s.SetupFailure == "",
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped | types.SpecStatePending,
	}
	if err := reporters.GenerateJUnitReportWithConfig(report, path, cfg); err != nil {
		return err
	}
	return annotateJUnit(path, s)
}

// annotateJUnit adds the run metadata as properties of the test suite, turns the specs of the
// harness-error class into <error> elements, so CI systems tell them from failures, and gives
// every <failure> and <error> a one-line message naming the rule (the full text stays in the
// element body). It also keeps the document valid against the Jenkins junit-10.xsd schema
// (report/testdata/junit.xsd), which has no per-testcase <properties> and no owner attribute:
// see junitValidCase.
func annotateJUnit(path string, s Summary) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("re-read: %w", err)
	}
	props, err := junitProperties(s)
	if err != nil {
		return err
	}
	results := map[string]SpecResult{}
	for _, sp := range s.Specs {
		results[sp.Name] = sp
	}
	for i := range doc.TestSuites {
		ts := &doc.TestSuites[i]
		ts.Properties.Properties = append(props, ts.Properties.Properties...)
		for j := range ts.TestCases {
			tc := &ts.TestCases[j]
			junitValidCase(tc)
			annotateCase(tc, results)
		}
		recount(&doc, ts)
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	out, err = markFlaky(out, s.Specs)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}

// markFlaky gives the test case of every flaky spec (passed on a retry) one <rerunFailure> per
// failed attempt, the surefire form that Jenkins and other JUnit readers show as flaky (Ginkgo's
// types have no such element, so it goes into the encoded document).
func markFlaky(doc []byte, specs []SpecResult) ([]byte, error) {
	for _, sp := range specs {
		if sp.Outcome != OutcomeFlaky {
			continue
		}
		var name strings.Builder
		if err := xml.EscapeText(&name, []byte(sp.Name)); err != nil {
			return nil, fmt.Errorf("encode flaky spec %q: %w", sp.Name, err)
		}
		start := strings.Index(string(doc), `<testcase name="`+name.String())
		if start < 0 {
			continue // not in this document (a suite node, or filtered out of JUnit)
		}
		end := start + strings.IndexByte(string(doc[start:]), '>') + 1
		var msg strings.Builder
		_ = xml.EscapeText(&msg, []byte(fmt.Sprintf("[%s] flaky: %s", sp.Rule, sp.Cause)))
		var reruns strings.Builder
		for a := 1; a < sp.Attempts; a++ {
			fmt.Fprintf(&reruns, "\n      <rerunFailure message=\"%s\" type=\"flaky\">attempt %d of %d failed</rerunFailure>", msg.String(), a, sp.Attempts)
		}
		doc = append(doc[:end:end], append([]byte(reruns.String()), doc[end:]...)...)
	}
	return doc, nil
}

// junitProperties are the run's metadata as test suite properties.
func junitProperties(s Summary) ([]reporters.JUnitProperty, error) {
	m := s.Metadata
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
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
	for _, r := range s.CredentialProblems {
		props = append(props, reporters.JUnitProperty{Name: "mpsdconf.credentialRefused", Value: r.String()})
	}
	return props, nil
}

// annotateCase gives a test case the element and message its spec's outcome class calls for.
func annotateCase(tc *reporters.JUnitTestCase, results map[string]SpecResult) {
	sp, ok := results[junitSpecName(tc.Name)]
	if !ok {
		// Suite setup nodes: no rule, but keep the attribute to one line.
		if tc.Failure != nil {
			tc.Failure.Message = firstLine(tc.Failure.Message)
		}
		if tc.Error != nil {
			tc.Error.Message = firstLine(tc.Error.Message)
		}
		return
	}
	switch {
	case sp.Expected != nil && tc.Failure != nil:
		// Expected on this target: a skip that says so, never a failure of the gate.
		tc.Skipped = &reporters.JUnitSkipped{Message: junitExpectedMessage(sp)}
		tc.SystemOut = strings.TrimRight(tc.SystemOut+"\n"+tc.Failure.Description, "\n") + "\n"
		tc.Failure = nil
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

// recount sets the failure, error and skip counts of ts, and the document's, from its test
// cases. Ginkgo counts an aborted spec's <failure> as an error, so adjusting its counts by the
// conversions of annotateCase would be off by one for aborted specs.
func recount(doc *reporters.JUnitTestSuites, ts *reporters.JUnitTestSuite) {
	doc.Failures -= ts.Failures
	doc.Errors -= ts.Errors
	doc.Disabled -= ts.Skipped + ts.Disabled
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
	doc.Failures += ts.Failures
	doc.Errors += ts.Errors
	doc.Disabled += ts.Skipped + ts.Disabled
}

// junitFailureMessage is the message attribute of a <failure>: "[RULE-ID] first line of the cause".
func junitFailureMessage(sp SpecResult) string {
	if sp.Rule == "" {
		return sp.Cause
	}
	return "[" + sp.Rule + "] " + sp.Cause
}

// junitExpectedMessage is the message of an expected failure's <skipped>: the rule, that the
// outcome was expected and why, and the cause.
func junitExpectedMessage(sp SpecResult) string {
	e := sp.Expected
	msg := fmt.Sprintf("[%s] expected %s on this target: %s", sp.Rule, e.Outcome, e.Reason)
	if e.Link != "" {
		msg += " (" + e.Link + ")"
	}
	return msg + ": " + sp.Cause
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
