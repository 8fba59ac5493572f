// Package config is the configuration of a conformance run: the Config type; the one table of
// settings (Settings) that names each field in the config file, on the command line and in the
// environment; loading from those sources (Load); resolving defaults and validating every
// setting (Resolve); and what a resolved configuration yields: each process's identities and
// the HTTP client. Load, Resolve and those helpers report a bad configuration as an *Error.
package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/xblauth"
)

// Config is everything one run needs. It is filled from, in increasing precedence: the
// defaults (Default), the YAML config file, environment variables and command-line flags
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
	// Shard runs one share of the specs, for runs spread over machines: "K/N" (shard K of N,
	// chosen by each spec's name, see ShardOf) or "index/N" (K from JOB_COMPLETION_INDEX + 1);
	// empty runs every spec.
	Shard string `yaml:"shard" json:"shard,omitempty"`
	// TLS configures certificate checks and the client certificate.
	TLS TLSConfig `yaml:"tls" json:"tls"`
	// Proxy is the HTTP proxy URL; empty uses HTTPS_PROXY/HTTP_PROXY/NO_PROXY.
	Proxy string `yaml:"proxy" json:"proxy"`
	// Retry bounds how throttled requests (429, 503 with Retry-After) are retried.
	Retry RetryConfig `yaml:"retry" json:"retry"`
	// RateLimit caps requests per second sent to the target; 0 means no limit.
	RateLimit float64 `yaml:"rateLimit" json:"rateLimit"`
	// MaxConsecutiveFailures is how many requests in a row may get no response before the run
	// stops sending (the target stopped answering); 0 never stops.
	MaxConsecutiveFailures int `yaml:"maxConsecutiveFailures" json:"maxConsecutiveFailures"`
	// Expectations is the target's expectations file: rules and specs known to fail on it.
	Expectations string `yaml:"expectations" json:"expectations,omitempty"`
	// FailOnUnexpectedPass fails the run when an expectation no longer holds (a stale entry).
	FailOnUnexpectedPass bool `yaml:"failOnUnexpectedPass" json:"failOnUnexpectedPass"`
	// FlakeAttempts retries a failed spec up to this many times; a spec that passes on a retry
	// is reported as flaky. 0 means no retry.
	FlakeAttempts int `yaml:"flakeAttempts" json:"flakeAttempts"`
	// World describes the target's test world and identities; empty means the built-in one.
	World fixtures.Environment `yaml:",inline" json:"world"`
	// IdentityPools are extra identity sets for parallel runs against a target whose
	// identities are configured: process k+2 uses pool k (process 1 uses World.Identities).
	IdentityPools []map[string]fixtures.Identity `yaml:"identityPools" json:"identityPools,omitempty"`
	// XboxLive configures the Xbox Live sign-in shared by every identity configured with
	// xboxLive (a stored refresh token).
	XboxLive XboxLiveConfig `yaml:"xboxLive" json:"xboxLive,omitempty"`
	// CredentialTimeout bounds each sign-in and each run of an authorizationCommand.
	CredentialTimeout Duration `yaml:"credentialTimeout" json:"credentialTimeout"`

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

// XboxLiveConfig is the Xbox Live sign-in of the test title (see README "Running against the
// real MPSD"); the zero value means no identity signs in.
type XboxLiveConfig struct {
	// ClientID is the Microsoft account (Live) application id of the test title.
	ClientID string `yaml:"clientId" json:"clientId,omitempty"`
	// Sandbox is the Xbox Live sandbox (test accounts: a development sandbox such as XDKS.1);
	// RETAIL by default.
	Sandbox string `yaml:"sandbox" json:"sandbox,omitempty"`
	// Flow is "sisu" (device, title and user tokens; the default) or "user" (user token and
	// XSTS only).
	Flow string `yaml:"flow" json:"flow,omitempty"`
	// DeviceType and DeviceVersion describe the device of the sisu flow (Win32, 10.0.0).
	DeviceType    string `yaml:"deviceType" json:"deviceType,omitempty"`
	DeviceVersion string `yaml:"deviceVersion" json:"deviceVersion,omitempty"`
	// Endpoints override the sign-in services' base URLs (for tests and proxies).
	Endpoints xblauth.Endpoints `yaml:"endpoints" json:"endpoints,omitempty"`
}

// IsZero reports whether nothing of the sign-in is configured.
func (x XboxLiveConfig) IsZero() bool { return x == XboxLiveConfig{} }

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
	// DefaultMaxConsecutiveFailures is how many requests in a row may go unanswered before the
	// run stops sending to the target.
	DefaultMaxConsecutiveFailures = 5
	// DefaultCredentialTimeout bounds each sign-in and each run of an authorizationCommand.
	DefaultCredentialTimeout = time.Minute
)

// MaxProcs is the most processes one run may use (one identity set each).
const MaxProcs = fixtures.MaxWorkers

// Default returns the defaults: embedded emulator, built-in world, strict profile.
func Default() Config {
	return Config{
		ReportDir:      DefaultReportDir,
		Profile:        string(catalog.ProfileStrict),
		Timeout:        Duration(DefaultTimeout),
		RequestTimeout: Duration(DefaultRequestTimeout),
		Procs:          1,
		Retry:          RetryConfig{MaxRetries: DefaultMaxRetries, MaxWait: Duration(DefaultMaxRetryWait)},

		CredentialTimeout: Duration(DefaultCredentialTimeout),

		MaxConsecutiveFailures: DefaultMaxConsecutiveFailures,
	}
}
