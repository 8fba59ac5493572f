package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mpsdconf/mpsdconf/expectations"
	"github.com/mpsdconf/mpsdconf/history"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/report"
	"github.com/mpsdconf/mpsdconf/rundiff"
)

// cmdExpectations writes a starting expectations file from a run's report.json: an entry for
// each rule (or spec) that failed or was blocked, to be given a reason and a link.
func cmdExpectations(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf expectations", flag.ContinueOnError)
	from := fs.String("from", "", "report.json (or its folder) of the run to start from (required)")
	output := fs.String("output", "", "file to write (default: standard output)")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if *from == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "mpsdconf expectations: usage: mpsdconf expectations --from report.json [--output FILE]")
		return 2
	}
	s, err := report.ReadSummary(*from)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf expectations: %v\n", err)
		return 2
	}
	if len(s.CredentialProblems) > 0 {
		fmt.Fprintf(stderr, "mpsdconf expectations: refusing %s: during that run the target refused the credentials of %s, so its failures say nothing about the target; renew the credentials, run again and start from that run\n",
			*from, refusedNames(s.CredentialProblems))
		return 2
	}
	results := make([]expectations.Result, len(s.Specs))
	for i, sp := range s.Specs {
		results[i] = expectations.Result{Name: sp.Name, Rule: sp.Rule, Outcome: sp.Outcome}
	}
	raw, err := expectations.FromResults(results, time.Now()).Marshal()
	if err == nil {
		err = writeOutput(*output, stdout, raw)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf expectations: %v\n", err)
		return 2
	}
	return 0
}

// refusedNames lists the identities of refused credentials: "user1, user2".
func refusedNames(refusals []identity.Refusal) string {
	names := make([]string, len(refusals))
	for i, r := range refusals {
		names[i] = r.Identity
	}
	return strings.Join(names, ", ")
}

// cmdDiff compares two runs' report.json files; it exits 1 when a spec regressed.
func cmdDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf diff", flag.ContinueOnError)
	format := fs.String("format", "markdown", "output format: markdown (for a pull-request comment) or json")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 2 || (*format != "markdown" && *format != "json") {
		fmt.Fprintln(stderr, "mpsdconf diff: usage: mpsdconf diff [--format markdown|json] OLD NEW (report.json files or their folders)")
		return 2
	}
	var runs [2]rundiff.Run
	for i, path := range fs.Args() {
		s, err := report.ReadSummary(path)
		if err != nil {
			fmt.Fprintf(stderr, "mpsdconf diff: %v\n", err)
			return 2
		}
		runs[i] = diffRun(path, s)
	}
	d := rundiff.Compare(runs[0], runs[1])
	out := []byte(d.Markdown())
	if *format == "json" {
		raw, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "mpsdconf diff: %v\n", err)
			return 2
		}
		out = append(raw, '\n')
	}
	if _, err := stdout.Write(out); err != nil {
		return 2
	}
	if d.HasRegression() {
		return report.ExitFail
	}
	return report.ExitPass
}

// diffRun is a run's summary as the comparison reads it.
func diffRun(path string, s report.Summary) rundiff.Run {
	run := rundiff.Run{Label: s.Metadata.RunID, Specs: make([]rundiff.Spec, len(s.Specs))}
	if run.Label == "" {
		run.Label = path
	}
	for i, sp := range s.Specs {
		run.Specs[i] = rundiff.Spec{Name: sp.Name, Rule: sp.Rule, Outcome: sp.Outcome, Cause: sp.Cause, Expected: sp.Expected != nil}
	}
	return run
}

// cmdHistory reads report.json files (DIR… holds them, at any depth) and writes the history
// page; the Markdown summary goes to standard output.
func cmdHistory(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf history", flag.ContinueOnError)
	output := fs.String("output", "history.html", "the HTML page to write")
	top := fs.Int("top", 20, "rules that changed most recently to list in the summary")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "mpsdconf history: usage: mpsdconf history [--output history.html] DIR... (folders of report.json files)")
		return 2
	}
	runs, err := readRuns(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf history: %v\n", err)
		return 2
	}
	g := history.Build(runs)
	page, err := g.HTML()
	if err == nil {
		err = os.WriteFile(*output, page, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf history: %v\n", err)
		return 2
	}
	fmt.Fprint(stdout, g.Markdown(*top))
	fmt.Fprintf(stdout, "\nHistory page: %s\n", *output)
	return 0
}

// readRuns finds every report.json under dirs and reads them, several at a time.
func readRuns(dirs []string) ([]history.Run, error) {
	var paths []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == report.JSONFile {
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
	}
	if len(paths) == 0 {
		return nil, errors.New("no report.json found")
	}
	sort.Strings(paths)
	runs := make([]history.Run, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := report.ReadSummary(p)
			runs[i], errs[i] = historyRun(s), err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return runs, nil
}

// historyRun is a run's summary as the history grid reads it.
func historyRun(s report.Summary) history.Run {
	run := history.Run{ID: s.Metadata.RunID, StartedAt: s.Metadata.StartedAt, Verdict: s.Verdict, Specs: make([]history.Spec, len(s.Specs))}
	for i, sp := range s.Specs {
		run.Specs[i] = history.Spec{Rule: sp.Rule, Outcome: sp.Outcome, Expected: sp.Expected != nil}
	}
	return run
}

// writeOutput writes raw to path, or to stdout when path is empty.
func writeOutput(path string, stdout io.Writer, raw []byte) error {
	if path == "" {
		_, err := stdout.Write(raw)
		return err
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
