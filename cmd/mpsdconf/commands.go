package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/runner"
	"github.com/mpsdconf/mpsdconf/schemas"
)

// cmdRun is `mpsdconf run` (see runner.Run), or a worker's share of a multi-process run.
func cmdRun(ctx context.Context, args []string, stderr io.Writer) int {
	if runner.IsWorker() {
		summary, err := runner.RunWorker(ctx, stderr)
		return finish(stderr, "mpsdconf", summary.Verdict, err)
	}
	fs := flag.NewFlagSet("mpsdconf run", flag.ContinueOnError)
	settings := config.BindFlags(fs)
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
	cfg, err := config.Load(settings, os.Environ())
	if err != nil {
		return finish(stderr, "mpsdconf", "", err)
	}
	cfg.Faults, cfg.Variants, cfg.DryRun, cfg.Verbose, cfg.NoColor = faults, variants, dryRun, verbose, noColor
	summary, err := runner.Run(ctx, cfg, stderr)
	return finish(stderr, "mpsdconf", summary.Verdict, err)
}

// cmdEmulate is `mpsdconf emulate`: it serves the reference emulator until interrupted.
func cmdEmulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf emulate", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	tokenKey := fs.String("token-key", "", "key that signs test tokens (or $"+config.EnvTokenKey+"; default: a random key, printed to stderr)")
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
		w, err := config.LoadWorld(*configFile)
		if err != nil {
			fmt.Fprintf(stderr, "mpsdconf emulate: %v\n", err)
			return 2
		}
		world = w
	}
	key := *tokenKey
	if key == "" {
		key = os.Getenv(config.EnvTokenKey)
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

// cmdValidate is `mpsdconf validate`: JSON files against one of the project's schemas.
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

// cmdList is `mpsdconf list`: the catalog's rules with the specs that check them.
func cmdList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf list", flag.ContinueOnError)
	var cfg config.Config
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

// cmdVersion is `mpsdconf version`.
func cmdVersion(stdout io.Writer) int {
	fmt.Fprintf(stdout, "mpsdconf %s\n", runner.Version())
	return 0
}
