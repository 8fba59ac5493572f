// Package runner performs one conformance run: it resolves the configuration, starts the
// embedded emulator when no target is given, builds the identities, runs the suites with
// Ginkgo, writes the reports and turns the outcome into an exit code.
package runner

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/fixtures"
)

// Exit codes of a run.
const (
	// ExitPass means every selected spec passed.
	ExitPass = 0
	// ExitFail means the target broke at least one rule.
	ExitFail = 1
	// ExitHarness means the run could not check the target: bad configuration, unreachable
	// target, or a harness error. It is never used when a conformance failure was found.
	ExitHarness = 2
)

// EnvTokenKey is the environment variable that can carry --emulator-token-key.
const EnvTokenKey = "MPSD_EMULATOR_TOKEN_KEY"

// Config is everything one run needs. Zero values mean the defaults.
type Config struct {
	// Target is the base URL of the MPSD under test; empty starts the embedded emulator.
	Target string
	// ConfigFile is a YAML file describing the target's test world and identities.
	ConfigFile string
	// EmulatorTokenKey, for a target that is an mpsdconf emulator, mints identities with the
	// emulator's signing key instead of reading Authorization values from the config.
	EmulatorTokenKey string
	// ReportDir is where reports are written (default "reports").
	ReportDir string
	// Profile selects rules by evidence: "strict" (default, every rule) or "documented".
	Profile string
	// LabelFilter is a Ginkgo label filter, combined (AND) with the profile.
	LabelFilter string
	// RandomSeed orders the specs; 0 picks one from the clock (recorded in the reports).
	RandomSeed int64
	// RandomizeAll shuffles every spec, not only top-level containers.
	RandomizeAll bool
	// Timeout bounds the whole run (default 30m).
	Timeout time.Duration
	// RequestTimeout bounds each HTTP request (default 30s).
	RequestTimeout time.Duration
	// Faults are switched on in the embedded emulator (self-test only).
	Faults []string
	// DryRun builds and reports the spec tree without contacting any target.
	DryRun bool
	// Verbose prints every spec as it runs.
	Verbose bool
	// NoColor disables coloured console output.
	NoColor bool
}

// FileConfig is the YAML configuration file: an optional target plus the test world.
type FileConfig struct {
	// Target is used when --target is not given.
	Target               string `yaml:"target,omitempty"`
	fixtures.Environment `yaml:",inline"`
}

// LoadFile reads and validates a configuration file. Unknown keys are errors that name the key.
func LoadFile(path string) (FileConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return FileConfig{}, fmt.Errorf("config file: %w", err)
	}
	var fc FileConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil {
		return FileConfig{}, fmt.Errorf("config file %s: %w", path, err)
	}
	if err := fc.Environment.Validate(); err != nil {
		return FileConfig{}, fmt.Errorf("config file %s: %w", path, err)
	}
	return fc, nil
}

// resolved is the configuration after defaults, the config file and validation.
type resolved struct {
	Config
	world       fixtures.Environment
	embedded    bool
	labelFilter string
}

func resolve(cfg Config) (resolved, error) {
	r := resolved{Config: cfg, world: fixtures.DefaultEnvironment()}
	if cfg.ConfigFile != "" {
		fc, err := LoadFile(cfg.ConfigFile)
		if err != nil {
			return r, err
		}
		r.world = fc.Environment
		if r.Target == "" {
			r.Target = fc.Target
		}
	}
	if r.EmulatorTokenKey == "" {
		r.EmulatorTokenKey = os.Getenv(EnvTokenKey)
	}
	r.embedded = r.Target == ""
	if r.embedded && cfg.EmulatorTokenKey != "" {
		return r, errors.New("--emulator-token-key needs --target: the embedded emulator makes its own key")
	}
	if !r.embedded && len(cfg.Faults) > 0 {
		return r, errors.New("--fault applies to the embedded emulator only; start `mpsdconf emulate --fault` for a separate one")
	}
	if r.ReportDir == "" {
		r.ReportDir = "reports"
	}
	if r.Timeout == 0 {
		r.Timeout = 30 * time.Minute
	}
	if r.RequestTimeout == 0 {
		r.RequestTimeout = 30 * time.Second
	}
	if r.Timeout < 0 || r.RequestTimeout < 0 {
		return r, errors.New("timeouts must be positive")
	}
	if r.RandomSeed == 0 {
		r.RandomSeed = time.Now().UnixNano() % 1_000_000
	}
	profileFilter, err := catalog.Profile(r.Profile).LabelFilter()
	if err != nil {
		return r, err
	}
	if r.Profile == "" {
		r.Profile = string(catalog.ProfileStrict)
	}
	r.labelFilter = combineFilters(profileFilter, r.LabelFilter)
	return r, nil
}

func combineFilters(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	default:
		return "(" + a + ") && (" + b + ")"
	}
}
