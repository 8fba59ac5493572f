package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/history"
	"github.com/mpsdconf/mpsdconf/report"
)

// BenchmarkHistoryOfAYear is `mpsdconf history` over 365 nightly report.json files of 316 specs
// each: finding and reading them, building the grid and rendering the page and the summary.
func BenchmarkHistoryOfAYear(b *testing.B) {
	root := b.TempDir()
	start := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	for n := 0; n < 365; n++ {
		s := report.Summary{Verdict: report.VerdictPass}
		s.Metadata.RunID = fmt.Sprintf("night-%03d", n)
		s.Metadata.StartedAt = start.AddDate(0, 0, n)
		for i := 0; i < 316; i++ {
			outcome := report.OutcomePassed
			if (n+i)%97 == 0 {
				outcome = report.OutcomeFailed
			}
			s.Specs = append(s.Specs, report.SpecResult{
				Name: fmt.Sprintf("[endpoint] spec %d is answered as its rule says", i), Rule: fmt.Sprintf("R-%03d", i/3),
				Evidence: "doc", Endpoint: "handles-create", Outcome: outcome, State: outcome, DurationMs: 1.5,
			})
		}
		raw, err := json.Marshal(s)
		if err != nil {
			b.Fatal(err)
		}
		dir := filepath.Join(root, s.Metadata.RunID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, report.JSONFile), raw, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		runs, err := readRuns([]string{root})
		if err != nil || len(runs) != 365 {
			b.Fatalf("%d runs: %v", len(runs), err)
		}
		g := history.Build(runs)
		if _, err := g.HTML(); err != nil {
			b.Fatal(err)
		}
		_ = g.Markdown(20)
	}
}
