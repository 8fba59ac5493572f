package history

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)

func night(n int, verdict string, specs ...Spec) Run {
	return Run{ID: fmt.Sprintf("night-%d", n), StartedAt: t0.AddDate(0, 0, n), Verdict: verdict, Specs: specs}
}

func TestBuild(t *testing.T) {
	runs := []Run{ // given out of order: Build sorts by start time
		night(3, "fail", Spec{"R-A", "failed", false}, Spec{"R-B", "passed", false}, Spec{"R-C", "failed", true}, Spec{"R-D", "flaky", false}, Spec{"R-E", "skipped", false}),
		night(1, "pass", Spec{"R-A", "passed", false}, Spec{"R-A", "passed", false}, Spec{"R-B", "passed", false}, Spec{"R-C", "failed", true}),
		night(2, "fail", Spec{"R-A", "passed", false}, Spec{"R-A", "blocked", false}, Spec{"R-B", "passed", false}, Spec{"R-C", "failed", true}, Spec{"R-D", "harness-error", false}),
	}
	g := Build(runs)
	if len(g.Columns) != 3 || g.Columns[0].ID != "night-1" || g.Columns[2].ID != "night-3" {
		t.Fatalf("columns %+v", g.Columns)
	}
	if c := g.Columns[1]; c.Ran != 5 || c.PassRate != 3.0/5 {
		t.Errorf("night-2: ran %d, pass rate %v (an expected failure counts as good, a blocked spec and a harness error do not)", c.Ran, c.PassRate)
	}
	rows := map[string]Row{}
	var order []string
	for _, r := range g.Rows {
		rows[r.Rule] = r
		order = append(order, r.Rule)
	}
	want := map[string]string{
		"R-A": "passed,blocked,failed", // the worst spec wins
		"R-B": "passed,passed,passed",  // never changed
		"R-C": "expected,expected,expected",
		"R-D": "absent,harness-error,flaky",
		"R-E": "absent,absent,skipped",
	}
	for rule, w := range want {
		if got := strings.Join(rows[rule].Statuses, ","); got != w {
			t.Errorf("%s: %s, want %s", rule, got, w)
		}
	}
	if rows["R-B"].LastChange != -1 || rows["R-A"].LastChange != 2 || rows["R-D"].LastChange != 2 {
		t.Errorf("last changes: %+v", rows)
	}
	if got := strings.Join(order, ","); got != "R-A,R-D,R-E,R-B,R-C" {
		t.Errorf("row order %s, want the most recently changed first, then by ID", got)
	}
}

func TestRender(t *testing.T) {
	g := Build([]Run{
		night(1, "pass", Spec{"R-A", "passed", false}),
		night(2, "fail", Spec{"R-A", "failed", false}, Spec{"R-<script>", "passed", false}),
	})
	page, err := g.HTML()
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, banned := range []string{"<script", "src=", "<link", "@import", "url("} {
		if strings.Contains(strings.ToLower(html), banned) {
			t.Errorf("history.html contains %q", banned)
		}
	}
	if regexp.MustCompile(`https?://`).MatchString(html) {
		t.Error("history.html refers to a URL")
	}
	for _, want := range []string{`title="R-A in night-2: failed"`, `class="f"`, "latest verdict: <b>fail</b>", "R-&lt;script&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("history.html lacks %q", want)
		}
	}
	md := g.Markdown(10)
	for _, want := range []string{"2 runs, 2 rules", "Latest run night-2", "| R-A | night-2 | passed | failed |", "| night-1 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// nightly makes n runs of 113 rules with 3 specs each, a few rules changing over time.
func nightly(n int) []Run {
	runs := make([]Run, n)
	for i := range runs {
		specs := make([]Spec, 0, 339)
		for r := 0; r < 113; r++ {
			outcome := "passed"
			if (i+r)%97 == 0 {
				outcome = "failed"
			}
			for k := 0; k < 3; k++ {
				specs = append(specs, Spec{Rule: fmt.Sprintf("R-%03d", r), Outcome: outcome})
			}
		}
		runs[i] = night(i, "pass", specs...)
	}
	return runs
}

// A year of nightly runs: building the grid and rendering both outputs.
func BenchmarkBuildAndRender365Runs(b *testing.B) {
	runs := nightly(365)
	b.ReportAllocs()
	for b.Loop() {
		g := Build(runs)
		if _, err := g.HTML(); err != nil {
			b.Fatal(err)
		}
		_ = g.Markdown(20)
	}
}
