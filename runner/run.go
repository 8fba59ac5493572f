package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/schemas"
	"github.com/mpsdconf/mpsdconf/suites"
)

// failRecorder satisfies ginkgo.GinkgoTestingT outside `go test`.
type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

// Run performs one conformance run and returns the exit code. Progress goes to Ginkgo's
// console reporter (stdout) and to stderr; the run's own messages go to stderr. With
// cfg.Procs > 1 the specs are spread over worker processes (see runParallel). Run may be
// called once per process (a Ginkgo limit).
func Run(ctx context.Context, cfg Config, stderr io.Writer) int {
	r, err := resolve(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return ExitHarness
	}
	if _, err := types.ParseLabelFilter(r.labelFilter); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: label filter (labelFilter) %q: %v\n", r.labelFilter, err)
		return ExitHarness
	}
	if r.DryRun {
		return dryRun(r, stderr)
	}
	gc, _ := ginkgo.GinkgoConfiguration()
	if r.Procs > 1 && gc.ParallelTotal <= 1 {
		return runParallel(ctx, r, stderr)
	}
	if err := selectWorkerWorld(&r, gc); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return ExitHarness
	}
	return runSpecs(ctx, r, stderr)
}

// runSpecs runs the selected specs in this process: the whole run, or one worker's share.
func runSpecs(ctx context.Context, r resolved, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout.D())
	defer cancel()

	tgt, err := prepareTarget(r)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
		return ExitHarness
	}
	defer tgt.stop()
	target, ids := tgt.url, tgt.ids

	client, err := newClient(r, target, ids)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return ExitHarness
	}
	if err := preflight(ctx, client, ids); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
		return ExitHarness
	}
	if err := schemas.Compile(); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
		return ExitHarness
	}
	meta := newMetadata(r, client.Redactor().String(target))
	journalPath := journalFile(r.ReportDir, meta.RunID)
	process := 0
	if r.worker != nil {
		meta.RunID, journalPath, process = r.worker.RunID, r.worker.JournalFile, r.worker.Index+1
	}
	jrnl, err := openJournal(journalPath)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
		return ExitHarness
	}
	defer jrnl.Close()
	if err := suites.Configure(&suites.Env{Client: client, Identities: ids, World: r.world, RunID: meta.RunID,
		Journal: jrnl, Process: process}); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return ExitHarness
	}

	suiteConfig, reporterConfig := ginkgoConfig(r)
	var report types.Report
	ginkgo.ReportAfterSuite("collect the run report", func(rep ginkgo.Report) { report = rep })
	// A single process shows Ginkgo's own progress; a worker reports each finished spec to
	// its parent, which prints the run's progress.
	if r.worker != nil {
		prog := newWorkerProgress(r.worker)
		defer prog.close()
		ginkgo.ReportAfterEach(func(sr ginkgo.SpecReport) { prog.specDone(sr) })
	}
	if r.worker == nil {
		fmt.Fprintf(stderr, "mpsdconf: run %s against %s (profile %s, seed %d)\n", meta.RunID, meta.Target, meta.Profile, meta.RandomSeed)
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	t := &failRecorder{}
	ginkgo.RunSpecs(t, suites.SuiteDescription, suiteConfig, reporterConfig)
	meta.Duration = time.Since(meta.StartedAt)
	meta.Requests = requestStats(client.Stats())
	if suiteConfig.ParallelProcess > 1 {
		// Under the ginkgo CLI only process 1 receives the aggregated report and writes files.
		if t.failed {
			return ExitFail
		}
		return ExitPass
	}
	if r.worker != nil {
		if err := writeWorkerResult(r.worker, report, meta.Requests); err != nil {
			fmt.Fprintf(stderr, "mpsdconf: worker %d: %v\n", r.worker.Index+1, err)
			return ExitHarness
		}
		if t.failed {
			return ExitFail
		}
		return ExitPass
	}
	meta.RandomSeed = suiteConfig.RandomSeed
	_ = jrnl.Close()
	cleanup := checkCleanup(journalPath, meta.RunID, tgt.emu)
	return finishRun(r, meta, report, cleanup, stderr)
}

// finishRun writes the reports of a finished run and returns its exit code.
func finishRun(r resolved, meta Metadata, report types.Report, cleanup CleanupReport, stderr io.Writer) int {
	summary := Summarize(meta, report)
	summary.Cleanup = cleanup
	if err := WriteReports(r.ReportDir, report, summary); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: writing reports: %v\n", err)
		return ExitHarness
	}
	fmt.Fprintf(stderr, "mpsdconf: %s; verdict %s; reports in %s\n", summary.Totals.Line(), summary.Verdict, r.ReportDir)
	if msg := cleanup.Problem(meta.Target, meta.RunID); msg != "" {
		fmt.Fprintf(stderr, "mpsdconf: %s\n", msg)
	}
	return summary.ExitCode()
}

// newClient builds the run's one HTTP client from the network, retry and rate settings.
func newClient(r resolved, target string, ids *identity.Store) (*mpsdclient.Client, error) {
	httpClient, err := mpsdclient.NewHTTPClient(mpsdclient.NetworkOptions{
		CAFile:             r.TLS.CAFile,
		InsecureSkipVerify: r.TLS.InsecureSkipVerify,
		ClientCertFile:     r.TLS.ClientCert,
		ClientKeyFile:      r.TLS.ClientKey,
		ProxyURL:           r.Proxy,
		RequestTimeout:     r.RequestTimeout.D(),
	})
	if err != nil {
		return nil, err
	}
	return mpsdclient.New(target,
		mpsdclient.WithHTTPClient(httpClient),
		mpsdclient.WithDefaultContractVersion(r.world.ContractVersion),
		mpsdclient.WithSecrets(ids.Secrets()...),
		mpsdclient.WithSecrets(r.EmulatorTokenKey),
		mpsdclient.WithRetryPolicy(mpsdclient.RetryPolicy{
			MaxRetries: r.Retry.MaxRetries, MaxWait: r.Retry.MaxWait.D(), DefaultBackoff: time.Second,
		}),
		mpsdclient.WithRateLimit(r.RateLimit),
	)
}

// newMetadata starts the metadata of a run from its configuration.
func newMetadata(r resolved, target string) Metadata {
	return Metadata{
		RunID:           newRunID(),
		HarnessVersion:  Version(),
		Commit:          Commit(),
		Target:          target,
		Embedded:        r.embedded,
		ContractVersion: r.world.ContractVersion,
		Profile:         r.Profile,
		LabelFilter:     r.labelFilter,
		RandomSeed:      r.RandomSeed,
		Procs:           r.Procs,
		Faults:          r.Faults,
		Variants:        r.Variants,
		Config:          r.Config.Redacted(),
		StartedAt:       time.Now().UTC(),
	}
}

// dryRun builds the spec tree and reports every selected spec, without a target.
func dryRun(r resolved, stderr io.Writer) int {
	summary, err := buildTree(r, false)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
		return ExitHarness
	}
	fmt.Fprintf(stderr, "mpsdconf: dry run: %d specs selected\n", summary.Totals.Passed)
	return ExitPass
}

// buildTree runs Ginkgo in dry-run mode: the spec tree is built and every spec the filters
// select is reported as passed, none is executed. silent discards Ginkgo's console output.
func buildTree(r resolved, silent bool) (Summary, error) {
	suiteConfig, reporterConfig := ginkgoConfig(r)
	suiteConfig.DryRun = true
	var report types.Report
	ginkgo.ReportAfterSuite("collect the run report", func(rep ginkgo.Report) { report = rep })
	gomega.RegisterFailHandler(ginkgo.Fail)
	if silent {
		saved := formatter.ColorableStdOut
		formatter.ColorableStdOut = io.Discard
		defer func() { formatter.ColorableStdOut = saved }()
	}
	ginkgo.RunSpecs(&failRecorder{}, suites.SuiteDescription, suiteConfig, reporterConfig)
	if errs := suites.RegistrationErrors(); len(errs) > 0 {
		return Summary{}, fmt.Errorf("spec registration errors:\n  %s", strings.Join(errs, "\n  "))
	}
	meta := Metadata{RunID: "dry-run", HarnessVersion: Version(), Target: "(dry run)", ContractVersion: r.world.ContractVersion,
		Profile: r.Profile, LabelFilter: r.labelFilter, RandomSeed: r.RandomSeed, StartedAt: time.Now().UTC()}
	return Summarize(meta, report), nil
}

// selectWorkerWorld gives a worker of the ginkgo CLI (`ginkgo --procs`) its own identity set,
// as runParallel does for its workers: MPSD keeps per-user state (one activity per user, SCID
// and title), so workers must not act as the same users.
func selectWorkerWorld(r *resolved, sc types.SuiteConfig) error {
	if sc.ParallelTotal <= 1 {
		return nil
	}
	worlds, err := workerWorlds(*r, sc.ParallelTotal)
	if err != nil {
		return err
	}
	r.world = worlds[sc.ParallelProcess-1]
	return nil
}

// preparedTarget is the target of a run (or of one worker) and the identities to call it with.
type preparedTarget struct {
	url  string
	ids  *identity.Store
	emu  *emulator.Emulator // the embedded emulator, if this process serves it
	stop func()
}

// prepareTarget starts the embedded emulator when needed and builds the identities.
func prepareTarget(r resolved) (preparedTarget, error) {
	t := preparedTarget{url: r.Target, stop: func() {}}
	now := time.Now()
	switch {
	case r.embedded:
		srv, key, err := startEmbedded(r)
		if err != nil {
			return t, err
		}
		ids, err := identity.Mint(r.world, []byte(key), now)
		if err != nil {
			srv.Close()
			return t, err
		}
		return preparedTarget{url: srv.URL, ids: ids, emu: srv.Emulator, stop: srv.Close}, nil
	default:
		ids, err := targetIdentities(r, r.world)
		if err != nil {
			return t, fmt.Errorf("configuration error: %w", err)
		}
		t.ids = ids
		return t, nil
	}
}

// targetIdentities builds the identities of world for a target: minted with the emulator key
// when one is configured, else from the configured Authorization values.
func targetIdentities(r resolved, world fixtures.Environment) (*identity.Store, error) {
	if r.EmulatorTokenKey != "" {
		return identity.Mint(world, []byte(r.EmulatorTokenKey), time.Now())
	}
	return identity.FromEnvironment(world, os.LookupEnv)
}

// startEmbedded serves the embedded emulator of run r (its world, faults and variants) on a
// free loopback port, signing tokens with a new key, which it returns.
func startEmbedded(r resolved) (*emulator.Server, string, error) {
	key, err := emulator.NewKey()
	if err != nil {
		return nil, "", err
	}
	ecfg := emulator.ConfigFromEnvironment(r.world, []byte(key))
	ecfg.Faults = r.Faults
	ecfg.Variants = r.Variants
	srv, err := emulator.NewServer(ecfg, "")
	return srv, key, err
}

// preflight checks that the target answers HTTP at all, so an unreachable target is reported
// once as a harness error instead of as a failure of every spec.
func preflight(ctx context.Context, client *mpsdclient.Client, ids *identity.Store) error {
	user, err := ids.Get("user1")
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = client.Do(pctx, http.MethodGet, "/handles/00000000-0000-0000-0000-000000000000",
		mpsdclient.WithAuthorization(user.Authorization()))
	if err != nil {
		if errors.Is(err, mpsdclient.ErrTransport) {
			return fmt.Errorf("target %s is unreachable: %v", client.BaseURL(), client.Redactor().String(err.Error()))
		}
		return err
	}
	return nil
}

// ginkgoConfig builds the Ginkgo configuration of the run. It starts from Ginkgo's own flags,
// which are defaults unless the suite runs under the ginkgo CLI: there, a parallel worker keeps
// the CLI's process number, host, seed and ordering, which every worker must share.
func ginkgoConfig(r resolved) (types.SuiteConfig, types.ReporterConfig) {
	sc, rc := ginkgo.GinkgoConfiguration()
	sc.LabelFilter = combineFilters(sc.LabelFilter, r.labelFilter)
	if sc.ParallelTotal <= 1 {
		sc.RandomSeed = r.RandomSeed
		sc.RandomizeAllSpecs = r.RandomizeAll
	}
	sc.Timeout = r.Timeout.D()
	rc.NoColor = rc.NoColor || r.NoColor
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
