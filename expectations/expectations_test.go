package expectations

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var day = time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)

func TestParseRejectsBadFiles(t *testing.T) {
	cases := map[string]string{
		"unknown key":     "expectations:\n  - {rule: R-A, outcome: failed, reason: x, colour: red}\n",
		"neither":         "expectations:\n  - {outcome: failed, reason: x}\n",
		"both":            "expectations:\n  - {rule: R-A, spec: s, outcome: failed, reason: x}\n",
		"bad outcome":     "expectations:\n  - {rule: R-A, outcome: passed, reason: x}\n",
		"no reason":       "expectations:\n  - {rule: R-A, outcome: failed}\n",
		"bad date":        "expectations:\n  - {rule: R-A, outcome: failed, reason: x, expires: 2026-13-01}\n",
		"not yaml at all": "expectations: [",
	}
	for name, raw := range cases {
		if _, err := Parse([]byte(raw)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, ErrInvalid) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestCheckNamesUnknownRulesAndSpecs(t *testing.T) {
	f, err := Parse([]byte("expectations:\n  - {rule: R-A, outcome: failed, reason: x}\n  - {rule: R-NOPE, outcome: failed, reason: x}\n  - {spec: no such spec, outcome: blocked, reason: x}\n  - {spec: s1, outcome: failed, reason: x}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Check(func(id string) bool { return id == "R-A" }, []string{"s1", "s2"})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "R-NOPE") || !strings.Contains(err.Error(), "no such spec") || strings.Contains(err.Error(), "entry 1:") {
		t.Errorf("Check: %v", err)
	}
}

func TestJudge(t *testing.T) {
	f, err := Parse([]byte(`expectations:
  - {rule: R-FAIL, outcome: failed, reason: known bug, link: "https://bugs/1"}
  - {spec: s-blocked, outcome: blocked, reason: setup broken upstream}
  - {rule: R-FIXED, outcome: failed, reason: was broken}
  - {rule: R-OLD, outcome: failed, reason: stale, expires: 2026-12-01}
  - {rule: R-TODAY, outcome: failed, reason: last day, expires: 2026-12-02}
  - {spec: s-exact, outcome: failed, reason: spec wins over rule}
  - {rule: R-SKIPPED, outcome: failed, reason: not run}
`))
	if err != nil {
		t.Fatal(err)
	}
	v := f.Judge([]Result{
		{"s-fail-1", "R-FAIL", "failed"}, {"s-fail-2", "R-FAIL", "passed"},
		{"s-blocked", "R-X", "blocked"},
		{"s-fixed", "R-FIXED", "passed"},
		{"s-old", "R-OLD", "failed"},
		{"s-today", "R-TODAY", "failed"},
		{"s-exact", "R-FIXED", "failed"},
		{"s-skip", "R-SKIPPED", "skipped"},
	}, day)
	for _, name := range []string{"s-fail-1", "s-blocked", "s-today", "s-exact"} {
		if _, ok := v.Matched[name]; !ok {
			t.Errorf("%s is not matched: %v", name, v.Matched)
		}
	}
	for _, name := range []string{"s-fail-2", "s-fixed", "s-old", "s-skip"} {
		if e, ok := v.Matched[name]; ok {
			t.Errorf("%s matched %s", name, e)
		}
	}
	if len(v.UnexpectedPasses) != 1 || v.UnexpectedPasses[0].Entry.Rule != "R-FIXED" || v.UnexpectedPasses[0].Specs[0] != "passed: s-fixed" {
		t.Errorf("unexpected passes: %+v (a rule entry some of whose specs still fail is not stale; a skipped spec says nothing)", v.UnexpectedPasses)
	}
	if len(v.Expired) != 1 || v.Expired[0].Rule != "R-OLD" {
		t.Errorf("expired: %+v", v.Expired)
	}
}

func TestFromResultsRoundTrips(t *testing.T) {
	f := FromResults([]Result{
		{"a1", "R-A", "failed"}, {"a2", "R-A", "failed"}, {"a3", "R-A", "skipped"},
		{"b1", "R-B", "failed"}, {"b2", "R-B", "passed"},
		{"c1", "R-C", "blocked"},
		{"d1", "R-D", "passed"},
	}, day)
	want := []Entry{
		{Rule: "R-A", Outcome: "failed"},
		{Spec: "b1", Outcome: "failed"},
		{Rule: "R-C", Outcome: "blocked"},
	}
	if len(f.Expectations) != len(want) {
		t.Fatalf("entries %+v", f.Expectations)
	}
	for i, w := range want {
		got := f.Expectations[i]
		if got.Rule != w.Rule || got.Spec != w.Spec || got.Outcome != w.Outcome || got.Expires != "2027-03-02" || got.Reason == "" {
			t.Errorf("entry %d: %+v, want %+v expiring 2027-03-02", i, got, w)
		}
	}
	raw, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "expectations.yaml")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil || len(back.Expectations) != 3 || !strings.HasPrefix(string(raw), "# mpsdconf expectations") {
		t.Fatalf("round trip: %v %+v\n%s", err, back, raw)
	}
}
