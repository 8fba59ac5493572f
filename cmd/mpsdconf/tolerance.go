package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/mpsdconf/mpsdconf/runner"
)

// cmdTolerance runs the tolerance matrix: the documented profile against every emulator
// variant (each a behaviour the contract allows) must pass; the strict profile's result is
// reported.
func cmdTolerance(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf tolerance", flag.ContinueOnError)
	var cfg runner.ToleranceConfig
	var variants multiFlag
	fs.StringVar(&cfg.ReportDir, "report-dir", "reports", "directory for tolerance.json, tolerance.md and the reports of each run")
	fs.IntVar(&cfg.Parallel, "parallel", runtime.NumCPU(), "runs at once")
	fs.Int64Var(&cfg.Seed, "seed", 1, "spec order seed used by every run")
	fs.Var(&variants, "variant", "run only this variant (repeatable; default: every variant)")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mpsdconf tolerance: unexpected arguments %q\n", fs.Args())
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf tolerance: %v\n", err)
		return 2
	}
	cfg.Binary = exe
	cfg.Variants = variants
	return runner.Tolerance(ctx, cfg, stdout)
}
