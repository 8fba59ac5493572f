package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/suites"
)

// failRecorder satisfies ginkgo.GinkgoTestingT outside `go test`.
type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

// Run performs one conformance run and returns the exit code. Progress goes to Ginkgo's
// console reporter (stdout); the run's own messages go to stderr. It may be called once per
// process (a Ginkgo limit).
func Run(ctx context.Context, cfg Config, stderr io.Writer) int {
	r, err := resolve(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return ExitHarness
	}
	if _, err := types.ParseLabelFilter(r.labelFilter); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: label filter %q: %v\n", r.labelFilter, err)
		return ExitHarness
	}
	if r.DryRun {
		return dryRun(r, stderr)
	}
	gc, _ := ginkgo.GinkgoConfiguration()
	if err := selectWorkerWorld(&r, gc); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return ExitHarness
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()

	target, ids, stop, err := prepareTarget(ctx, r)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
		return ExitHarness
	}
	defer stop()

	client, err := mpsdclient.New(target,
		mpsdclient.WithHTTPClient(&http.Client{Timeout: r.RequestTimeout}),
		mpsdclient.WithDefaultContractVersion(r.world.ContractVersion),
		mpsdclient.WithSecrets(ids.Secrets()...),
	)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return ExitHarness
	}
	if err := preflight(ctx, client, ids); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
		return ExitHarness
	}
	meta := Metadata{
		RunID:           newRunID(),
		HarnessVersion:  Version(),
		Target:          client.Redactor().String(target),
		Embedded:        r.embedded,
		ContractVersion: r.world.ContractVersion,
		Profile:         r.Profile,
		LabelFilter:     r.labelFilter,
		RandomSeed:      r.RandomSeed,
		Faults:          r.Faults,
		StartedAt:       time.Now().UTC(),
	}
	if err := suites.Configure(&suites.Env{Client: client, Identities: ids, World: r.world, RunID: meta.RunID}); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return ExitHarness
	}

	suiteConfig, reporterConfig := ginkgoConfig(r)
	var report types.Report
	ginkgo.ReportAfterSuite("collect the run report", func(rep ginkgo.Report) { report = rep })
	fmt.Fprintf(stderr, "mpsdconf: run %s against %s (profile %s, seed %d)\n", meta.RunID, meta.Target, meta.Profile, meta.RandomSeed)
	gomega.RegisterFailHandler(ginkgo.Fail)
	t := &failRecorder{}
	ginkgo.RunSpecs(t, suites.SuiteDescription, suiteConfig, reporterConfig)
	meta.Duration = time.Since(meta.StartedAt)
	if suiteConfig.ParallelProcess > 1 {
		// Under the ginkgo CLI only process 1 receives the aggregated report and writes files.
		if t.failed {
			return ExitFail
		}
		return ExitPass
	}
	meta.RandomSeed = suiteConfig.RandomSeed

	summary := Summarize(meta, report)
	if err := WriteReports(r.ReportDir, report, summary); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: writing reports: %v\n", err)
		return ExitHarness
	}
	fmt.Fprintf(stderr, "mpsdconf: %s; reports in %s\n", summary.Totals.Line(), r.ReportDir)
	return summary.ExitCode()
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

// selectWorkerWorld gives a parallel Ginkgo worker its own identity set: MPSD keeps per-user
// state (one activity per user, SCID and title), so workers must not act as the same users.
// Identities are derived only where the harness mints them (embedded emulator or
// --emulator-token-key); configured identities of a real target cannot be multiplied.
func selectWorkerWorld(r *resolved, sc types.SuiteConfig) error {
	if sc.ParallelTotal <= 1 {
		return nil
	}
	if !r.embedded && r.EmulatorTokenKey == "" {
		return errors.New("parallel processes need one identity set per process; with configured identities run with one process")
	}
	world, err := r.world.ForWorker(sc.ParallelProcess - 1)
	if err != nil {
		return err
	}
	r.world = world
	return nil
}

// prepareTarget starts the embedded emulator when needed and builds the identities.
func prepareTarget(ctx context.Context, r resolved) (target string, ids *identity.Store, stop func(), err error) {
	stop = func() {}
	now := time.Now()
	switch {
	case r.embedded:
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return "", nil, stop, fmt.Errorf("generate emulator key: %w", err)
		}
		ecfg := emulator.ConfigFromEnvironment(r.world, key)
		ecfg.Faults = r.Faults
		url, shutdown, err := StartEmulator(ecfg, "127.0.0.1:0")
		if err != nil {
			return "", nil, stop, err
		}
		ids, err := identity.Mint(r.world, key, now)
		if err != nil {
			shutdown()
			return "", nil, stop, err
		}
		return url, ids, shutdown, nil
	case r.EmulatorTokenKey != "":
		ids, err := identity.Mint(r.world, []byte(r.EmulatorTokenKey), now)
		return r.Target, ids, stop, err
	default:
		ids, err := identity.FromEnvironment(r.world, os.LookupEnv)
		if err != nil {
			return "", nil, stop, fmt.Errorf("configuration error: %w", err)
		}
		return r.Target, ids, stop, nil
	}
}

// StartEmulator serves an emulator on addr and returns its base URL and a stop function.
func StartEmulator(cfg emulator.Config, addr string) (baseURL string, stop func(), err error) {
	emu, err := emulator.New(cfg)
	if err != nil {
		return "", nil, fmt.Errorf("start emulator: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("start emulator: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
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
	sc.Timeout = r.Timeout
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
