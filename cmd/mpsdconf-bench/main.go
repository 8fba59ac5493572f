// Command mpsdconf-bench measures the whole-run performance figures of `make bench` with a
// built mpsdconf binary, prints each with its target and a "target met"/"TARGET MISSED"
// verdict, and ends with a summary table and a description of the machine:
//
//   - the whole-run ratio: the suite's spec time against an emulator served by this program
//     over the time a bare net/http client, in its own process like the harness, takes to
//     replay the same requests, in order, against a fresh emulator (target <= 1.5);
//   - the speed-up of `mpsdconf run --procs 2` and `--procs 4` over `--procs 1` (no target);
//   - the emulator's throughput on a mixed handles workload over loopback HTTP, over that of
//     a bare net/http handler under the same load generator (target >= 0.5);
//   - the peak RSS of a whole `mpsdconf run` with its embedded emulator (target < 150 MB) and
//     of `mpsdconf emulate` holding 100,000 handles (target < 300 MB);
//   - the latency floor: `mpsdconf run --procs 1, 4, 8` against an emulator behind a reverse
//     proxy adding 25 ms to every request, each run's wall time over requests × 25 ms / N
//     (target <= 1.25 for 4 and 8).
//
// Usage:
//
//	mpsdconf-bench [--mpsdconf bin/mpsdconf] [--runs 5] [--load-workers 16]
//	               [--load-duration 3s] [--handles 100000] [--handle-workers 8]
//	               [--latency 25ms] [--latency-runs 1] [--timeout 15m]
//
// The exit code is 0 when every figure was measured (whatever the verdicts), 1 when a
// measurement failed (a run that did not pass, a replay or load error) and 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mpsdconf/mpsdconf/cmd/mpsdconf-bench/bench"
)

// options are the command-line settings.
type options struct {
	mpsdconf     string
	runs         int
	loadWorkers  int
	loadDuration time.Duration
	handles      int
	memWorkers   int
	latency      time.Duration
	latencyRuns  int
	timeout      time.Duration
}

// parseOptions reads the flags. done is true when the program should exit with code.
func parseOptions(args []string, stderr io.Writer) (o options, done bool, code int) {
	fs := flag.NewFlagSet("mpsdconf-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.mpsdconf, "mpsdconf", "bin/mpsdconf", "the mpsdconf binary to measure")
	fs.IntVar(&o.runs, "runs", 5, "repetitions of each timed run (medians are reported)")
	fs.IntVar(&o.loadWorkers, "load-workers", 16, "concurrent workers of the load generator")
	fs.DurationVar(&o.loadDuration, "load-duration", 3*time.Second, "how long each load run lasts")
	fs.IntVar(&o.handles, "handles", 100_000, "handles the emulator holds for the memory figure")
	fs.IntVar(&o.memWorkers, "handle-workers", 8, "concurrent clients creating those handles")
	fs.DurationVar(&o.latency, "latency", 25*time.Millisecond, "latency the proxy of the latency-floor figure adds to every request")
	fs.IntVar(&o.latencyRuns, "latency-runs", 1, "repetitions of each run of the latency-floor figure (about 50s each at 25ms)")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "limit for the whole measurement")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, true, 0
		}
		return o, true, 2
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if o.runs < 1 {
		problems = append(problems, "--runs must be at least 1")
	}
	if o.loadWorkers < 1 || o.memWorkers < 1 {
		problems = append(problems, "--load-workers and --handle-workers must be at least 1")
	}
	if o.loadDuration <= 0 || o.timeout <= 0 || o.latency <= 0 {
		problems = append(problems, "--load-duration, --latency and --timeout must be positive")
	}
	if o.latencyRuns < 1 {
		problems = append(problems, "--latency-runs must be at least 1")
	}
	if o.handles < 1 {
		problems = append(problems, "--handles must be at least 1")
	}
	if o.mpsdconf == "" {
		problems = append(problems, "--mpsdconf is required")
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "mpsdconf-bench: %s\n", strings.Join(problems, "; "))
		return o, true, 2
	}
	return o, false, 0
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == replaySubcommand {
		// The bare replay of figure 2, in its own process (see bench.Settings.Replayer).
		if err := bench.ReplayFile(context.Background(), os.Args[2], os.Args[3], os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "mpsdconf-bench %s: %v\n", replaySubcommand, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// replaySubcommand makes the program replay a recorded log (LOG-FILE BASE-URL) and print the
// result as JSON: the bare client of the whole-run ratio, run as a separate process.
const replaySubcommand = "replay-recorded-log"

// run measures every figure and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	o, done, code := parseOptions(args, stderr)
	if done {
		return code
	}
	bin, err := filepath.Abs(o.mpsdconf)
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf-bench: the mpsdconf binary: %v (run `make build` first)\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	tmp, err := os.MkdirTemp("", "mpsdconf-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf-bench: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf-bench: %v\n", err)
		return 1
	}
	m := bench.NewMeasurer(bench.Settings{
		Binary: bin, TempDir: tmp, Runs: o.runs, Replayer: []string{self, replaySubcommand},
		LoadWorkers: o.loadWorkers, LoadDuration: o.loadDuration,
		Handles: o.handles, HandleWorkers: o.memWorkers,
		Latency: o.latency, LatencyRuns: o.latencyRuns,
		Out: stdout,
	})
	machine := bench.DescribeMachine()
	fmt.Fprintf(stdout, "mpsdconf-bench on %s\n", machine)
	sections := []struct {
		title string
		fn    func(context.Context) error
	}{
		{"2. Whole-run ratio: suite spec time / bare replay of its requests", m.ReplayRatio},
		{"3. Speed-up of mpsdconf run --procs 1 -> 2, 4 (embedded emulator)", m.Speedup},
		{"4. Emulator throughput on a mixed handles workload / bare net/http handler", m.Throughput},
		{"5a. Peak memory of a whole mpsdconf run (embedded emulator in the same process)", m.RunMemory},
		{fmt.Sprintf("5b. Peak memory of mpsdconf emulate holding %d handles", o.handles), m.HandlesMemory},
		{fmt.Sprintf("6. Latency floor: mpsdconf run --procs 1, 4, 8 against an emulator behind a proxy adding %s", o.latency), m.LatencyFloor},
	}
	failed := 0
	for _, s := range sections {
		fmt.Fprintf(stdout, "\n== %s\n", s.title)
		if err := s.fn(ctx); err != nil {
			failed++
			fmt.Fprintf(stdout, "ERROR: %v\n", err)
		}
	}
	fmt.Fprintf(stdout, "\n== Summary (the Go benchmarks of section 1 are printed above)\n")
	if err := bench.WriteSummary(stdout, machine, m.Figures()); err != nil {
		fmt.Fprintf(stderr, "mpsdconf-bench: %v\n", err)
		return 1
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "mpsdconf-bench: %d measurement(s) failed; see ERROR above\n", failed)
		return 1
	}
	return 0
}
