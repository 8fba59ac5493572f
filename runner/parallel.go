package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
)

// envWorker carries a worker's instructions (workerSpec as YAML) from the parent process.
const envWorker = "MPSDCONF_WORKER"

// workerSpec is what a worker process of a multi-process run is told to do. Secrets
// (identities' Authorization values, the emulator key) travel in the child's environment,
// never on its command line or in a file.
type workerSpec struct {
	// Index is the worker's number, from 0.
	Index int `yaml:"index"`
	// RunID is the run's ID, shared by every worker.
	RunID string `yaml:"runId"`
	// Config is the run's configuration for this worker: the target (the parent's embedded
	// emulator, if any), the worker's own identities, Procs 1.
	Config Config `yaml:"config"`
	// Rules are the catalog rules whose specs this worker runs.
	Rules []string `yaml:"rules"`
	// ResultFile receives the worker's Ginkgo report and request counts (JSON).
	ResultFile string `yaml:"resultFile"`
	// ProgressFD is the file descriptor of the progress pipe.
	ProgressFD int `yaml:"progressFD"`
	// JournalFile is the run's cleanup journal, shared by every worker.
	JournalFile string `yaml:"journalFile"`
}

// workerResult is what a worker leaves for the parent.
type workerResult struct {
	Report   types.Report `json:"report"`
	Requests RequestStats `json:"requests"`
}

// IsWorker reports whether this process is a worker of a multi-process run.
func IsWorker() bool { return os.Getenv(envWorker) != "" }

// RunWorker runs one worker's share of a multi-process run, as told by the parent through the
// environment, and returns the exit code.
func RunWorker(ctx context.Context, stderr io.Writer) int {
	var w workerSpec
	if err := yaml.Unmarshal([]byte(os.Getenv(envWorker)), &w); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: worker: bad %s: %v\n", envWorker, err)
		return ExitHarness
	}
	r, err := resolve(w.Config)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: worker %d: configuration error: %v\n", w.Index+1, err)
		return ExitHarness
	}
	r.worker = &w
	r.labelFilter = combineFilters(r.labelFilter, "rule: containsAny {"+strings.Join(w.Rules, ", ")+"}")
	return runSpecs(ctx, r, stderr)
}

// runParallel spreads the selected specs over r.Procs worker processes, rule by rule, shows
// progress while they run, merges their reports and writes them as one run.
func runParallel(ctx context.Context, r resolved, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout.D())
	defer cancel()
	plan, err := buildTree(r, true)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
		return ExitHarness
	}
	shards, total := shardRules(plan, r.Procs)
	if total == 0 {
		return finishRun(r, newMetadata(r, "(nothing selected)"), types.Report{}, CleanupReport{}, stderr)
	}
	worlds, err := workerWorlds(r, len(shards))
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return ExitHarness
	}
	base := r.Config
	var emu *emulator.Emulator
	if r.embedded {
		srv, key, err := startEmbedded(r)
		if err != nil {
			fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
			return ExitHarness
		}
		defer srv.Close()
		emu = srv.Emulator
		base.Target, base.EmulatorTokenKey = srv.URL, key
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: find own executable: %v\n", err)
		return ExitHarness
	}
	tmp, err := os.MkdirTemp("", "mpsdconf-workers-")
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: %v\n", err)
		return ExitHarness
	}
	defer os.RemoveAll(tmp)

	meta := newMetadata(r, redactURL(base.Target))
	if r.embedded {
		meta.Target = base.Target + " (embedded emulator)"
	}
	journalPath := journalFile(r.ReportDir, meta.RunID)
	if err := os.MkdirAll(r.ReportDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "mpsdconf: create report directory: %v\n", err)
		return ExitHarness
	}
	fmt.Fprintf(stderr, "mpsdconf: run %s against %s (profile %s, seed %d): %d specs in %d processes\n",
		meta.RunID, meta.Target, meta.Profile, meta.RandomSeed, total, len(shards))
	prog := newProgress(stderr, total)
	results := make([]workerOutcome, len(shards))
	var wg sync.WaitGroup
	for k := range shards {
		cfg := base
		cfg.Procs, cfg.ReportDir, cfg.Faults, cfg.Variants = 1, filepath.Join(tmp, fmt.Sprint(k)), nil, nil
		cfg.World = worlds[k]
		cfg.IdentityPools = nil
		cfg.RateLimit = r.RateLimit / float64(len(shards)) // the limit holds for the run as a whole
		w := workerSpec{Index: k, RunID: meta.RunID, Config: cfg, Rules: shards[k],
			ResultFile: filepath.Join(tmp, fmt.Sprintf("worker-%d.json", k+1)), ProgressFD: 3, JournalFile: journalPath}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[w.Index] = startWorker(ctx, exe, w, filepath.Join(tmp, fmt.Sprintf("worker-%d.log", w.Index+1)), prog)
		}()
	}
	wg.Wait()
	prog.finish()

	report, problems := mergeWorkerReports(results)
	meta.Duration = time.Since(meta.StartedAt)
	for _, res := range results {
		meta.Requests = meta.Requests.add(res.requests)
	}
	if len(problems) > 0 {
		report.SpecialSuiteFailureReasons = append(report.SpecialSuiteFailureReasons, problems...)
		report.SpecReports = append(report.SpecReports, types.SpecReport{
			LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed,
			Failure: types.Failure{Message: strings.Join(problems, "\n")},
		})
	}
	code := finishRun(r, meta, report, checkCleanup(journalPath, meta.RunID, emu), stderr)
	printFailures(stderr, Summarize(meta, report))
	return code
}

// workerOutcome is what the parent learns from one worker.
type workerOutcome struct {
	index    int
	exitCode int
	report   *types.Report
	requests RequestStats
	problem  string
}

// startWorker runs one worker process to its end, forwarding its progress lines.
func startWorker(ctx context.Context, exe string, w workerSpec, logPath string, prog *progress) workerOutcome {
	out := workerOutcome{index: w.Index, exitCode: -1}
	spec, err := yaml.Marshal(w)
	if err != nil {
		out.problem = fmt.Sprintf("worker %d: encode instructions: %v", w.Index+1, err)
		return out
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		out.problem = fmt.Sprintf("worker %d: %v", w.Index+1, err)
		return out
	}
	defer logFile.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		out.problem = fmt.Sprintf("worker %d: progress pipe: %v", w.Index+1, err)
		return out
	}
	cmd := exec.CommandContext(ctx, exe, "run", "--no-color")
	cmd.Env = append(workerEnviron(), envWorker+"="+string(spec))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = []*os.File{pw}
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		out.problem = fmt.Sprintf("worker %d: start %s: %v", w.Index+1, exe, err)
		return out
	}
	pw.Close()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		prog.count(strings.TrimSpace(sc.Text()))
	}
	pr.Close()
	err = cmd.Wait()
	out.exitCode = cmd.ProcessState.ExitCode()
	raw, readErr := os.ReadFile(w.ResultFile)
	var res workerResult
	if readErr == nil {
		readErr = json.Unmarshal(raw, &res)
	}
	if readErr != nil || (out.exitCode != ExitPass && out.exitCode != ExitFail) {
		cause := fmt.Sprintf("exit code %d", out.exitCode)
		if err != nil && ctx.Err() != nil {
			cause = "stopped: " + ctx.Err().Error()
		}
		out.problem = fmt.Sprintf("worker %d (rules %s) ended without a result (%s); its output ends with:\n%s",
			w.Index+1, strings.Join(w.Rules, ", "), cause, tailFile(logPath, 2000))
		return out
	}
	out.report, out.requests = &res.Report, res.Requests
	return out
}

// workerEnviron is this process's environment without the harness's own settings, which the
// worker receives resolved through envWorker instead.
func workerEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) && !strings.HasPrefix(kv, EnvTokenKey+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// writeWorkerResult leaves the worker's report and request counts for the parent.
func writeWorkerResult(w *workerSpec, report types.Report, requests RequestStats) error {
	raw, err := json.Marshal(workerResult{Report: report, Requests: requests})
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	if err := os.WriteFile(w.ResultFile, raw, 0o600); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// shardRules assigns the rules with selected specs to at most n shards, balancing the number
// of specs (largest rules first, each to the lightest shard). It returns the shards and the
// number of selected specs.
func shardRules(plan Summary, n int) ([][]string, int) {
	count := map[string]int{}
	total := 0
	for _, sp := range plan.Specs {
		if sp.Outcome == OutcomePassed { // in a dry run, passed means selected
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

// workerWorlds gives each worker its own identities: derived per worker where the harness
// mints tokens (embedded emulator, emulator key), else from the configured identity pools.
func workerWorlds(r resolved, n int) ([]fixtures.Environment, error) {
	minted := r.embedded || r.EmulatorTokenKey != ""
	if !minted && n-1 > len(r.IdentityPools) {
		return nil, fmt.Errorf("procs: %d processes against a target with configured identities need %d identityPools (one per process after the first), the configuration has %d",
			n, n-1, len(r.IdentityPools))
	}
	worlds := make([]fixtures.Environment, n)
	for k := range worlds {
		switch {
		case minted:
			w, err := r.world.ForWorker(k)
			if err != nil {
				return nil, err
			}
			worlds[k] = w
		default:
			w := r.world
			if k > 0 {
				w.Identities = r.IdentityPools[k-1]
			}
			// Workers receive ready Authorization values: they do not see the variables
			// named by authorizationEnv.
			ids, err := identity.FromEnvironment(w, os.LookupEnv)
			if err != nil {
				return nil, fmt.Errorf("process %d: %w", k+1, err)
			}
			w.Identities = withAuthorizations(w.Identities, ids)
			worlds[k] = w
		}
	}
	return worlds, nil
}

// withAuthorizations copies the identities with each one's Authorization value as the store
// resolved it (authorizationEnv read), and no authorizationEnv.
func withAuthorizations(specs map[string]fixtures.Identity, ids *identity.Store) map[string]fixtures.Identity {
	out := make(map[string]fixtures.Identity, len(specs))
	for name, spec := range specs {
		if id, err := ids.Get(name); err == nil {
			spec.Authorization, spec.AuthorizationEnv = id.Authorization(), ""
		}
		out[name] = spec
	}
	return out
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
		for _, sr := range rep.SpecReports {
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
	merged.RunTime = merged.EndTime.Sub(merged.StartTime)
	if len(problems) > 0 {
		merged.SuiteSucceeded = false
	}
	return merged, problems
}

// printFailures lists the failed and unchecked specs of a multi-process run on stderr (the
// workers' console output is not shown).
func printFailures(out io.Writer, s Summary) {
	for _, sp := range s.Specs {
		if sp.Outcome == OutcomeFailed || sp.Outcome == OutcomeHarnessError || sp.Outcome == OutcomeBlocked {
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
