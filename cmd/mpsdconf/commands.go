package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/runner"
	"github.com/mpsdconf/mpsdconf/schemas"
)

func cmdRun(ctx context.Context, args []string, stderr io.Writer) int {
	if runner.IsWorker() {
		return runner.RunWorker(ctx, stderr)
	}
	fs := flag.NewFlagSet("mpsdconf run", flag.ContinueOnError)
	settings := runner.BindFlags(fs)
	var faults, variants multiFlag
	var dryRun, verbose, noColor bool
	fs.Var(&faults, "fault", "switch on an emulator fault in the embedded emulator (repeatable; self-test)")
	fs.Var(&variants, "variant", "switch on an emulator variant, a behaviour the contract allows, in the embedded emulator (repeatable; see mpsdconf emulate --list-variants)")
	fs.BoolVar(&dryRun, "dry-run", false, "list the selected specs without contacting any target")
	fs.BoolVar(&verbose, "v", false, "print every spec as it runs")
	fs.BoolVar(&noColor, "no-color", false, "disable coloured output")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mpsdconf run [flags]\n\nSettings come from flags, then MPSDCONF_* environment variables, then the --config file, then defaults.\n\n")
		fs.PrintDefaults()
	}
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mpsdconf run: unexpected arguments %q\n", fs.Args())
		return 2
	}
	cfg, err := runner.LoadConfig(settings, os.Environ())
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf: configuration error: %v\n", err)
		return 2
	}
	cfg.Faults, cfg.Variants, cfg.DryRun, cfg.Verbose, cfg.NoColor = faults, variants, dryRun, verbose, noColor
	return runner.Run(ctx, cfg, stderr)
}

func cmdEmulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf emulate", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	tokenKey := fs.String("token-key", "", "key that signs test tokens (or $"+runner.EnvTokenKey+"; default: a random key, printed to stderr)")
	configFile := fs.String("config", "", "YAML file describing the test world (SCID, templates, identities, social graph)")
	listFaults := fs.Bool("list-faults", false, "list the fault switches and the rule each one breaks, then exit")
	listVariants := fs.Bool("list-variants", false, "list the variant switches (behaviours the contract allows), their aspect and source, then exit")
	throttleEvery := fs.Int("throttle-every", 0, "answer every Nth request 429 with Retry-After, unapplied, like a throttled MPSD (0: never)")
	retryAfter := fs.Duration("retry-after", time.Second, "Retry-After of throttled requests (whole seconds)")
	inventory := fs.Bool("inventory", false, "serve GET "+emulator.InventoryPath+": every stored session and handle as JSON, unauthenticated (tests and debugging)")
	var faults, variants multiFlag
	fs.Var(&faults, "fault", "switch on a fault (repeatable)")
	fs.Var(&variants, "variant", "switch on a variant, a behaviour the contract allows (repeatable)")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if *throttleEvery < 0 || *retryAfter < 0 {
		fmt.Fprintln(stderr, "mpsdconf emulate: --throttle-every and --retry-after must not be negative")
		return 2
	}
	if *listFaults {
		for _, f := range emulator.Faults() {
			fmt.Fprintf(stdout, "%-36s %-28s %s\n", f.Name, f.Rule, f.Description)
		}
		return 0
	}
	if *listVariants {
		for _, v := range emulator.Variants() {
			fmt.Fprintf(stdout, "%-28s %-18s %s\n%-28s %-18s source: %s\n", v.Name, v.Aspect, v.Description, "", "", v.Source)
		}
		return 0
	}
	world := fixtures.DefaultEnvironment()
	if *configFile != "" {
		w, err := runner.LoadWorld(*configFile)
		if err != nil {
			fmt.Fprintf(stderr, "mpsdconf emulate: %v\n", err)
			return 2
		}
		world = w
	}
	key := *tokenKey
	if key == "" {
		key = os.Getenv(runner.EnvTokenKey)
	}
	if key == "" {
		generated, err := emulator.NewKey()
		if err != nil {
			fmt.Fprintf(stderr, "mpsdconf emulate: %v\n", err)
			return 2
		}
		key = generated
		fmt.Fprintf(stderr, "no --token-key given; generated test key %s\n", key)
	}
	cfg := emulator.ConfigFromEnvironment(world, []byte(key))
	cfg.Faults = faults
	cfg.Variants = variants
	cfg.Inventory = *inventory
	cfg.ThrottleEvery, cfg.ThrottleRetryAfter = *throttleEvery, *retryAfter
	srv, err := emulator.NewServer(cfg, *listen)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf emulate: %v\n", err)
		return 2
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "listening on %s\n", srv.URL)
	if f, ok := stdout.(*os.File); ok {
		_ = f.Sync()
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "mpsdconf emulate: stopping")
	return 0
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf validate", flag.ContinueOnError)
	schema := fs.String("schema", "", "schema name, one of: "+fmt.Sprint(schemas.Names()))
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if *schema == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "mpsdconf validate: usage: mpsdconf validate --schema NAME FILE...")
		return 2
	}
	invalid, err := schemas.ValidateFiles(stdout, *schema, fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf validate: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "%d valid, %d invalid\n", fs.NArg()-invalid, invalid)
	if invalid > 0 {
		return 1
	}
	return 0
}

func cmdList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf list", flag.ContinueOnError)
	var cfg runner.Config
	format := fs.String("format", runner.FormatText, "output format: text, json or yaml")
	fs.StringVar(&cfg.Profile, "profile", "strict", "rules to list by evidence: strict or documented")
	fs.StringVar(&cfg.LabelFilter, "label-filter", "", "Ginkgo label filter, ANDed with the profile")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mpsdconf list: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := runner.WriteList(io.Discard, nil, *format); err != nil {
		fmt.Fprintf(stderr, "mpsdconf list: %v\n", err)
		return 2
	}
	rules, err := runner.List(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf list: %v\n", err)
		return 2
	}
	if err := runner.WriteList(stdout, rules, *format); err != nil {
		fmt.Fprintf(stderr, "mpsdconf list: %v\n", err)
		return 2
	}
	return 0
}

func cmdSelfTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg runner.SelfTestConfig
	var faults multiFlag
	fs := matrixFlags("selftest", "selftest.json", &cfg.MatrixConfig)
	fs.Var(&faults, "fault", "self-test only this fault (repeatable; default: every fault)")
	if code, ok := parseMatrixFlags(fs, args, &cfg.MatrixConfig, stderr); !ok {
		return code
	}
	cfg.Faults = faults
	return runner.SelfTest(ctx, cfg, stdout)
}

// matrixFlags is the flag set of a matrix command (selftest, tolerance): the report directory
// (which receives reportFile), the runs at once and the seed.
func matrixFlags(command, reportFile string, cfg *runner.MatrixConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("mpsdconf "+command, flag.ContinueOnError)
	fs.StringVar(&cfg.ReportDir, "report-dir", "reports", "directory for "+reportFile+" and the reports of each run")
	fs.IntVar(&cfg.Parallel, "parallel", runtime.NumCPU(), "runs at once")
	fs.Int64Var(&cfg.Seed, "seed", 1, "spec order seed used by every run")
	return fs
}

// parseMatrixFlags parses a matrix command's flags and sets the binary each run uses (this
// executable); ok is false when the command must stop with code.
func parseMatrixFlags(fs *flag.FlagSet, args []string, cfg *runner.MatrixConfig, stderr io.Writer) (code int, ok bool) {
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
	cfg.Binary = exe
	return 0, true
}

func cmdVersion(stdout io.Writer) int {
	fmt.Fprintf(stdout, "mpsdconf %s\n", runner.Version())
	return 0
}
