package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/report"
)

// runParallel spreads the selected specs over r.Procs worker processes, rule by rule, shows
// progress while they run, merges their reports and writes them as one run.
func runParallel(ctx context.Context, r config.Resolved, stderr io.Writer) (report.Summary, error) {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout.D())
	defer cancel()
	plan, err := buildTree(r, true)
	if err != nil {
		return report.Summary{}, err
	}
	shards, total := shardRules(plan, r.Procs)
	if total == 0 {
		return finishRun(r, newMetadata(r, "(nothing selected)"), types.Report{}, report.Cleanup{}, stderr)
	}
	worlds, err := r.ProcessWorlds(len(shards))
	if err != nil {
		return report.Summary{}, err
	}
	p, err := startParent(r)
	defer p.close()
	if err != nil {
		return report.Summary{}, err
	}
	fmt.Fprintf(stderr, "mpsdconf: run %s against %s (profile %s, seed %d): %d specs in %d processes\n",
		p.meta.RunID, p.meta.Target, p.meta.Profile, p.meta.RandomSeed, total, len(shards))
	prog := newProgress(stderr, total)
	results := p.runWorkers(ctx, shards, worlds, prog)
	prog.finish()

	rep := p.collect(results)
	summary, err := finishRun(r, p.meta, rep, checkCleanup(p.journalPath, p.meta.RunID, p.emu), stderr)
	printFailures(stderr, summary)
	return summary, err
}

// parent is the parent process of a multi-process run: what its workers share.
type parent struct {
	r config.Resolved
	// base is the workers' configuration before each one's share: the run's, with the
	// embedded emulator (if any) as the target.
	base        config.Config
	emu         *emulator.Emulator // the embedded emulator, if the run serves one
	exe         string             // this executable, which each worker runs
	tmp         string             // the workers' instructions, results and logs
	meta        report.Metadata
	journalPath string
	closers     []func()
}

// startParent serves the embedded emulator when the run has no target, makes the workers'
// folder and the report directory, and starts the run's metadata. Call close even after an
// error.
func startParent(r config.Resolved) (*parent, error) {
	p := &parent{r: r, base: r.Config}
	if r.Embedded {
		srv, key, err := startEmbedded(r)
		if err != nil {
			return p, err
		}
		p.closers = append(p.closers, srv.Close)
		p.emu = srv.Emulator
		p.base.Target, p.base.EmulatorTokenKey = srv.URL, key
	}
	exe, err := os.Executable()
	if err != nil {
		return p, fmt.Errorf("find own executable: %w", err)
	}
	tmp, err := os.MkdirTemp("", "mpsdconf-workers-")
	if err != nil {
		return p, err
	}
	p.closers = append(p.closers, func() { _ = os.RemoveAll(tmp) })
	p.exe, p.tmp = exe, tmp
	p.meta = newMetadata(r, config.RedactURL(p.base.Target))
	if r.Embedded {
		p.meta.Target = p.base.Target + " (embedded emulator)"
	}
	p.journalPath = journalFile(r.ReportDir, p.meta.RunID)
	if err := os.MkdirAll(r.ReportDir, 0o755); err != nil {
		return p, fmt.Errorf("create report directory: %w", err)
	}
	return p, nil
}

// close removes the workers' folder and stops the embedded emulator.
func (p *parent) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
}

// runWorkers runs one worker process per shard of rules, all at once, and waits for them.
func (p *parent) runWorkers(ctx context.Context, shards [][]string, worlds []fixtures.Environment, prog *progress) []workerOutcome {
	results := make([]workerOutcome, len(shards))
	var wg sync.WaitGroup
	for k := range shards {
		w := p.workerSpec(k, shards, worlds[k])
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[w.Index] = startWorker(ctx, p.exe, w, filepath.Join(p.tmp, fmt.Sprintf("worker-%d.log", w.Index+1)), prog)
		}()
	}
	wg.Wait()
	return results
}

// workerSpec is worker k's instructions: the run's target, its own identities (world) and
// rules, its share of the rate limit, and where to leave its result.
func (p *parent) workerSpec(k int, shards [][]string, world fixtures.Environment) workerSpec {
	cfg := p.base
	cfg.Procs, cfg.ReportDir, cfg.Faults, cfg.Variants = 1, filepath.Join(p.tmp, fmt.Sprint(k)), nil, nil
	cfg.World = world
	cfg.IdentityPools = nil
	cfg.RateLimit = p.r.RateLimit / float64(len(shards)) // the limit holds for the run as a whole
	return workerSpec{Index: k, RunID: p.meta.RunID, Config: cfg, Rules: shards[k],
		ResultFile: filepath.Join(p.tmp, fmt.Sprintf("worker-%d.json", k+1)), ProgressFD: 3, JournalFile: p.journalPath}
}

// collect merges the workers' reports into the run's and adds up their requests. A worker
// that left no result fails the run's suite setup, with the reason.
func (p *parent) collect(results []workerOutcome) types.Report {
	rep, problems := mergeWorkerReports(results)
	p.meta.Duration = time.Since(p.meta.StartedAt)
	for _, res := range results {
		p.meta.Requests = p.meta.Requests.Add(res.requests)
	}
	if len(problems) > 0 {
		rep.SpecialSuiteFailureReasons = append(rep.SpecialSuiteFailureReasons, problems...)
		rep.SpecReports = append(rep.SpecReports, types.SpecReport{
			LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed,
			Failure: types.Failure{Message: strings.Join(problems, "\n")},
		})
	}
	return rep
}

// shardRules assigns the rules with selected specs to at most n shards, balancing the number
// of specs (largest rules first, each to the lightest shard). It returns the shards and the
// number of selected specs.
func shardRules(plan report.Summary, n int) ([][]string, int) {
	count := map[string]int{}
	total := 0
	for _, sp := range plan.Specs {
		if sp.Outcome == report.OutcomePassed { // in a dry run, passed means selected
			count[sp.Rule]++
			total++
		}
	}
	rules := make([]string, 0, len(count))
	for id := range count {
		rules = append(rules, id)
	}
	sort.Slice(rules, func(i, j int) bool {
		if count[rules[i]] != count[rules[j]] {
			return count[rules[i]] > count[rules[j]]
		}
		return rules[i] < rules[j]
	})
	if n > len(rules) {
		n = len(rules)
	}
	shards := make([][]string, n)
	load := make([]int, n)
	for _, id := range rules {
		lightest := 0
		for k := range load {
			if load[k] < load[lightest] {
				lightest = k
			}
		}
		shards[lightest] = append(shards[lightest], id)
		load[lightest] += count[id]
	}
	for _, s := range shards {
		sort.Strings(s)
	}
	return shards, total
}

// mergeWorkerReports joins the workers' reports into one: each spec once, taking the worker
// that ran it (the others report it as skipped by their filter).
func mergeWorkerReports(results []workerOutcome) (types.Report, []string) {
	var merged types.Report
	var problems []string
	byName := map[string]int{}
	first := true
	for _, res := range results {
		if res.problem != "" {
			problems = append(problems, res.problem)
		}
		if res.report == nil {
			continue
		}
		rep := *res.report
		if first {
			merged = rep
			merged.SpecReports = nil
			merged.SuiteSucceeded = true
			first = false
		}
		merged.SuiteSucceeded = merged.SuiteSucceeded && rep.SuiteSucceeded
		if rep.StartTime.Before(merged.StartTime) {
			merged.StartTime = rep.StartTime
		}
		if rep.EndTime.After(merged.EndTime) {
			merged.EndTime = rep.EndTime
		}
		merged.SpecialSuiteFailureReasons = append(merged.SpecialSuiteFailureReasons, rep.SpecialSuiteFailureReasons...)
		mergeSpecReports(&merged, rep.SpecReports, byName)
	}
	merged.RunTime = merged.EndTime.Sub(merged.StartTime)
	if len(problems) > 0 {
		merged.SuiteSucceeded = false
	}
	return merged, problems
}

// mergeSpecReports adds one worker's spec reports to merged: a spec once (byName indexes the
// ones already there), the report of the worker that ran it winning over a skip, and suite
// nodes only when they failed.
func mergeSpecReports(merged *types.Report, reports []types.SpecReport, byName map[string]int) {
	for _, sr := range reports {
		if !sr.LeafNodeType.Is(types.NodeTypeIt) {
			if sr.State.Is(types.SpecStateFailureStates) {
				merged.SpecReports = append(merged.SpecReports, sr)
			}
			continue
		}
		name := sr.FullText()
		i, seen := byName[name]
		switch {
		case !seen:
			byName[name] = len(merged.SpecReports)
			merged.SpecReports = append(merged.SpecReports, sr)
		case merged.SpecReports[i].State == types.SpecStateSkipped && sr.State != types.SpecStateSkipped:
			merged.SpecReports[i] = sr
		}
	}
}

// printFailures lists the failed and unchecked specs of a multi-process run on stderr (the
// workers' console output is not shown).
func printFailures(out io.Writer, s report.Summary) {
	for _, sp := range s.Specs {
		if report.IsProblem(sp.Outcome) {
			fmt.Fprintf(out, "  %s [%s] %s\n      %s\n", strings.ToUpper(sp.Outcome), sp.Rule, sp.Name, sp.Cause)
		}
	}
}

// tailFile returns at most n bytes from the end of a file.
func tailFile(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	if len(raw) > n {
		raw = raw[len(raw)-n:]
	}
	return string(raw)
}
