package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mpsdconf/mpsdconf/runner"
)

// cmdSweep is `mpsdconf sweep`: it removes the handles and session memberships a run left on
// a target (see runner.Sweep). It takes the same settings as `mpsdconf run` (target, config
// file, emulator key, TLS, proxy, retries). Exit 0 when everything is gone, 2 on a usage or
// configuration error or when something could not be cleaned up.
func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf sweep", flag.ContinueOnError)
	settings := runner.BindFlags(fs)
	runID := fs.String("run-id", "", "ID of the run to clean up, as printed by `mpsdconf run` and in its reports (required)")
	journalPath := fs.String("journal", "", "cleanup journal the run kept (reports/journal-<run-id>.jsonl); without it only the run's activity handles and their sessions are found")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mpsdconf sweep --target URL --run-id ID [--journal FILE] [--config FILE | --emulator-token-key KEY] [run settings]\n\n")
		fs.PrintDefaults()
	}
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "mpsdconf sweep: unexpected arguments %q\n", fs.Args())
		return 2
	case *runID == "":
		fmt.Fprintln(stderr, "mpsdconf sweep: --run-id is required: the ID of the run to clean up")
		return 2
	}
	cfg, err := runner.LoadConfig(settings, os.Environ())
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf sweep: configuration error: %v\n", err)
		return 2
	}
	return runner.RunSweep(ctx, cfg, *runID, *journalPath, stdout, stderr)
}
