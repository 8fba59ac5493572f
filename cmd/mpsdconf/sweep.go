package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/report"
	"github.com/mpsdconf/mpsdconf/sweep"
)

// cmdSweep is `mpsdconf sweep`: it removes the handles and session memberships a run left on
// a target (see sweep.Run). It takes the same settings as `mpsdconf run` (target, config
// file, emulator key, TLS, proxy, retries). Exit 0 when everything is gone, 2 on a usage or
// configuration error or when something could not be cleaned up.
func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf sweep", flag.ContinueOnError)
	settings := config.BindFlags(fs)
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
	cfg, err := config.Load(settings, os.Environ())
	if err == nil {
		err = sweep.Run(ctx, cfg, *runID, *journalPath, stdout)
	}
	// A sweep has no verdict of its own: it passes when everything is gone.
	return finish(stderr, "mpsdconf sweep", report.VerdictPass, err)
}
