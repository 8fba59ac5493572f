package config

import (
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// EnvTokenKey is the environment variable that can carry --emulator-token-key.
const EnvTokenKey = "MPSD_EMULATOR_TOKEN_KEY"

// EnvConfigFile is the environment variable that can carry --config.
const EnvConfigFile = "MPSDCONF_CONFIG"

// EnvPrefix starts every environment variable the harness reads; unknown ones are errors.
const EnvPrefix = "MPSDCONF_"

// EnvWorker is not a setting: it is reserved for the instructions a multi-process run gives
// its worker processes (see runner.IsWorker).
const EnvWorker = "MPSDCONF_WORKER"

// Setting is one field of Config as it is named in each source: the YAML key of the config
// file, the command-line flag and the environment variable. Settings() is the one table that
// drives flag registration, environment lookup and the README's configuration reference.
type Setting struct {
	// Key is the YAML path of the field in the config file ("tls.caFile"); empty for --config.
	Key string
	// Flag is the command-line flag, without dashes.
	Flag string
	// Env is the environment variable.
	Env string
	// Usage says what the field does and its default.
	Usage string
	// field returns a pointer to the field in c.
	field func(c *Config) any
}

// Settings returns every configurable field of a run, in documentation order.
func Settings() []Setting {
	d := Default()
	return []Setting{
		{"target", "target", "MPSDCONF_TARGET", "base URL of the MPSD under test (default: start the embedded emulator)",
			func(c *Config) any { return &c.Target }},
		{"", "config", EnvConfigFile, "YAML config file: run settings, the target's test world and identities",
			func(c *Config) any { return &c.ConfigFile }},
		{"emulatorTokenKey", "emulator-token-key", EnvTokenKey, "signing key of an mpsdconf emulator target: mint identities instead of reading Authorization values (secret)",
			func(c *Config) any { return &c.EmulatorTokenKey }},
		{"contractVersion", "contract-version", "MPSDCONF_CONTRACT_VERSION", "X-Xbl-Contract-Version the suites send: 104, 105 or 107 (default 107)",
			func(c *Config) any { return &c.World.ContractVersion }},
		{"reportDir", "report-dir", "MPSDCONF_REPORT_DIR", "directory for the reports (default " + d.ReportDir + ")",
			func(c *Config) any { return &c.ReportDir }},
		{"profile", "profile", "MPSDCONF_PROFILE", "rules to run by evidence: strict (doc, wire and inferred) or documented (doc and wire) (default " + d.Profile + ")",
			func(c *Config) any { return &c.Profile }},
		{"labelFilter", "label-filter", "MPSDCONF_LABEL_FILTER", "Ginkgo label filter ANDed with the profile, e.g. 'endpoint: containsAny handles-query'",
			func(c *Config) any { return &c.LabelFilter }},
		{"seed", "seed", "MPSDCONF_SEED", "random seed for spec order (default: from the clock; recorded in the reports)",
			func(c *Config) any { return &c.RandomSeed }},
		{"randomizeAll", "randomize-all", "MPSDCONF_RANDOMIZE_ALL", "shuffle every spec, not only top-level containers (default false)",
			func(c *Config) any { return &c.RandomizeAll }},
		{"procs", "procs", "MPSDCONF_PROCS", fmt.Sprintf("processes to spread the specs over, 1 to %d (default 1)", MaxProcs),
			func(c *Config) any { return &c.Procs }},
		{"shard", "shard", "MPSDCONF_SHARD", "run one share of the specs across machines: K/N (shard K of N, by each spec's name) or index/N (K from $JOB_COMPLETION_INDEX + 1); merge the shards' reports with mpsdconf merge (default: every spec)",
			func(c *Config) any { return &c.Shard }},
		{"timeout", "timeout", "MPSDCONF_TIMEOUT", "limit for the whole run (default " + d.Timeout.D().String() + ")",
			func(c *Config) any { return &c.Timeout }},
		{"requestTimeout", "request-timeout", "MPSDCONF_REQUEST_TIMEOUT", "limit for each HTTP attempt (default " + d.RequestTimeout.D().String() + ")",
			func(c *Config) any { return &c.RequestTimeout }},
		{"tls.caFile", "ca-file", "MPSDCONF_CA_FILE", "PEM file of CA certificates trusted besides the system roots",
			func(c *Config) any { return &c.TLS.CAFile }},
		{"tls.insecureSkipVerify", "insecure-skip-verify", "MPSDCONF_INSECURE_SKIP_VERIFY", "do not verify the target's certificate (test targets only; default false)",
			func(c *Config) any { return &c.TLS.InsecureSkipVerify }},
		{"tls.clientCert", "client-cert", "MPSDCONF_CLIENT_CERT", "PEM file of a client certificate (with --client-key)",
			func(c *Config) any { return &c.TLS.ClientCert }},
		{"tls.clientKey", "client-key", "MPSDCONF_CLIENT_KEY", "PEM file of the client certificate's key (with --client-cert)",
			func(c *Config) any { return &c.TLS.ClientKey }},
		{"proxy", "proxy", "MPSDCONF_PROXY", "HTTP proxy URL (default: from HTTPS_PROXY, HTTP_PROXY and NO_PROXY)",
			func(c *Config) any { return &c.Proxy }},
		{"retry.maxRetries", "max-retries", "MPSDCONF_MAX_RETRIES", fmt.Sprintf("retries of a throttled request (429, or 503 with Retry-After); 0 turns retrying off (default %d)", d.Retry.MaxRetries),
			func(c *Config) any { return &c.Retry.MaxRetries }},
		{"retry.maxWait", "max-retry-wait", "MPSDCONF_MAX_RETRY_WAIT", "most time one request may wait for Retry-After in all (default " + d.Retry.MaxWait.D().String() + ")",
			func(c *Config) any { return &c.Retry.MaxWait }},
		{"rateLimit", "rate-limit", "MPSDCONF_RATE_LIMIT", "most requests per second sent to the target, for shared targets (default 0: no limit)",
			func(c *Config) any { return &c.RateLimit }},
		{"maxConsecutiveFailures", "max-consecutive-failures", "MPSDCONF_MAX_CONSECUTIVE_FAILURES", fmt.Sprintf("requests in a row without any response after which the run stops sending: the target stopped answering (default %d; 0 never stops)", d.MaxConsecutiveFailures),
			func(c *Config) any { return &c.MaxConsecutiveFailures }},
		{"expectations", "expectations", "MPSDCONF_EXPECTATIONS", "YAML file of the rules and specs expected to fail (or be blocked or skipped) on this target: expected outcomes do not fail the run",
			func(c *Config) any { return &c.Expectations }},
		{"failOnUnexpectedPass", "fail-on-unexpected-pass", "MPSDCONF_FAIL_ON_UNEXPECTED_PASS", "fail the run when an expectation no longer holds, so stale entries get removed (default false)",
			func(c *Config) any { return &c.FailOnUnexpectedPass }},
		{"credentialTimeout", "credential-timeout", "MPSDCONF_CREDENTIAL_TIMEOUT", "limit for each Xbox Live sign-in and each run of an authorizationCommand (default " + d.CredentialTimeout.D().String() + ")",
			func(c *Config) any { return &c.CredentialTimeout }},
		{"flakeAttempts", "flake-attempts", "MPSDCONF_FLAKE_ATTEMPTS", "retry a failed spec up to N times; one that passes on a retry is reported as flaky (default 0: no retry)",
			func(c *Config) any { return &c.FlakeAttempts }},
	}
}

// internalEnv are environment variables with the harness prefix that are not settings.
var internalEnv = map[string]bool{EnvWorker: true}

// FlagValues collects the settings given on the command line, as raw strings.
type FlagValues struct{ set map[string]string }

// BindFlags registers every setting as a flag of fs. Parse fs, then pass the values to
// Load: only flags that were given override the other sources.
func BindFlags(fs *flag.FlagSet) *FlagValues {
	v := &FlagValues{set: map[string]string{}}
	for _, s := range Settings() {
		name := s.Flag
		record := func(raw string) error { v.set[name] = raw; return nil }
		var probe Config
		if _, isBool := s.field(&probe).(*bool); isBool {
			fs.BoolFunc(name, s.Usage, record)
		} else {
			fs.Func(name, s.Usage, record)
		}
	}
	return v
}

// Load builds the configuration from the defaults, the config file (named by --config or
// MPSDCONF_CONFIG), the environment (environ, as os.Environ returns it) and the flags, each
// overriding the one before. Unknown keys, unknown MPSDCONF_ variables and bad values are
// errors (*Error) that name the key, variable or flag.
func Load(flags *FlagValues, environ []string) (Config, error) {
	cfg, err := load(flags, environ)
	return cfg, NewError(err)
}

func load(flags *FlagValues, environ []string) (Config, error) {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if flags == nil {
		flags = &FlagValues{set: map[string]string{}}
	}

	cfg := Default()
	path := env[EnvConfigFile]
	if p, ok := flags.set["config"]; ok {
		path = p
	}
	if path != "" {
		var err error
		if cfg, err = LoadFile(path, cfg); err != nil {
			return Config{}, err
		}
	}
	if err := checkUnknownEnv(env, cfg); err != nil {
		return Config{}, err
	}
	keyFromEnvOnly := false
	for _, s := range Settings() {
		raw, ok := env[s.Env]
		if !ok || raw == "" || s.Flag == "config" {
			continue
		}
		if err := setField(s.field(&cfg), raw); err != nil {
			return Config{}, fmt.Errorf("environment variable %s: %w", s.Env, err)
		}
		if s.Env == EnvTokenKey {
			keyFromEnvOnly = true
		}
	}
	for _, s := range Settings() {
		raw, ok := flags.set[s.Flag]
		if !ok {
			continue
		}
		if err := setField(s.field(&cfg), raw); err != nil {
			return Config{}, fmt.Errorf("flag --%s: %w", s.Flag, err)
		}
		if s.Env == EnvTokenKey {
			keyFromEnvOnly = false
		}
	}
	if keyFromEnvOnly && cfg.Target == "" {
		// The variable is meant for runs against a separate emulator; the embedded one
		// makes its own key.
		cfg.EmulatorTokenKey = ""
	}
	return cfg, nil
}

// checkUnknownEnv rejects MPSDCONF_ variables that are neither settings nor named by an
// identity's authorizationEnv or xboxLive.refreshTokenEnv (a typo would otherwise be silently
// ignored).
func checkUnknownEnv(env map[string]string, cfg Config) error {
	known := map[string]bool{}
	for _, s := range Settings() {
		known[s.Env] = true
	}
	for _, pool := range append([]map[string]fixtures.Identity{cfg.World.Identities}, cfg.IdentityPools...) {
		for _, id := range pool {
			known[id.AuthorizationEnv] = true
			if id.XboxLive != nil {
				known[id.XboxLive.RefreshTokenEnv] = true
			}
		}
	}
	var unknown []string
	for k := range env {
		if strings.HasPrefix(k, EnvPrefix) && !known[k] && !internalEnv[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown environment variable %s (known: %s)", strings.Join(unknown, ", "), strings.Join(knownEnvNames(), ", "))
	}
	return nil
}

func knownEnvNames() []string {
	var names []string
	for _, s := range Settings() {
		if strings.HasPrefix(s.Env, EnvPrefix) {
			names = append(names, s.Env)
		}
	}
	return names
}

// setField parses raw into the field p points to.
func setField(p any, raw string) error {
	raw = strings.TrimSpace(raw)
	switch f := p.(type) {
	case *string:
		*f = raw
	case *bool:
		v, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		*f = v
	case *int:
		v, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		*f = v
	case *int64:
		v, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		*f = v
	case *float64:
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", raw)
		}
		*f = v
	case *Duration:
		v, err := parseDuration(raw)
		if err != nil {
			return err
		}
		*f = v
	default:
		return fmt.Errorf("unsupported setting type %T", p)
	}
	return nil
}
