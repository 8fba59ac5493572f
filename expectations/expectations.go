// Package expectations reads a target's expectations file: the rules and specs known to fail
// (or be blocked or skipped) on that target, each with a reason, a link and an optional expiry
// date, as web-platform-tests keeps expected results per implementation. A run judged with
// expectations fails only on what is not expected, and shows what passes against them.
package expectations

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// Outcomes an entry may expect.
const (
	Failed  = "failed"
	Blocked = "blocked"
	Skipped = "skipped"
)

// DateLayout is the form of an entry's expiry date.
const DateLayout = "2006-01-02"

// ErrInvalid marks an expectations file that cannot be used: unreadable, malformed, or naming
// a rule or spec that does not exist. It is a configuration error.
var ErrInvalid = errors.New("invalid expectations file")

// Entry is one expectation: a rule (every spec of it) or one spec, by its full name as reports
// show it, and the outcome expected of it.
type Entry struct {
	Rule    string `yaml:"rule,omitempty" json:"rule,omitempty"`
	Spec    string `yaml:"spec,omitempty" json:"spec,omitempty"`
	Outcome string `yaml:"outcome" json:"outcome"`
	Reason  string `yaml:"reason" json:"reason"`
	Link    string `yaml:"link,omitempty" json:"link,omitempty"`
	// Expires, as YYYY-MM-DD, is the last day the entry counts; after it the entry is ignored.
	Expires string `yaml:"expires,omitempty" json:"expires,omitempty"`
}

// String names the entry for messages.
func (e Entry) String() string {
	if e.Spec != "" {
		return fmt.Sprintf("spec %q (%s)", e.Spec, e.Outcome)
	}
	return fmt.Sprintf("rule %s (%s)", e.Rule, e.Outcome)
}

// Expired reports whether the entry's expiry date lies before now's day.
func (e Entry) Expired(now time.Time) bool {
	if e.Expires == "" {
		return false
	}
	day, err := time.Parse(DateLayout, e.Expires)
	if err != nil {
		return false // Parse rejected it already
	}
	y, m, d := now.Date()
	return day.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// File is an expectations file.
type File struct {
	Expectations []Entry `yaml:"expectations"`
}

// Load reads and checks the file at path (see Parse).
func Load(path string) (File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	f, err := Parse(raw)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse decodes an expectations file, rejecting unknown keys and entries that name neither or
// both of rule and spec, have no reason, expect an outcome other than failed, blocked or
// skipped, or carry a malformed expiry date.
func Parse(raw []byte) (File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var problems []string
	for i, e := range f.Expectations {
		where := fmt.Sprintf("entry %d", i+1)
		switch {
		case (e.Rule == "") == (e.Spec == ""):
			problems = append(problems, where+": give exactly one of rule and spec")
		case e.Outcome != Failed && e.Outcome != Blocked && e.Outcome != Skipped:
			problems = append(problems, fmt.Sprintf("%s (%s): outcome %q, want failed, blocked or skipped", where, e, e.Outcome))
		case strings.TrimSpace(e.Reason) == "":
			problems = append(problems, fmt.Sprintf("%s (%s): no reason", where, e))
		}
		if e.Expires != "" {
			if _, err := time.Parse(DateLayout, e.Expires); err != nil {
				problems = append(problems, fmt.Sprintf("%s (%s): expires %q is not a YYYY-MM-DD date", where, e, e.Expires))
			}
		}
	}
	if len(problems) > 0 {
		return File{}, fmt.Errorf("%w:\n  %s", ErrInvalid, strings.Join(problems, "\n  "))
	}
	return f, nil
}

// Check rejects entries naming a rule that knownRule does not know, or a spec that is not
// among specs (full spec names as reports show them).
func (f File) Check(knownRule func(id string) bool, specs []string) error {
	names := make(map[string]bool, len(specs))
	for _, s := range specs {
		names[s] = true
	}
	var problems []string
	for i, e := range f.Expectations {
		switch {
		case e.Rule != "" && !knownRule(e.Rule):
			problems = append(problems, fmt.Sprintf("entry %d: no rule %s in the catalog", i+1, e.Rule))
		case e.Spec != "" && !names[e.Spec]:
			problems = append(problems, fmt.Sprintf("entry %d: no spec named %q (use the full name a report shows)", i+1, e.Spec))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w:\n  %s", ErrInvalid, strings.Join(problems, "\n  "))
	}
	return nil
}

// Result is one spec's outcome in a run, as judged against expectations.
type Result struct {
	Name, Rule, Outcome string
}

// Verdict is what expectations make of a run.
type Verdict struct {
	// Matched maps a spec name to the entry that expected its outcome.
	Matched map[string]Entry
	// UnexpectedPasses are the entries none of whose specs ended in the expected outcome (the
	// target now does better, or the entry went stale), each with the specs it names.
	UnexpectedPasses []Stale
	// Expired are the entries past their date, which counted as absent.
	Expired []Entry
}

// Stale is an entry that no longer describes the target.
type Stale struct {
	Entry Entry `json:"entry"`
	// Specs are the entry's specs and their outcomes ("passed: name").
	Specs []string `json:"specs"`
}

// Judge matches every result against the active entries: a spec entry wins over a rule entry.
// A result whose outcome is the one its entry expects is matched; an entry whose specs ran and
// none ended in its outcome is an unexpected pass. A spec that could not be checked (a harness
// error) is neither: it says nothing about the target, and no entry can expect it.
func (f File) Judge(results []Result, now time.Time) Verdict {
	v := Verdict{Matched: map[string]Entry{}}
	bySpec, byRule := map[string]int{}, map[string]int{}
	for i, e := range f.Expectations {
		switch {
		case e.Expired(now):
			v.Expired = append(v.Expired, e)
		case e.Spec != "":
			bySpec[e.Spec] = i
		default:
			byRule[e.Rule] = i
		}
	}
	hits := map[int]bool{}
	seen := map[int][]string{}
	for _, r := range results {
		i, ok := bySpec[r.Name]
		if !ok {
			i, ok = byRule[r.Rule]
		}
		if !ok || (r.Outcome == Skipped && f.Expectations[i].Outcome != Skipped) || r.Outcome == outcome.HarnessError {
			continue // a spec not run, or not checked, says nothing about the entry
		}
		seen[i] = append(seen[i], r.Outcome+": "+r.Name)
		if r.Outcome == f.Expectations[i].Outcome {
			v.Matched[r.Name] = f.Expectations[i]
			hits[i] = true
		}
	}
	for i, specs := range seen {
		if !hits[i] {
			sort.Strings(specs)
			v.UnexpectedPasses = append(v.UnexpectedPasses, Stale{Entry: f.Expectations[i], Specs: specs})
		}
	}
	sort.Slice(v.UnexpectedPasses, func(a, b int) bool {
		return v.UnexpectedPasses[a].Entry.String() < v.UnexpectedPasses[b].Entry.String()
	})
	return v
}

// FromResults writes a starting expectations file for the results of a run: one entry per rule
// whose specs that ran all failed (or were all blocked), one per failed or blocked spec
// otherwise, each with a placeholder reason to fill in and an expiry date 90 days after now.
func FromResults(results []Result, now time.Time) File {
	byRule := map[string][]Result{}
	var rules []string
	for _, r := range results {
		if r.Outcome == Skipped {
			continue
		}
		if _, ok := byRule[r.Rule]; !ok {
			rules = append(rules, r.Rule)
		}
		byRule[r.Rule] = append(byRule[r.Rule], r)
	}
	sort.Strings(rules)
	expires := now.AddDate(0, 0, 90).Format(DateLayout)
	const reason = "TODO: say why this target deviates"
	var f File
	for _, rule := range rules {
		ran := byRule[rule]
		outcomes := map[string]bool{}
		for _, r := range ran {
			outcomes[r.Outcome] = true
		}
		if len(outcomes) == 1 && (outcomes[Failed] || outcomes[Blocked]) {
			f.Expectations = append(f.Expectations, Entry{Rule: rule, Outcome: ran[0].Outcome, Reason: reason, Expires: expires})
			continue
		}
		for _, r := range ran {
			if r.Outcome == Failed || r.Outcome == Blocked {
				f.Expectations = append(f.Expectations, Entry{Spec: r.Name, Outcome: r.Outcome, Reason: reason, Expires: expires})
			}
		}
	}
	return f
}

// Marshal renders f as YAML with a header comment saying how to use it.
func (f File) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# mpsdconf expectations: rules and specs known to fail on this target.\n" +
		"# Each entry: rule (every spec of it) or spec (the full name a report shows), the expected\n" +
		"# outcome (failed, blocked or skipped), a reason, a link to the bug, and an expiry date after\n" +
		"# which the entry no longer counts. Use with: mpsdconf run --expectations FILE\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode expectations: %w", err)
	}
	return b.Bytes(), enc.Close()
}
