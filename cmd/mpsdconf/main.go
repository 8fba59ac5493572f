// Command mpsdconf runs the MPSD handles conformance suites, serves the reference emulator, and
// validates JSON bodies against the project's schemas.
//
//	mpsdconf run       [--target URL --config FILE | --emulator-token-key KEY] [--report-dir DIR] ...
//	mpsdconf merge     [--shards N] --report-dir OUT DIR...
//	mpsdconf emulate   [--listen ADDR] [--token-key KEY] [--config FILE] [--fault NAME]...
//	mpsdconf list      [--format text|json|yaml] [--profile P] [--label-filter EXPR]
//	mpsdconf selftest  [--report-dir DIR] [--parallel N] [--fault NAME]...
//	mpsdconf tolerance [--report-dir DIR] [--parallel N] [--variant NAME]...
//	mpsdconf login     --identity NAME [--pool N] [--config FILE] [--print]
//	mpsdconf validate  --schema NAME FILE...
//	mpsdconf version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `mpsdconf: conformance harness for the MPSD handles API

Usage:
  mpsdconf run       run the conformance suites (against the embedded emulator unless --target)
  mpsdconf merge     join the reports of the shards of a run (run --shard K/N) into one set
  mpsdconf emulate   serve the reference emulator
  mpsdconf list      list the catalog's rules with their evidence, statement and specs
  mpsdconf selftest  prove every spec can fail: run the suite against each emulator fault
  mpsdconf tolerance prove no doc/wire spec fails a conformant service: the documented profile
                     against each emulator variant (a behaviour the contract allows)
  mpsdconf sweep     remove what a crashed run left on a target (--target URL --run-id ID)
  mpsdconf login     sign an Xbox Live test account in once (--identity NAME --config FILE) for unattended runs
  mpsdconf expectations  write a starting expectations file from a run (--from report.json)
  mpsdconf diff      compare two runs' report.json: regressions, fixes, ... (exit 1 on a regression)
  mpsdconf history   a grid of rules x runs over folders of report.json files (HTML + Markdown)
  mpsdconf validate  validate JSON files against a schema
  mpsdconf version   print the harness version

Run 'mpsdconf COMMAND -h' for a command's flags.
Exit codes: 0 pass, 1 conformance failure (or invalid file), 2 usage, configuration or harness error.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stderr)
	case "merge":
		return cmdMerge(args[1:], stderr)
	case "emulate":
		return cmdEmulate(ctx, args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "list":
		return cmdList(args[1:], stdout, stderr)
	case "selftest":
		return cmdSelfTest(ctx, args[1:], stdout, stderr)
	case "tolerance":
		return cmdTolerance(ctx, args[1:], stdout, stderr)
	case "sweep":
		return cmdSweep(ctx, args[1:], stdout, stderr)
	case "login":
		return cmdLogin(ctx, args[1:], stdout, stderr)
	case "expectations":
		return cmdExpectations(args[1:], stdout, stderr)
	case "diff":
		return cmdDiff(args[1:], stdout, stderr)
	case "history":
		return cmdHistory(args[1:], stdout, stderr)
	case "version":
		return cmdVersion(stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "mpsdconf: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// parseFlags parses a command's flags; it returns done=true with the exit code when the
// command should stop (help requested or a usage error).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (done bool, code int) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, 0
		}
		return true, 2
	}
	return false, 0
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

// String returns the values, comma-separated.
func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set adds one value; an empty one is an error.
func (m *multiFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty value")
	}
	*m = append(*m, v)
	return nil
}
