package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/mpsdconf/mpsdconf/runner"
	"github.com/mpsdconf/mpsdconf/selftest"
)

// cmdSelfTest is `mpsdconf selftest`: the kill matrix (see selftest.Run).
func cmdSelfTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg selftest.Config
	fs := matrixFlags("selftest", "selftest.json", &cfg.MatrixConfig)
	fs.Var((*multiFlag)(&cfg.Faults), "fault", "self-test only this fault (repeatable; default: every fault)")
	if code, ok := parseMatrixFlags(fs, args, &cfg.MatrixConfig, stderr); !ok {
		return code
	}
	rep, err := selftest.Run(ctx, cfg, stdout)
	return finish(stdout, "selftest", rep.Verdict(), err)
}

// cmdTolerance runs the tolerance matrix: the documented profile against every emulator
// variant (each a behaviour the contract allows) must pass; the strict profile's result is
// reported.
func cmdTolerance(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg selftest.ToleranceConfig
	fs := matrixFlags("tolerance", "tolerance.json, tolerance.md", &cfg.MatrixConfig)
	fs.Var((*multiFlag)(&cfg.Variants), "variant", "run only this variant (repeatable; default: every variant)")
	if code, ok := parseMatrixFlags(fs, args, &cfg.MatrixConfig, stderr); !ok {
		return code
	}
	rep, err := selftest.Tolerance(ctx, cfg, stdout)
	return finish(stdout, "tolerance", rep.Verdict(), err)
}

// matrixFlags is the flag set of a matrix command (selftest, tolerance): the report directory
// (which receives reportFile), the runs at once and the seed.
func matrixFlags(command, reportFile string, cfg *selftest.MatrixConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("mpsdconf "+command, flag.ContinueOnError)
	fs.StringVar(&cfg.ReportDir, "report-dir", "reports", "directory for "+reportFile+" and the reports of each run")
	fs.IntVar(&cfg.Parallel, "parallel", runtime.NumCPU(), "runs at once")
	fs.Int64Var(&cfg.Seed, "seed", 1, "spec order seed used by every run")
	return fs
}

// parseMatrixFlags parses a matrix command's flags and sets the binary each run uses (this
// executable) and its version; ok is false when the command must stop with code.
func parseMatrixFlags(fs *flag.FlagSet, args []string, cfg *selftest.MatrixConfig, stderr io.Writer) (code int, ok bool) {
	if done, code := parseFlags(fs, args, stderr); done {
		return code, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return 2, false
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2, false
	}
	cfg.Binary, cfg.HarnessVersion = exe, runner.Version()
	return 0, true
}
