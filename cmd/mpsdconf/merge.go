package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/mpsdconf/mpsdconf/runner"
)

// cmdMerge is `mpsdconf merge`: it joins the reports of the shards of a run (runner.Merge) and
// exits with the code of the merged verdict, or 2 when the shards cannot be merged.
func cmdMerge(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf merge", flag.ContinueOnError)
	var opts runner.MergeOptions
	fs.StringVar(&opts.ReportDir, "report-dir", "", "directory for the merged reports (required)")
	fs.Func("shards", "the number of shards the run was spread over (--shard K/N): every shard must be there once, with the same seed (default: merge what is there)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("want a whole number of at least 1")
		}
		opts.Shards = n
		return nil
	})
	fs.StringVar(&opts.Expectations, "expectations", "", "the target's expectations file, applied to the merged run (see mpsdconf run --expectations)")
	fs.BoolVar(&opts.FailOnUnexpectedPass, "fail-on-unexpected-pass", false, "fail the merged run when an expectation no longer holds")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mpsdconf merge [--shards N] [--expectations FILE] --report-dir OUT DIR...\n\n"+
			"Joins the reports of the shards of a run (mpsdconf run --shard K/N) into one full set in OUT, with the verdict\n"+
			"and counts of a single run of the same seed. Each DIR is a shard's report directory, or a folder of them.\n\n")
		fs.PrintDefaults()
	}
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	opts.Dirs = fs.Args()
	if opts.ReportDir == "" || len(opts.Dirs) == 0 {
		fmt.Fprintln(stderr, "mpsdconf merge: usage: mpsdconf merge [--shards N] --report-dir OUT DIR...")
		return 2
	}
	summary, err := runner.Merge(opts, stderr)
	return finish(stderr, "mpsdconf merge", summary.Verdict, err)
}
