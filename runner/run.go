// Package runner performs one conformance run: it prepares the target (starting the embedded
// emulator when there is none), runs the suites with Ginkgo, in one process or spread over
// worker processes (--procs), collects their outcome, writes the reports and returns the
// run's summary. List shows the spec tree without a target.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/report"
	"github.com/mpsdconf/mpsdconf/suites"
)

// failRecorder satisfies ginkgo.GinkgoTestingT outside `go test`.
type failRecorder struct{ failed bool }

// Fail records that a spec failed.
func (f *failRecorder) Fail() { f.failed = true }

// runConfig is what runSpecs runs: the resolved configuration, the identity set this process
// acts as and, in a worker process of a multi-process run, the worker's instructions.
type runConfig struct {
	config.Resolved
	set    config.IdentitySet
	worker *workerSpec
}

// Run performs one conformance run and returns its summary, whose verdict says whether the
// target conforms, after writing the reports. The error says why the run could not be judged:
// a configuration error (*config.Error) or a harness error (the target could not be prepared
// or reached, the reports could not be written). Progress goes to Ginkgo's console reporter
// (stdout) and to stderr. With cfg.Procs > 1 the specs are spread over worker processes (see
// runParallel). A dry run (cfg.DryRun) reports the selected specs without any target, and
// passes when the spec tree was built. Run may be called once per process (a Ginkgo limit).
func Run(ctx context.Context, cfg config.Config, stderr io.Writer) (report.Summary, error) {
	r, err := config.Resolve(cfg)
	if err != nil {
		return report.Summary{}, err
	}
	if _, err := types.ParseLabelFilter(r.SpecFilter); err != nil {
		return report.Summary{}, config.Errorf("label filter (labelFilter) %q: %w", r.SpecFilter, err)
	}
	if r.DryRun {
		return dryRun(r, stderr)
	}
	if _, err := loadExpectations(r, false); err != nil {
		return report.Summary{}, err
	}
	if r.SharesIdentitiesWithOtherShards() {
		fmt.Fprintf(stderr, "mpsdconf: warning: shard %s acts as the same identities as the other %d shards of this configuration, which has %d identity sets for %d shards of %d processes: do not run the shards at the same time against one target, or give the configuration %d identity sets (identities and identityPools)\n",
			r.SpecShard, r.SpecShard.Count-1, len(r.IdentityPools)+1, r.SpecShard.Count, r.Procs, r.SpecShard.Count*r.Procs)
	}
	gc, _ := ginkgo.GinkgoConfiguration()
	if r.Procs > 1 && gc.ParallelTotal <= 1 {
		return runParallel(ctx, r, stderr)
	}
	set, err := processSet(r, gc)
	if err != nil {
		return report.Summary{}, err
	}
	return runSpecs(ctx, runConfig{Resolved: r, set: set}, stderr)
}

// processSet is the identity set of a run in this one process: under the ginkgo CLI
// (`ginkgo --procs`) the process's own, as runParallel gives its workers theirs; otherwise
// the shard's (a shard acts as its own users where tokens are minted, so shards may run at
// once against one target), or the world's own identities.
func processSet(r config.Resolved, sc types.SuiteConfig) (config.IdentitySet, error) {
	if sc.ParallelTotal > 1 {
		sets, err := r.ProcessWorlds(sc.ParallelTotal)
		if err != nil {
			return config.IdentitySet{}, err
		}
		return sets[sc.ParallelProcess-1], nil
	}
	return r.ShardWorld()
}

// runSpecs runs the selected specs in this process: the whole run, or one worker's share.
func runSpecs(ctx context.Context, rc runConfig, stderr io.Writer) (report.Summary, error) {
	ctx, cancel := context.WithTimeout(ctx, rc.Timeout.D())
	defer cancel()

	tgt, err := prepareTarget(rc, warnTo(stderr))
	if err != nil {
		return report.Summary{}, err
	}
	defer tgt.stop()
	sess, err := startSession(ctx, &rc, tgt, stderr)
	if err != nil {
		return report.Summary{}, err
	}
	defer sess.journal.Close()

	rep, suiteConfig, failed := runGinkgo(rc, sess.meta, stderr)
	meta := sess.meta
	meta.Duration = time.Since(meta.StartedAt)
	meta.Requests = requestStats(sess.client.Stats())
	switch {
	case suiteConfig.ParallelProcess > 1:
		// Under the ginkgo CLI only process 1 receives the aggregated report and writes files.
		return partialSummary(meta, failed), nil
	case rc.worker != nil:
		if err := writeWorkerResult(rc.worker, rep, meta.Requests, tgt.ids.Refusals()); err != nil {
			return report.Summary{}, fmt.Errorf("worker %d: %w", rc.worker.Index+1, err)
		}
		return partialSummary(meta, failed), nil
	}
	meta.RandomSeed = suiteConfig.RandomSeed
	_ = sess.journal.Close()
	cleanup := checkCleanup(sess.journalPath, meta.RunID, tgt.emu)
	return finishRun(rc.Resolved, meta, keepShard(rep, rc.SpecShard), cleanup, tgt.ids.Refusals(), stderr)
}

// warnTo returns a function that prints a warning that does not stop the run, once each.
func warnTo(stderr io.Writer) func(string) {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		if !seen[msg] {
			seen[msg] = true
			fmt.Fprintf(stderr, "mpsdconf: warning: %s\n", msg)
		}
	}
}

// runGinkgo runs the selected specs with the suites configured. It returns Ginkgo's report of
// the run (empty in a ginkgo CLI process after the first), the suite configuration it ran
// with and whether any spec failed. A single process shows Ginkgo's own progress; a worker
// reports each finished spec to its parent, which prints the run's progress.
func runGinkgo(rc runConfig, meta report.Metadata, stderr io.Writer) (types.Report, types.SuiteConfig, bool) {
	suiteConfig, reporterConfig := ginkgoConfig(rc.Resolved)
	var rep types.Report
	ginkgo.ReportAfterSuite("collect the run report", func(r ginkgo.Report) { rep = r })
	if rc.worker != nil {
		prog := newWorkerProgress(rc.worker)
		defer prog.close()
		ginkgo.ReportAfterEach(func(sr ginkgo.SpecReport) { prog.specDone(sr) })
	} else {
		fmt.Fprintf(stderr, "mpsdconf: run %s against %s (profile %s, seed %d%s)\n", meta.RunID, meta.Target, meta.Profile, meta.RandomSeed, shardNote(rc.SpecShard))
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	t := &failRecorder{}
	ginkgo.RunSpecs(t, suites.SuiteDescription, suiteConfig, reporterConfig)
	return rep, suiteConfig, t.failed
}

// partialSummary is the summary of a process that does not write the run's reports (a worker,
// or a ginkgo CLI process after the first): its metadata, and a verdict that says only whether
// its own specs passed.
func partialSummary(meta report.Metadata, failed bool) report.Summary {
	s := report.Summary{Metadata: meta, Verdict: report.VerdictPass}
	if failed {
		s.Verdict = report.VerdictFail
	}
	return s
}

// finishRun writes the reports of a finished run and returns its summary. refusals are the
// identities whose credential the target refused during the run.
func finishRun(r config.Resolved, meta report.Metadata, rep types.Report, cleanup report.Cleanup, refusals []identity.Refusal, stderr io.Writer) (report.Summary, error) {
	summary := report.Summarize(meta, rep)
	for _, ref := range refusals {
		cleanup.RefusedIdentities = append(cleanup.RefusedIdentities, ref.Identity)
	}
	summary.Cleanup = cleanup
	summary.SetCredentialProblems(refusals)
	if r.Expectations != "" {
		ran := make([]string, len(summary.Specs))
		for i, sp := range summary.Specs {
			ran[i] = sp.Name
		}
		f, err := loadExpectations(r, true, ran...)
		if err != nil {
			return summary, err
		}
		summary.ApplyExpectations(r.Expectations, f, r.FailOnUnexpectedPass, time.Now())
	}
	if err := report.WriteReports(r.ReportDir, rep, summary); err != nil {
		return summary, fmt.Errorf("writing reports: %w", err)
	}
	if err := report.WriteGinkgoReport(r.ReportDir, rep); err != nil { // for mpsdconf merge
		return summary, fmt.Errorf("writing reports: %w", err)
	}
	for _, ref := range summary.CredentialProblems {
		fmt.Fprintf(stderr, "mpsdconf: harness error: %s\n", ref)
	}
	causes, byCause := report.SkippedByCause(summary.Specs)
	for _, c := range causes {
		fmt.Fprintf(stderr, "mpsdconf: %d specs skipped: %s\n", len(byCause[c]), c)
	}
	fmt.Fprintf(stderr, "mpsdconf: %s; verdict %s; reports in %s\n", summary.Totals.Line(), summary.Verdict, r.ReportDir)
	if msg := cleanup.Problem(meta.Target, meta.RunID); msg != "" {
		fmt.Fprintf(stderr, "mpsdconf: %s\n", msg)
	}
	return summary, nil
}

// newMetadata starts the metadata of a run from its configuration.
func newMetadata(r config.Resolved, target string) report.Metadata {
	return report.Metadata{
		RunID:           newRunID(),
		HarnessVersion:  Version(),
		Commit:          Commit(),
		Target:          target,
		Embedded:        r.Embedded,
		ContractVersion: r.TestWorld.ContractVersion,
		Profile:         r.Profile,
		LabelFilter:     r.SpecFilter,
		RandomSeed:      r.RandomSeed,
		Procs:           r.Procs,
		Shard:           r.SpecShard.String(),
		Faults:          r.Faults,
		Variants:        r.Variants,
		Config:          r.Config.Redacted(),
		StartedAt:       time.Now().UTC(),
	}
}

// dryRun builds the spec tree and reports every selected spec, without a target. It checks
// nothing, so its verdict is pass once the tree is built.
func dryRun(r config.Resolved, stderr io.Writer) (report.Summary, error) {
	summary, err := buildTree(r, false)
	if err != nil {
		return report.Summary{}, err
	}
	fmt.Fprintf(stderr, "mpsdconf: dry run: %d specs selected\n", summary.Totals.Passed)
	summary.Verdict = report.VerdictPass
	return summary, nil
}

// buildTree runs Ginkgo in dry-run mode: the spec tree is built and every spec the filters
// select is reported as passed, none is executed; only the run's shard is reported. silent
// discards Ginkgo's console output.
func buildTree(r config.Resolved, silent bool) (report.Summary, error) {
	suiteConfig, reporterConfig := ginkgoConfig(r)
	suiteConfig.DryRun = true
	var rep types.Report
	ginkgo.ReportAfterSuite("collect the run report", func(r ginkgo.Report) { rep = r })
	gomega.RegisterFailHandler(ginkgo.Fail)
	if silent {
		saved := formatter.ColorableStdOut
		formatter.ColorableStdOut = io.Discard
		defer func() { formatter.ColorableStdOut = saved }()
	}
	ginkgo.RunSpecs(&failRecorder{}, suites.SuiteDescription, suiteConfig, reporterConfig)
	if errs := suites.RegistrationErrors(); len(errs) > 0 {
		return report.Summary{}, fmt.Errorf("spec registration errors:\n  %s", strings.Join(errs, "\n  "))
	}
	meta := report.Metadata{RunID: "dry-run", HarnessVersion: Version(), Target: "(dry run)", ContractVersion: r.TestWorld.ContractVersion,
		Profile: r.Profile, LabelFilter: r.SpecFilter, RandomSeed: r.RandomSeed, StartedAt: time.Now().UTC()}
	return report.Summarize(meta, keepShard(rep, r.SpecShard)), nil
}

// ginkgoConfig builds the Ginkgo configuration of the run. It starts from Ginkgo's own flags,
// which are defaults unless the suite runs under the ginkgo CLI: there, a parallel worker keeps
// the CLI's process number, host, seed and ordering, which every worker must share.
func ginkgoConfig(r config.Resolved) (types.SuiteConfig, types.ReporterConfig) {
	sc, rc := ginkgo.GinkgoConfiguration()
	sc.LabelFilter = config.CombineFilters(sc.LabelFilter, r.SpecFilter)
	if sc.ParallelTotal <= 1 {
		sc.RandomSeed = r.RandomSeed
		sc.RandomizeAllSpecs = r.RandomizeAll
	}
	sc.Timeout = r.Timeout.D()
	sc.FlakeAttempts = max(sc.FlakeAttempts, r.FlakeAttempts)
	rc.NoColor = rc.NoColor || r.NoColor || os.Getenv("NO_COLOR") != "" || !isTerminal(os.Stdout)
	rc.Verbose = rc.Verbose || r.Verbose
	rc.Succinct = !rc.Verbose
	return sc, rc
}

// newRunID returns a run ID usable inside session names: UTC time plus random hex.
func newRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(time.Now().UTC().Format("20060102t150405")) + "-" + hex.EncodeToString(b[:])
}

// isTerminal reports whether f is a terminal: console colour only goes to one, so CI logs and
// redirected output stay plain.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
