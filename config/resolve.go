package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/fixtures"
)

// Resolved is a configuration after defaults and validation, with the values derived from it.
type Resolved struct {
	Config
	// TestWorld is the world the run uses: the configured one, else the built-in one.
	TestWorld fixtures.Environment
	// Embedded is true when there is no target: the run serves the embedded emulator.
	Embedded bool
	// SpecFilter is the Ginkgo label filter that selects the specs: the profile's filter
	// combined (AND) with LabelFilter.
	SpecFilter string
	// SpecShard is the share of the specs the run runs (Shard resolved, "index/N" read from
	// JOB_COMPLETION_INDEX); the zero value runs every spec.
	SpecShard Shard
}

// Resolve fills defaults for zero values and checks every setting, naming the bad one. Its
// errors are *Error.
func Resolve(cfg Config) (Resolved, error) {
	r, err := resolve(cfg)
	return r, NewError(err)
}

func resolve(cfg Config) (Resolved, error) {
	r := Resolved{Config: cfg, TestWorld: worldOf(cfg)}
	if err := r.TestWorld.Validate(); err != nil {
		return r, err
	}
	r.Embedded = r.Target == ""
	if err := checkTarget(r); err != nil {
		return r, err
	}
	if !r.minted() {
		if err := checkIdentitySets(r.TestWorld.Identities, r.IdentityPools); err != nil {
			return r, err
		}
	}
	r.fillDefaults()
	if err := checkValues(r); err != nil {
		return r, err
	}
	shard, err := ParseShard(r.Shard, os.Getenv)
	if err != nil {
		return r, err
	}
	r.SpecShard = shard
	if r.RandomSeed == 0 {
		r.RandomSeed = time.Now().UnixNano() % 1_000_000
	}
	profileFilter, err := catalog.Profile(r.Profile).LabelFilter()
	if err != nil {
		return r, fmt.Errorf("profile: %w", err)
	}
	r.SpecFilter = CombineFilters(profileFilter, r.LabelFilter)
	return r, nil
}

// checkTarget checks the settings that depend on whether there is a target: the emulator key
// needs one, faults and variants apply to the embedded emulator only.
func checkTarget(r Resolved) error {
	if r.Embedded && r.EmulatorTokenKey != "" {
		return errors.New("emulatorTokenKey (--emulator-token-key) needs target (--target): the embedded emulator makes its own key")
	}
	if r.Embedded {
		return nil
	}
	if err := checkTargetURL(r.Target); err != nil {
		return err
	}
	if len(r.Faults) > 0 {
		return errors.New("--fault applies to the embedded emulator only; start `mpsdconf emulate --fault` for a separate one")
	}
	if len(r.Variants) > 0 {
		return errors.New("--variant applies to the embedded emulator only; start `mpsdconf emulate --variant` for a separate one")
	}
	return nil
}

// fillDefaults sets the defaults of the run settings left at zero.
func (r *Resolved) fillDefaults() {
	def := Default()
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
	if r.Profile == "" {
		r.Profile = def.Profile
	}
	if r.CredentialTimeout == 0 {
		r.CredentialTimeout = def.CredentialTimeout
	}
}

// checkValues rejects values out of range and settings given without their partner.
func checkValues(r Resolved) error {
	switch {
	case r.Timeout < 0:
		return errors.New("timeout: must be positive")
	case r.RequestTimeout < 0:
		return errors.New("requestTimeout: must be positive")
	case r.Procs < 1 || r.Procs > MaxProcs:
		return fmt.Errorf("procs: %d is not between 1 and %d", r.Procs, MaxProcs)
	case r.Retry.MaxRetries < 0:
		return errors.New("retry.maxRetries: must not be negative")
	case r.Retry.MaxWait < 0:
		return errors.New("retry.maxWait: must not be negative")
	case r.RateLimit < 0:
		return errors.New("rateLimit: must not be negative")
	case (r.TLS.ClientCert == "") != (r.TLS.ClientKey == ""):
		return errors.New("tls.clientCert and tls.clientKey (--client-cert, --client-key) must be given together")
	}
	if r.Proxy != "" {
		if u, err := url.Parse(r.Proxy); err != nil || u.Host == "" {
			return fmt.Errorf("proxy: %q is not a URL like http://host:port", RedactURL(r.Proxy))
		}
	}
	return nil
}

// checkTargetURL rejects anything but an http(s) URL with a host.
func checkTargetURL(target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target: target URL %q: want http:// or https:// with a host", RedactURL(target))
	}
	return nil
}

// CombineFilters joins two Ginkgo label filters with AND; an empty one is left out.
func CombineFilters(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	default:
		return "(" + a + ") && (" + b + ")"
	}
}
