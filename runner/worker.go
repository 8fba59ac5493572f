package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/report"
)

// The worker protocol of a multi-process run: the parent starts its own executable as
// `run --no-color` with the worker's instructions (workerSpec, YAML) in config.EnvWorker, a
// progress pipe as file descriptor 3 and a pair of claim pipes as 4 (claims, to the parent)
// and 5 (answers, from it). The worker runs the whole spec tree in the run's order, claiming
// each spec from the parent before it runs it and skipping the specs another worker claimed
// first (see claims), writes one line per finished spec (its outcome class) to the progress
// pipe, leaves its Ginkgo report and request counts in ResultFile, and exits with the code of
// its verdict (report.ExitPass or report.ExitFail); any other exit means it did not finish.

// workerSpec is what a worker process of a multi-process run is told to do. Secrets
// (identities' Authorization values, the emulator key) travel in the child's environment,
// never on its command line or in a file.
type workerSpec struct {
	// Index is the worker's number, from 0.
	Index int `yaml:"index"`
	// RunID is the run's ID, shared by every worker.
	RunID string `yaml:"runId"`
	// Config is the run's configuration for this worker: the target (the parent's embedded
	// emulator, if any), the worker's own identities, Procs 1, the run's shard resolved (K/N).
	Config config.Config `yaml:"config"`
	// ResultFile receives the worker's Ginkgo report and request counts (JSON).
	ResultFile string `yaml:"resultFile"`
	// ProgressFD is the file descriptor of the progress pipe.
	ProgressFD int `yaml:"progressFD"`
	// ClaimFD and AnswerFD are the file descriptors of the claim pipes: the worker writes
	// its claims to ClaimFD and reads the parent's answers from AnswerFD.
	ClaimFD  int `yaml:"claimFD"`
	AnswerFD int `yaml:"answerFD"`
	// CPUs is the worker's share of the machine's processors: its GOMAXPROCS, set in its
	// environment unless GOMAXPROCS is set already.
	CPUs int `yaml:"cpus"`
	// JournalFile is the run's cleanup journal, shared by every worker.
	JournalFile string `yaml:"journalFile"`
	// SetName names the worker's identity set in messages ("identityPools[1]").
	SetName string `yaml:"setName,omitempty"`
	// Credentials are the credentials the parent fetched for the worker's identities in its
	// preflight, by identity name: the worker starts from them instead of signing in again.
	Credentials map[string]identity.State `yaml:"credentials,omitempty"`
	// Secrets are the values of the environment variables the worker's identities name
	// (authorizationEnv, xboxLive.refreshTokenEnv), as the parent read them (a rotated
	// refresh token only the parent knows included).
	Secrets map[string]string `yaml:"secrets,omitempty"`
}

// workerResult is what a worker leaves for the parent.
type workerResult struct {
	Report   types.Report        `json:"report"`
	Requests report.RequestStats `json:"requests"`
	// Refusals are the worker's identities whose credential the target refused.
	Refusals []identity.Refusal `json:"refusals,omitempty"`
}

// IsWorker reports whether this process is a worker of a multi-process run.
func IsWorker() bool { return os.Getenv(config.EnvWorker) != "" }

// RunWorker runs one worker's share of a multi-process run, as told by the parent through the
// environment. Its summary holds only the worker's metadata and whether the worker's own specs
// passed (report.VerdictPass or report.VerdictFail): the parent reads the full result from the
// file it named. The error says why the worker could not run its share.
func RunWorker(ctx context.Context, stderr io.Writer) (report.Summary, error) {
	var w workerSpec
	if err := yaml.Unmarshal([]byte(os.Getenv(config.EnvWorker)), &w); err != nil {
		return report.Summary{}, fmt.Errorf("worker: bad %s: %w", config.EnvWorker, err)
	}
	r, err := config.Resolve(w.Config)
	if err != nil {
		return report.Summary{}, fmt.Errorf("worker %d: %w", w.Index+1, err)
	}
	set := config.IdentitySet{World: r.TestWorld, Name: w.SetName}
	return runSpecs(ctx, runConfig{Resolved: r, set: set, worker: &w}, stderr)
}

// workerOutcome is what the parent learns from one worker.
type workerOutcome struct {
	index    int
	exitCode int
	report   *types.Report
	requests report.RequestStats
	refusals []identity.Refusal
	problem  string
}

// startWorker runs one worker process to its end, answering its claims from cl and
// forwarding its progress lines.
func startWorker(ctx context.Context, exe string, w workerSpec, logPath string, prog *progress, cl *claims) workerOutcome {
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
	pipes, err := openWorkerPipes()
	if err != nil {
		out.problem = fmt.Sprintf("worker %d: pipes: %v", w.Index+1, err)
		return out
	}
	cmd := exec.CommandContext(ctx, exe, "run", "--no-color")
	cmd.Env = append(workerEnviron(), config.EnvWorker+"="+string(spec))
	if _, set := os.LookupEnv("GOMAXPROCS"); !set && w.CPUs > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", w.CPUs))
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = pipes.child
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Start()
	pipes.closeChildEnds()
	if err != nil {
		pipes.close()
		out.problem = fmt.Sprintf("worker %d: start %s: %v", w.Index+1, exe, err)
		return out
	}
	served := make(chan struct{})
	go func() { defer close(served); cl.serve(w.Index, pipes.claims, pipes.answers) }()
	sc := bufio.NewScanner(pipes.progress)
	for sc.Scan() {
		prog.count(strings.TrimSpace(sc.Text()))
	}
	err = cmd.Wait()
	pipes.close()
	<-served
	out.exitCode = cmd.ProcessState.ExitCode()
	return readWorkerResult(ctx, w, logPath, err, out)
}

// readWorkerResult completes out from the result file of a worker that ended (waitErr is what
// waiting for it returned): the worker finished when it left a readable result and exited with
// the code of a verdict, else out says why not, with the end of its output.
func readWorkerResult(ctx context.Context, w workerSpec, logPath string, waitErr error, out workerOutcome) workerOutcome {
	raw, readErr := os.ReadFile(w.ResultFile)
	var res workerResult
	if readErr == nil {
		readErr = json.Unmarshal(raw, &res)
	}
	if readErr != nil || (out.exitCode != report.ExitPass && out.exitCode != report.ExitFail) {
		cause := fmt.Sprintf("exit code %d", out.exitCode)
		if waitErr != nil && ctx.Err() != nil {
			cause = "stopped: " + ctx.Err().Error()
		}
		out.problem = fmt.Sprintf("worker %d ended without a result (%s); its output ends with:\n%s",
			w.Index+1, cause, tailFile(logPath, 2000))
		return out
	}
	out.report, out.requests, out.refusals = &res.Report, res.Requests, res.Refusals
	return out
}

// workerEnviron is this process's environment without the harness's own settings, which the
// worker receives resolved through config.EnvWorker instead.
func workerEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, config.EnvPrefix) && !strings.HasPrefix(kv, config.EnvTokenKey+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// writeWorkerResult leaves the worker's report, request counts and refused credentials for
// the parent.
func writeWorkerResult(w *workerSpec, rep types.Report, requests report.RequestStats, refusals []identity.Refusal) error {
	raw, err := json.Marshal(workerResult{Report: dropForeignSkips(rep), Requests: requests, Refusals: refusals})
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	if err := os.WriteFile(w.ResultFile, raw, 0o600); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// dropForeignSkips leaves out the specs that another worker or shard runs: the parent would
// drop them, and with their events and the skip's stack trace they would make most of the
// result. (The parent knows which worker claimed which spec.)
func dropForeignSkips(rep types.Report) types.Report {
	specs := make([]types.SpecReport, 0, len(rep.SpecReports))
	for _, sr := range rep.SpecReports {
		if !isForeignSkip(sr) {
			specs = append(specs, sr)
		}
	}
	rep.SpecReports = specs
	return rep
}
