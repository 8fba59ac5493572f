package report

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Markdown renders the human-readable report.
func Markdown(s Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# MPSD handles conformance: %s\n\n", strings.ToUpper(s.Verdict))
	fmt.Fprintf(&b, "%s.\n\n", s.Totals.Line())
	markdownRunTable(&b, s)
	if len(s.CredentialProblems) > 0 {
		fmt.Fprintf(&b, "\n## Harness error: credentials refused\n\nThe target refused these identities' own credentials, so the run stopped acting as them and could not check what needed them. This says nothing about the target's conformance: renew the credentials and run again.\n\n")
		for _, r := range s.CredentialProblems {
			fmt.Fprintf(&b, "- %s\n", r)
		}
	}
	if s.SetupFailure != "" {
		fmt.Fprintf(&b, "\n## Harness error\n\n```\n%s\n```\n", strings.TrimSpace(s.SetupFailure))
	}
	markdownProblems(&b, s.Specs)
	markdownSkipped(&b, s.Specs)
	markdownExpectations(&b, s)
	markdownFlaky(&b, s.Specs)
	markdownByEndpoint(&b, s.Specs)
	return b.String()
}

// markdownRunTable writes the run's metadata, cleanup and configuration.
func markdownRunTable(b *strings.Builder, s Summary) {
	m := s.Metadata
	fmt.Fprintf(b, "| run | value |\n|---|---|\n")
	fmt.Fprintf(b, "| run ID | %s |\n| harness | %s |\n| target | %s |\n", m.RunID, m.HarnessVersion, m.Target)
	fmt.Fprintf(b, "| contract version | %d |\n| profile | %s |\n| label filter | `%s` |\n", m.ContractVersion, m.Profile, m.LabelFilter)
	fmt.Fprintf(b, "| random seed | %d |\n| started | %s |\n| duration | %.1fs |\n", m.RandomSeed, m.StartedAt.Format(time.RFC3339), m.DurationSeconds)
	if len(m.Faults) > 0 {
		fmt.Fprintf(b, "| emulator faults | %s |\n", strings.Join(m.Faults, ", "))
	}
	if len(m.Variants) > 0 {
		fmt.Fprintf(b, "| emulator variants | %s |\n", strings.Join(m.Variants, ", "))
	}
	fmt.Fprintf(b, "| commit | %s |\n| processes | %d |\n", orUnknown(m.Commit), m.Procs)
	if m.Shard != "" {
		fmt.Fprintf(b, "| shard | %s |\n", m.Shard)
	}
	fmt.Fprintf(b, "| requests | %d (%d retries of throttled requests, %.1fs waited, %d throttled out) |\n",
		m.Requests.Requests, m.Requests.Retries, m.Requests.RetryWaitSeconds, m.Requests.Throttled)
	if msg := s.Cleanup.Problem(m.Target, m.RunID); msg != "" {
		fmt.Fprintf(b, "| cleanup | %s |\n", EscapeCell(msg))
	} else {
		fmt.Fprintf(b, "| cleanup | everything the run created was removed |\n")
	}
	if cfg, err := marshalReadable(m.Config); err == nil {
		fmt.Fprintf(b, "\n<details><summary>Configuration (secrets redacted)</summary>\n\n```json\n%s\n```\n\n</details>\n", cfg)
	}
}

// markdownSkipped lists the specs skipped for a reason of their own, by reason.
func markdownSkipped(b *strings.Builder, specs []SpecResult) {
	causes, byCause := SkippedByCause(specs)
	if len(causes) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Skipped specs\n")
	for _, c := range causes {
		fmt.Fprintf(b, "\n%d skipped: %s\n\n", len(byCause[c]), c)
		for _, name := range byCause[c] {
			fmt.Fprintf(b, "- %s\n", name)
		}
	}
}

// markdownProblems lists the failed and harness-error specs with their failures, then the
// blocked specs.
func markdownProblems(b *strings.Builder, specs []SpecResult) {
	var failed, blocked []SpecResult
	for _, sp := range specs {
		if sp.Expected != nil {
			continue // listed with the expectations
		}
		switch sp.Outcome {
		case OutcomeFailed, OutcomeHarnessError:
			failed = append(failed, sp)
		case OutcomeBlocked:
			blocked = append(blocked, sp)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(b, "\n## Failed specs and harness errors\n")
		for _, sp := range failed {
			fmt.Fprintf(b, "\n### %s: %s\n\nRule `%s` (%s), %s\n\n```\n%s\n```\n", sp.Outcome, sp.Name, sp.Rule, sp.Evidence, sp.Location, strings.TrimSpace(sp.Failure))
		}
	}
	if len(blocked) > 0 {
		fmt.Fprintf(b, "\n## Blocked specs\n\nA setup step of each spec below got an answer that breaks another rule, so the spec's own rule was not checked. The break is counted once, as a failure of that rule's own specs.\n\n| spec | rule | blocked by | cause |\n|---|---|---|---|\n")
		for _, sp := range blocked {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", EscapeCell(sp.Name), sp.Rule, sp.BlockedBy, EscapeCell(sp.Cause))
		}
	}
}

// markdownExpectations lists what the target's expectations expected, the entries that no
// longer hold (unexpected passes) and the expired ones.
func markdownExpectations(b *strings.Builder, s Summary) {
	x := s.Expectations
	if x == nil {
		return
	}
	fmt.Fprintf(b, "\n## Expectations (`%s`)\n\n%d spec(s) ended as expected; %d unexpected pass(es)", x.File, x.Matched, len(x.UnexpectedPasses))
	if x.FailOnUnexpectedPass && len(x.UnexpectedPasses) > 0 {
		fmt.Fprintf(b, ", which fail the run (--fail-on-unexpected-pass)")
	}
	fmt.Fprintf(b, "; %d expired entr(y/ies), counted as absent.\n", len(x.Expired))
	var expected []SpecResult
	for _, sp := range s.Specs {
		if sp.Expected != nil {
			expected = append(expected, sp)
		}
	}
	if len(expected) > 0 {
		fmt.Fprintf(b, "\n### Expected outcomes\n\n| spec | rule | outcome | reason | link | expires |\n|---|---|---|---|---|---|\n")
		for _, sp := range expected {
			e := sp.Expected
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", EscapeCell(sp.Name), sp.Rule, sp.Outcome, EscapeCell(e.Reason), EscapeCell(e.Link), e.Expires)
		}
	}
	if len(x.UnexpectedPasses) > 0 {
		fmt.Fprintf(b, "\n### Unexpected passes: entries that no longer hold\n\n| entry | reason | specs now |\n|---|---|---|\n")
		for _, st := range x.UnexpectedPasses {
			fmt.Fprintf(b, "| %s | %s | %s |\n", EscapeCell(st.Entry.String()), EscapeCell(st.Entry.Reason), EscapeCell(strings.Join(st.Specs, "; ")))
		}
	}
	if len(x.Expired) > 0 {
		fmt.Fprintf(b, "\n### Expired entries (ignored)\n\n| entry | expired after | reason |\n|---|---|---|\n")
		for _, e := range x.Expired {
			fmt.Fprintf(b, "| %s | %s | %s |\n", EscapeCell(e.String()), e.Expires, EscapeCell(e.Reason))
		}
	}
}

// markdownFlaky lists the specs that passed only on a retry.
func markdownFlaky(b *strings.Builder, specs []SpecResult) {
	var flaky []SpecResult
	for _, sp := range specs {
		if sp.Outcome == OutcomeFlaky {
			flaky = append(flaky, sp)
		}
	}
	if len(flaky) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Flaky specs\n\nEach spec below failed, was retried and passed: it does not fail the run, but it is not a plain pass.\n\n| spec | rule | attempts | cause |\n|---|---|---|---|\n")
	for _, sp := range flaky {
		fmt.Fprintf(b, "| %s | %s | %d | %s |\n", EscapeCell(sp.Name), sp.Rule, sp.Attempts, EscapeCell(sp.Cause))
	}
}

// markdownByEndpoint lists every spec in a table per endpoint.
func markdownByEndpoint(b *strings.Builder, specs []SpecResult) {
	fmt.Fprintf(b, "\n## Specs by endpoint\n")
	byEndpoint := map[string][]SpecResult{}
	for _, sp := range specs {
		byEndpoint[sp.Endpoint] = append(byEndpoint[sp.Endpoint], sp)
	}
	endpoints := make([]string, 0, len(byEndpoint))
	for e := range byEndpoint {
		endpoints = append(endpoints, e)
	}
	sort.Strings(endpoints)
	for _, e := range endpoints {
		fmt.Fprintf(b, "\n### %s\n\n| rule | evidence | spec | outcome | cause |\n|---|---|---|---|---|\n", e)
		for _, sp := range byEndpoint[e] {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", sp.Rule, sp.Evidence, EscapeCell(sp.Name), sp.Outcome, EscapeCell(sp.Cause))
		}
	}
}
