package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/report"
)

// runParallel runs the selected specs in r.Procs worker processes, which share them out spec
// by spec as each becomes free (see claims), shows progress while they run, merges their
// reports and writes them as one run.
func runParallel(ctx context.Context, r config.Resolved, stderr io.Writer) (report.Summary, error) {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout.D())
	defer cancel()
	plan, err := buildTree(r, true)
	if err != nil {
		return report.Summary{}, err
	}
	total := selectedSpecs(plan, r.SpecShard)
	if total == 0 {
		return finishRun(r, newMetadata(r, "(nothing selected)"), types.Report{}, report.Cleanup{}, nil, stderr)
	}
	n := min(r.Procs, total)
	sets, err := r.ProcessWorlds(n)
	if err != nil {
		return report.Summary{}, err
	}
	p, err := startParent(r)
	defer p.close()
	if err != nil {
		return report.Summary{}, err
	}
	workers, err := p.prepareWorkers(ctx, sets, stderr)
	if err != nil {
		return report.Summary{}, err
	}
	p.rules = specRules(plan)
	fmt.Fprintf(stderr, "mpsdconf: run %s against %s (profile %s, seed %d%s): %d specs in %d processes\n",
		p.meta.RunID, p.meta.Target, p.meta.Profile, p.meta.RandomSeed, shardNote(r.SpecShard), total, n)
	prog := newProgress(stderr, total)
	results := p.runWorkers(ctx, workers, prog)
	prog.finish()
	rep := p.collect(results)
	var refusals []identity.Refusal
	for _, res := range results {
		refusals = append(refusals, res.refusals...)
	}
	summary, err := finishRun(r, p.meta, rep, checkCleanup(p.journalPath, p.meta.RunID, p.emu), refusals, stderr)
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
	claims      *claims           // which worker runs which spec
	rules       map[string]string // the rule of each selected spec, by full text
	closers     []func()
}

// startParent serves the embedded emulator when the run has no target, makes the workers'
// folder and the report directory, and starts the run's metadata. Call close even after an
// error.
func startParent(r config.Resolved) (*parent, error) {
	p := &parent{r: r, base: r.Config, claims: newClaims()}
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

// workerSet is one worker's identity set and what it is handed of its credentials.
type workerSet struct {
	set         config.IdentitySet
	credentials map[string]identity.State
	secrets     map[string]string
}

// prepareWorkers gets the credentials of every worker's identity set and, against a target of
// the user's, runs the preflight for all of them at once (every identity of every set, before
// any worker starts). The embedded emulator's workers mint their own tokens.
func (p *parent) prepareWorkers(ctx context.Context, sets []config.IdentitySet, stderr io.Writer) ([]workerSet, error) {
	out := make([]workerSet, len(sets))
	for k, set := range sets {
		out[k].set = set
	}
	if p.r.Embedded {
		return out, nil
	}
	creds, err := p.r.Credentials("", warnTo(stderr))
	if err != nil {
		return nil, err
	}
	client, err := p.r.NewClient(p.r.Target, creds.Redactor())
	if err != nil {
		return nil, err
	}
	checked := make([]*checkedSet, len(sets))
	for k, set := range sets {
		ids, err := creds.Store(set, nil)
		if err != nil {
			return nil, err
		}
		checked[k] = &checkedSet{set: set, ids: ids, process: k + 1}
	}
	defer func() { p.meta.Requests = p.meta.Requests.Add(requestStats(client.Stats())) }()
	if err := checkCredentials(ctx, client, checked); err != nil {
		return nil, err
	}
	j, err := openJournal(p.journalPath)
	if err != nil {
		return nil, err
	}
	err = checkSessions(ctx, client, checked, p.r.TestWorld, p.meta.RunID, j, stderr)
	_ = j.Close()
	if err != nil {
		return nil, abandonJournal(err, p.journalPath, p.meta.RunID)
	}
	for k, cs := range checked {
		out[k] = workerSet{set: cs.set, credentials: cs.ids.States(), secrets: workerSecrets(cs.set.World, cs.ids.States())}
	}
	return out, nil
}

// workerSecrets are the values of the environment variables a worker's identities name, as
// the parent has them: the Authorization value it read, the newest refresh token.
func workerSecrets(world fixtures.Environment, states map[string]identity.State) map[string]string {
	out := map[string]string{}
	for name, spec := range world.Identities {
		st, ok := states[name]
		if !ok {
			continue
		}
		if spec.AuthorizationEnv != "" {
			out[spec.AuthorizationEnv] = st.Authorization
		}
		if spec.XboxLive != nil && spec.XboxLive.RefreshTokenEnv != "" && st.RefreshToken != "" {
			out[spec.XboxLive.RefreshTokenEnv] = st.RefreshToken
		}
	}
	return out
}

// runWorkers runs one worker process per identity set, all at once, and waits for them.
func (p *parent) runWorkers(ctx context.Context, workers []workerSet, prog *progress) []workerOutcome {
	results := make([]workerOutcome, len(workers))
	var wg sync.WaitGroup
	for k := range workers {
		w := p.workerSpec(k, len(workers), workers[k])
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[w.Index] = startWorker(ctx, p.exe, w, filepath.Join(p.tmp, fmt.Sprintf("worker-%d.log", w.Index+1)), prog, p.claims)
		}()
	}
	wg.Wait()
	return results
}

// workerSpec is worker k's (of n) instructions: the run's target, shard and seed, its own
// identities and their credentials, its share of the rate limit and of the processors, and
// where to leave its result.
func (p *parent) workerSpec(k, n int, ws workerSet) workerSpec {
	cfg := p.base
	cfg.Procs, cfg.ReportDir, cfg.Faults, cfg.Variants = 1, filepath.Join(p.tmp, fmt.Sprint(k)), nil, nil
	cfg.World = ws.set.World
	cfg.IdentityPools = nil
	cfg.Shard = p.r.SpecShard.String()
	cfg.RateLimit = p.r.RateLimit / float64(n) // the limit holds for the run as a whole
	return workerSpec{Index: k, RunID: p.meta.RunID, Config: cfg,
		ResultFile: filepath.Join(p.tmp, fmt.Sprintf("worker-%d.json", k+1)), JournalFile: p.journalPath,
		ProgressFD: progressFD, ClaimFD: claimFD, AnswerFD: answerFD, CPUs: max(1, runtime.NumCPU()/n),
		SetName: ws.set.Name, Credentials: ws.credentials, Secrets: ws.secrets}
}

// collect merges the workers' reports into the run's (the run's shard only) and adds up their
// requests. A worker that left no result fails the run's suite setup, with the reason.
func (p *parent) collect(results []workerOutcome) types.Report {
	rep, problems := mergeWorkerReports(results)
	rep.SpecReports = append(rep.SpecReports, lostClaims(rep, p.claims.owners(), p.rules)...)
	rep = keepShard(rep, p.r.SpecShard)
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

// selectedSpecs counts the specs of plan (a dry run: passed means selected) in shard.
func selectedSpecs(plan report.Summary, shard config.Shard) int {
	total := 0
	for _, sp := range plan.Specs {
		if sp.Outcome == report.OutcomePassed && shard.Contains(sp.Name) {
			total++
		}
	}
	return total
}

// specRules maps each spec of plan (a dry run) to its rule.
func specRules(plan report.Summary) map[string]string {
	rules := make(map[string]string, len(plan.Specs))
	for _, sp := range plan.Specs {
		rules[sp.Name] = sp.Rule
	}
	return rules
}

// shardNote is ", shard K/N" for a sharded run, else "".
func shardNote(shard config.Shard) string {
	if shard.Count == 0 {
		return ""
	}
	return ", shard " + shard.String()
}

// mergeWorkerReports joins the workers' reports into one, each spec once: the result of the
// worker that ran it; a spec no worker ran (left out by the label filter) once as skipped;
// the claim skips of the other workers dropped. It also returns the workers' problems, and
// any spec two workers both ran (a broken hand-out).
func mergeWorkerReports(results []workerOutcome) (types.Report, []string) {
	m := newSpecMerger(false)
	var problems []string
	for _, res := range results {
		if res.problem != "" {
			problems = append(problems, res.problem)
		}
		if res.report != nil {
			m.add(fmt.Sprintf("worker %d", res.index+1), *res.report)
		}
	}
	merged := m.report()
	problems = append(problems, m.conflicts()...)
	if len(problems) > 0 {
		merged.SuiteSucceeded = false
	}
	return merged, problems
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
