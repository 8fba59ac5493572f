// Package runner performs one conformance run: it resolves the configuration, starts the
// embedded emulator when no target is given, builds the identities, runs the suites with
// Ginkgo (in one process or several), writes the reports and turns the outcome into an exit
// code.
package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
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

// EnvConfigFile is the environment variable that can carry --config.
const EnvConfigFile = "MPSDCONF_CONFIG"

// envPrefix starts every environment variable the harness reads; unknown ones are errors.
const envPrefix = "MPSDCONF_"

// MaxProcs is the most processes one run may use (one identity set each).
const MaxProcs = fixtures.MaxWorkers

// Config is everything one run needs. It is filled from, in increasing precedence: the
// defaults (DefaultConfig), the YAML config file, environment variables and command-line flags
// (see Settings for the name of each field in each source). Runs built in Go may fill it
// directly; zero values of the run settings mean their defaults.
type Config struct {
	// Target is the base URL of the MPSD under test; empty starts the embedded emulator.
	Target string `yaml:"target" json:"target"`
	// EmulatorTokenKey, for a target that is an mpsdconf emulator, mints identities with the
	// emulator's signing key instead of reading Authorization values. A secret.
	EmulatorTokenKey string `yaml:"emulatorTokenKey" json:"-"`
	// ReportDir is where reports are written.
	ReportDir string `yaml:"reportDir" json:"reportDir"`
	// Profile selects rules by evidence: "strict" (every rule) or "documented".
	Profile string `yaml:"profile" json:"profile"`
	// LabelFilter is a Ginkgo label filter, combined (AND) with the profile.
	LabelFilter string `yaml:"labelFilter" json:"labelFilter"`
	// RandomSeed orders the specs; 0 picks one from the clock (recorded in the reports).
	RandomSeed int64 `yaml:"seed" json:"seed"`
	// RandomizeAll shuffles every spec, not only top-level containers.
	RandomizeAll bool `yaml:"randomizeAll" json:"randomizeAll"`
	// Timeout bounds the whole run.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// RequestTimeout bounds each HTTP attempt.
	RequestTimeout Duration `yaml:"requestTimeout" json:"requestTimeout"`
	// Procs is the number of processes the specs are spread over.
	Procs int `yaml:"procs" json:"procs"`
	// TLS configures certificate checks and the client certificate.
	TLS TLSConfig `yaml:"tls" json:"tls"`
	// Proxy is the HTTP proxy URL; empty uses HTTPS_PROXY/HTTP_PROXY/NO_PROXY.
	Proxy string `yaml:"proxy" json:"proxy"`
	// Retry bounds how throttled requests (429, 503 with Retry-After) are retried.
	Retry RetryConfig `yaml:"retry" json:"retry"`
	// RateLimit caps requests per second sent to the target; 0 means no limit.
	RateLimit float64 `yaml:"rateLimit" json:"rateLimit"`
	// World describes the target's test world and identities; empty means the built-in one.
	World fixtures.Environment `yaml:",inline" json:"world"`
	// IdentityPools are extra identity sets for parallel runs against a target whose
	// identities are configured: process k+2 uses pool k (process 1 uses World.Identities).
	IdentityPools []map[string]fixtures.Identity `yaml:"identityPools" json:"identityPools,omitempty"`

	// ConfigFile is the YAML file the configuration was read from (flags and environment only).
	ConfigFile string `yaml:"-" json:"configFile,omitempty"`
	// Faults are switched on in the embedded emulator (self-test only; flags only).
	Faults []string `yaml:"-" json:"faults,omitempty"`
	// Variants are behaviours the contract allows that the embedded emulator shows instead of
	// its reference behaviour (emulator.Variants; flags only).
	Variants []string `yaml:"-" json:"variants,omitempty"`
	// DryRun builds and reports the spec tree without contacting any target.
	DryRun bool `yaml:"-" json:"-"`
	// Verbose prints every spec as it runs.
	Verbose bool `yaml:"-" json:"-"`
	// NoColor disables coloured console output.
	NoColor bool `yaml:"-" json:"-"`
}

// TLSConfig holds the TLS options of the connection to the target.
type TLSConfig struct {
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string `yaml:"caFile" json:"caFile,omitempty"`
	// InsecureSkipVerify turns certificate verification off (test targets only).
	InsecureSkipVerify bool `yaml:"insecureSkipVerify" json:"insecureSkipVerify"`
	// ClientCert and ClientKey are PEM files of a client certificate, given together.
	ClientCert string `yaml:"clientCert" json:"clientCert,omitempty"`
	ClientKey  string `yaml:"clientKey" json:"clientKey,omitempty"`
}

// RetryConfig bounds the retries of throttled requests.
type RetryConfig struct {
	// MaxRetries is the most retries of one request; 0 turns retrying off.
	MaxRetries int `yaml:"maxRetries" json:"maxRetries"`
	// MaxWait is the most time one request may spend waiting for Retry-After.
	MaxWait Duration `yaml:"maxWait" json:"maxWait"`
}

// Duration is a time.Duration written as "30s" or "5m" in YAML and JSON.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// parseDuration reads a positive Go duration ("30s", "5m"), the one form every source takes.
func parseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration like 30s or 5m", s)
	}
	return Duration(v), nil
}

// UnmarshalText parses a Go duration string (JSON).
func (d *Duration) UnmarshalText(b []byte) error {
	// JSON is the harness's own report output, where an unset duration is "0s".
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 30s or 5m", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText renders the duration as a string ("30s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Defaults of the run settings.
const (
	DefaultReportDir      = "reports"
	DefaultTimeout        = 30 * time.Minute
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRetries     = 4
	DefaultMaxRetryWait   = 60 * time.Second
)

// DefaultConfig returns the defaults: embedded emulator, built-in world, strict profile.
func DefaultConfig() Config {
	return Config{
		ReportDir:      DefaultReportDir,
		Profile:        string(catalog.ProfileStrict),
		Timeout:        Duration(DefaultTimeout),
		RequestTimeout: Duration(DefaultRequestTimeout),
		Procs:          1,
		Retry:          RetryConfig{MaxRetries: DefaultMaxRetries, MaxWait: Duration(DefaultMaxRetryWait)},
	}
}

// LoadFile reads a configuration file onto base. Unknown keys are errors that name the key.
func LoadFile(path string, base Config) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("config file: %w", err)
	}
	cfg := base
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return base, fmt.Errorf("config file %s: %s", path, nameYAMLKeys(raw, err))
	}
	if !cfg.World.IsUnset() {
		if err := cfg.World.Validate(); err != nil {
			return base, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	for i, pool := range cfg.IdentityPools {
		w := cfg.World
		if w.IsUnset() {
			w = withContractVersion(fixtures.DefaultEnvironment(), w.ContractVersion)
		}
		w.Identities = pool
		if err := w.Validate(); err != nil {
			return base, fmt.Errorf("config file %s: identityPools[%d]: %w", path, i, err)
		}
	}
	cfg.ConfigFile = path
	return cfg, nil
}

// nameYAMLKeys adds the key path to each "line N: ..." of a YAML decoding error, so that a
// value of the wrong type is reported as "line 3 (procs): cannot unmarshal ...".
func nameYAMLKeys(raw []byte, err error) string {
	var doc yaml.Node
	if yaml.Unmarshal(raw, &doc) != nil {
		return err.Error()
	}
	keys := map[int]string{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for i, c := range n.Content {
				p := prefix
				if n.Kind == yaml.SequenceNode {
					p = fmt.Sprintf("%s[%d]", prefix, i)
				}
				walk(c, p)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if prefix != "" {
					k = prefix + "." + k
				}
				if _, seen := keys[n.Content[i].Line]; !seen {
					keys[n.Content[i].Line] = k
				}
				walk(n.Content[i+1], k)
			}
		}
	}
	walk(&doc, "")
	return lineRef.ReplaceAllStringFunc(err.Error(), func(m string) string {
		var line int
		if _, scanErr := fmt.Sscanf(m, "line %d:", &line); scanErr == nil && keys[line] != "" {
			return fmt.Sprintf("line %d (%s):", line, keys[line])
		}
		return m
	})
}

var lineRef = regexp.MustCompile(`line \d+:`)

// LoadWorld reads only the test world of a configuration file (for `mpsdconf emulate` and
// `mpsdconf sweep`); a file without one yields the built-in world.
func LoadWorld(path string) (fixtures.Environment, error) {
	cfg, err := LoadFile(path, Config{})
	if err != nil {
		return fixtures.Environment{}, err
	}
	return worldOf(cfg), nil
}

// worldOf returns the configured world, or the built-in one (with the configured contract
// version, if any) when the configuration describes none.
func worldOf(cfg Config) fixtures.Environment {
	if cfg.World.IsUnset() {
		return withContractVersion(fixtures.DefaultEnvironment(), cfg.World.ContractVersion)
	}
	return cfg.World
}

func withContractVersion(w fixtures.Environment, v int) fixtures.Environment {
	if v != 0 {
		w.ContractVersion = v
	}
	return w
}

// Redacted returns a copy that is safe to print or write into a report: Authorization values,
// the emulator key and proxy credentials are replaced.
func (c Config) Redacted() Config {
	out := c
	if out.EmulatorTokenKey != "" {
		out.EmulatorTokenKey = redactedMark
	}
	if u, err := url.Parse(out.Proxy); err == nil && u.User != nil {
		out.Proxy = u.Redacted()
	}
	out.World.Identities = redactIdentities(c.World.Identities)
	out.IdentityPools = make([]map[string]fixtures.Identity, len(c.IdentityPools))
	for i, p := range c.IdentityPools {
		out.IdentityPools[i] = redactIdentities(p)
	}
	if len(out.IdentityPools) == 0 {
		out.IdentityPools = nil
	}
	return out
}

const redactedMark = "<redacted>"

func redactIdentities(in map[string]fixtures.Identity) map[string]fixtures.Identity {
	if in == nil {
		return nil
	}
	out := make(map[string]fixtures.Identity, len(in))
	for name, id := range in {
		if id.Authorization != "" {
			id.Authorization = redactedMark
		}
		out[name] = id
	}
	return out
}

// resolved is the configuration after defaults and validation, with derived values.
type resolved struct {
	Config
	world       fixtures.Environment
	embedded    bool
	labelFilter string
	// worker is set in a worker process of a multi-process run.
	worker *workerSpec
}

// resolve fills defaults for zero values and checks every setting, naming the bad one.
func resolve(cfg Config) (resolved, error) {
	def := DefaultConfig()
	r := resolved{Config: cfg, world: worldOf(cfg)}
	if err := r.world.Validate(); err != nil {
		return r, err
	}
	r.embedded = r.Target == ""
	if r.embedded && r.EmulatorTokenKey != "" {
		return r, errors.New("emulatorTokenKey (--emulator-token-key) needs target (--target): the embedded emulator makes its own key")
	}
	if !r.embedded {
		if err := checkTargetURL(r.Target); err != nil {
			return r, err
		}
		if len(cfg.Faults) > 0 {
			return r, errors.New("--fault applies to the embedded emulator only; start `mpsdconf emulate --fault` for a separate one")
		}
		if len(cfg.Variants) > 0 {
			return r, errors.New("--variant applies to the embedded emulator only; start `mpsdconf emulate --variant` for a separate one")
		}
	}
	if r.ReportDir == "" {
		r.ReportDir = def.ReportDir
	}
	if r.Timeout == 0 {
		r.Timeout = def.Timeout
	}
	if r.RequestTimeout == 0 {
		r.RequestTimeout = def.RequestTimeout
	}
	if r.Procs == 0 {
		r.Procs = 1
	}
	switch {
	case r.Timeout < 0:
		return r, errors.New("timeout: must be positive")
	case r.RequestTimeout < 0:
		return r, errors.New("requestTimeout: must be positive")
	case r.Procs < 1 || r.Procs > MaxProcs:
		return r, fmt.Errorf("procs: %d is not between 1 and %d", r.Procs, MaxProcs)
	case r.Retry.MaxRetries < 0:
		return r, errors.New("retry.maxRetries: must not be negative")
	case r.Retry.MaxWait < 0:
		return r, errors.New("retry.maxWait: must not be negative")
	case r.RateLimit < 0:
		return r, errors.New("rateLimit: must not be negative")
	case (r.TLS.ClientCert == "") != (r.TLS.ClientKey == ""):
		return r, errors.New("tls.clientCert and tls.clientKey (--client-cert, --client-key) must be given together")
	}
	if r.Proxy != "" {
		if u, err := url.Parse(r.Proxy); err != nil || u.Host == "" {
			return r, fmt.Errorf("proxy: %q is not a URL like http://host:port", redactURL(r.Proxy))
		}
	}
	if r.RandomSeed == 0 {
		r.RandomSeed = time.Now().UnixNano() % 1_000_000
	}
	if r.Profile == "" {
		r.Profile = def.Profile
	}
	profileFilter, err := catalog.Profile(r.Profile).LabelFilter()
	if err != nil {
		return r, fmt.Errorf("profile: %w", err)
	}
	r.labelFilter = combineFilters(profileFilter, r.LabelFilter)
	return r, nil
}

// checkTargetURL rejects anything but an http(s) URL with a host.
func checkTargetURL(target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target: target URL %q: want http:// or https:// with a host", redactURL(target))
	}
	return nil
}

// redactURL hides credentials in a URL string that may not parse.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		return redactedMark + s[at:]
	}
	return s
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
