package selftest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/report"
)

// ToleranceConfig configures the tolerance matrix: the suite against the emulator with each
// variant (a behaviour the contract allows) switched on, once with the documented profile,
// which must pass, and once with the strict profile, whose result is reported.
type ToleranceConfig struct {
	// MatrixConfig says how the runs go; ReportDir receives tolerance.json and tolerance.md.
	MatrixConfig
	// Variants limits the matrix to these variants (default: every variant).
	Variants []string
}

// VariantOutcome is what the runs against one variant showed.
type VariantOutcome struct {
	Variant string `json:"variant"`
	Aspect  string `json:"aspect"`
	Source  string `json:"source"`
	// ContractVersion is the contract version the runs sent, when the variant needs one.
	ContractVersion int `json:"contractVersion,omitempty"`
	// Documented is the documented profile's verdict (it must be pass); Strict the strict one's.
	Documented string `json:"documented"`
	Strict     string `json:"strict"`
	// DocumentedProblems lists the documented profile's failed or blocked specs, by rule.
	DocumentedProblems map[string][]string `json:"documentedProblems,omitempty"`
	// StrictProblems lists the strict profile's failed or blocked specs, by rule.
	StrictProblems map[string][]string `json:"strictProblems,omitempty"`
	// Tolerated is true when the documented profile passed.
	Tolerated bool   `json:"tolerated"`
	Error     string `json:"error,omitempty"`
}

// RuleTolerance says, for one rule, the variants its specs passed under (in the strict run,
// which runs every rule) and those they did not.
type RuleTolerance struct {
	Rule      string   `json:"rule"`
	Evidence  string   `json:"evidence"`
	Tolerates []string `json:"tolerates"`
	BreaksOn  []string `json:"breaksOn"`
}

// ToleranceReport is reports/tolerance.json.
type ToleranceReport struct {
	HarnessVersion string           `json:"harnessVersion"`
	Seed           int64            `json:"seed"`
	Variants       []VariantOutcome `json:"variants"`
	Rules          []RuleTolerance  `json:"rules"`
	Tolerated      int              `json:"tolerated"`
	Total          int              `json:"total"`
	Passed         bool             `json:"passed"`
}

// Tolerance report file names inside the report directory.
const (
	ToleranceFile         = "tolerance.json"
	ToleranceMarkdownFile = "tolerance.md"
)

// Verdict is report.VerdictPass when the documented profile passed against every variant,
// report.VerdictHarness when some run could not be judged, else report.VerdictFail.
func (rep ToleranceReport) Verdict() string { return verdict(rep.Passed, rep.unjudged()) }

// unjudged reports whether the runs against some variant could not be judged.
func (rep ToleranceReport) unjudged() bool {
	for _, v := range rep.Variants {
		if v.Error != "" {
			return true
		}
	}
	return false
}

// Tolerance runs the tolerance matrix, prints one line per variant to w and writes
// tolerance.json and tolerance.md. The report's Verdict says whether the documented profile
// passed against every variant. The error says why the matrix could not run (an unknown
// variant) or its report could not be written.
func Tolerance(ctx context.Context, cfg ToleranceConfig, w io.Writer) (ToleranceReport, error) {
	infos := map[string]emulator.VariantInfo{}
	var all []string
	for _, v := range emulator.Variants() {
		infos[v.Name] = v
		all = append(all, v.Name)
	}
	names, unknown := choose(all, cfg.Variants)
	if unknown != "" {
		return ToleranceReport{}, fmt.Errorf("unknown variant %q (mpsdconf emulate --list-variants lists them)", unknown)
	}
	runsDir, err := cfg.prepare("tolerance")
	if err != nil {
		return ToleranceReport{}, err
	}

	start := time.Now()
	rep := ToleranceReport{HarnessVersion: cfg.HarnessVersion, Seed: cfg.Seed, Total: len(names)}
	rep.Variants = make([]VariantOutcome, len(names))
	strict := make([]report.Summary, len(names))
	cfg.each(len(names), func(i int) { rep.Variants[i], strict[i] = runVariant(ctx, cfg, runsDir, infos[names[i]]) })

	for _, v := range rep.Variants {
		if v.Tolerated {
			rep.Tolerated++
		}
	}
	rep.Rules = ruleTolerance(catalog.Default(), rep.Variants, strict)
	rep.Passed = rep.Tolerated == rep.Total && !rep.unjudged()
	printToleranceMatrix(w, rep)
	fmt.Fprintf(w, "tolerance: the documented profile passed against %d of %d variants, %.1fs\n", rep.Tolerated, rep.Total, time.Since(start).Seconds())
	fmt.Fprintf(w, "tolerance: %d passed, %d failed\n", rep.Tolerated, rep.Total-rep.Tolerated)

	err = writeJSON(filepath.Join(cfg.ReportDir, ToleranceFile), rep)
	if err == nil {
		err = os.WriteFile(filepath.Join(cfg.ReportDir, ToleranceMarkdownFile), []byte(rep.Markdown()), 0o644)
	}
	if err != nil {
		return rep, fmt.Errorf("writing the report: %w", err)
	}
	return rep, nil
}

// runVariant runs the documented and the strict profile against the emulator with variant v.
func runVariant(ctx context.Context, cfg ToleranceConfig, runsDir string, v emulator.VariantInfo) (VariantOutcome, report.Summary) {
	out := VariantOutcome{Variant: v.Name, Aspect: v.Aspect, Source: v.Source, ContractVersion: v.ContractVersion}
	args := []string{"--variant", v.Name}
	if v.ContractVersion != 0 {
		args = append(args, "--contract-version", fmt.Sprint(v.ContractVersion))
	}
	doc := runSuite(ctx, cfg.Binary, filepath.Join(runsDir, v.Name, "documented"), cfg.Seed,
		append([]string{"--profile", string(catalog.ProfileDocumented)}, args...)...)
	strict := runSuite(ctx, cfg.Binary, filepath.Join(runsDir, v.Name, "strict"), cfg.Seed,
		append([]string{"--profile", string(catalog.ProfileStrict)}, args...)...)
	for _, r := range []suiteRun{doc, strict} {
		if r.Error != "" && out.Error == "" {
			out.Error = r.Error
		}
	}
	out.Documented, out.DocumentedProblems = doc.Summary.Verdict, problemsByRule(doc.Summary)
	out.Strict, out.StrictProblems = strict.Summary.Verdict, problemsByRule(strict.Summary)
	out.Tolerated = doc.Error == "" && doc.ExitCode == report.ExitPass && doc.Summary.Verdict == report.VerdictPass
	return out, strict.Summary
}

// problemsByRule maps each rule to its failed, blocked or unchecked specs in s.
func problemsByRule(s report.Summary) map[string][]string {
	out := map[string][]string{}
	for _, sp := range s.Specs {
		if report.IsProblem(sp.Outcome) {
			out[sp.Rule] = append(out[sp.Rule], sp.Outcome+": "+sp.Name)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ruleTolerance lists, per catalog rule, the variants under which none of its specs failed,
// was blocked or went unchecked in the strict run.
func ruleTolerance(cat *catalog.Catalog, variants []VariantOutcome, strict []report.Summary) []RuleTolerance {
	out := make([]RuleTolerance, 0, len(cat.Rules))
	for _, r := range cat.Rules {
		rt := RuleTolerance{Rule: r.ID, Evidence: string(r.Evidence), Tolerates: []string{}, BreaksOn: []string{}}
		for i, v := range variants {
			if len(strict[i].Specs) == 0 { // the run could not be judged
				continue
			}
			if _, broke := v.StrictProblems[r.ID]; broke {
				rt.BreaksOn = append(rt.BreaksOn, v.Variant)
			} else {
				rt.Tolerates = append(rt.Tolerates, v.Variant)
			}
		}
		out = append(out, rt)
	}
	return out
}

func printToleranceMatrix(w io.Writer, rep ToleranceReport) {
	fmt.Fprintf(w, "%-28s %-17s %-11s %-8s %s\n", "VARIANT", "ASPECT", "DOCUMENTED", "STRICT", "RULES THE STRICT PROFILE FAILS")
	for _, v := range rep.Variants {
		doc := v.Documented
		if !v.Tolerated {
			doc = strings.ToUpper(orUnknown(doc))
		}
		detail := strings.Join(sortedKeys(v.StrictProblems), ", ")
		if len(v.DocumentedProblems) > 0 {
			detail += "; DOCUMENTED FAILS " + strings.Join(sortedKeys(v.DocumentedProblems), ", ")
		}
		if v.Error != "" {
			detail += "; ERROR: " + strings.SplitN(v.Error, "\n", 2)[0]
		}
		fmt.Fprintf(w, "%-28s %-17s %-11s %-8s %s\n", v.Variant, v.Aspect, doc, orUnknown(v.Strict), detail)
	}
}

// Markdown renders the tolerance matrix: the variants, then each rule with the variants it
// tolerates and those its strict specs fail on.
func (rep ToleranceReport) Markdown() string {
	var b strings.Builder
	verdict := "PASS"
	if !rep.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "# Tolerance matrix: %s\n\nThe documented profile (doc and wire rules) passed against %d of %d emulator variants, behaviours the contract allows. The strict profile's result is shown for each: an inferred rule may fail on a variant, which is what inferred means. Harness %s, seed %d.\n\n",
		verdict, rep.Tolerated, rep.Total, rep.HarnessVersion, rep.Seed)
	fmt.Fprintf(&b, "| variant | aspect | documented | strict | rules the strict profile fails | source |\n|---|---|---|---|---|---|\n")
	for _, v := range rep.Variants {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", v.Variant, v.Aspect, orUnknown(v.Documented), orUnknown(v.Strict),
			report.EscapeCell(strings.Join(sortedKeys(v.StrictProblems), ", ")), report.EscapeCell(v.Source))
	}
	fmt.Fprintf(&b, "\n## Rules\n\n| rule | evidence | tolerates | fails on |\n|---|---|---|---|\n")
	for _, r := range rep.Rules {
		tol := fmt.Sprintf("all %d", len(r.Tolerates))
		if len(r.BreaksOn) > 0 {
			tol = fmt.Sprintf("%d: %s", len(r.Tolerates), strings.Join(r.Tolerates, ", "))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Rule, r.Evidence, tol, strings.Join(r.BreaksOn, ", "))
	}
	return b.String()
}
