// Package xblauth signs Xbox Live test users in the way public clients do, so that a nightly
// run against the real MPSD needs no person: from a stored Microsoft account refresh token it
// gets an access token (login.live.com, through golang.org/x/oauth2), then either a user
// token and an XSTS token (flow "user"), or a device token and one SISU authorization (flow
// "sisu", every request signed with the device's ECDSA P-256 proof key), and hands out the
// Authorization value MPSD takes: "XBL3.0 x=<user hash>;<XSTS token>", with the XUID and
// gamertag from the token's claims. Tokens are renewed before their NotAfter and on demand
// (after the target refused one). The device-code sign-in a person does once per account
// (`mpsdconf login`) is here too.
//
// The wire formats follow the public clients (the official client's XAL, df-mc/go-xsapi xal/,
// PrismarineJS/prismarine-auth, OpenXbox/xbox-webapi-python); no lifetime is assumed, each
// token's NotAfter is read. Every token and key is a secret: Config.OnSecret learns each one
// as it appears, and no error this package returns contains one.
package xblauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Flows of the Xbox Live sign-in.
const (
	// FlowSISU signs in through sisu.xboxlive.com with a device token: the XSTS token then
	// carries the device and the title, which title-scoped services such as MPSD see.
	FlowSISU = "sisu"
	// FlowUser gets a user token and an XSTS token for it, without device or title.
	FlowUser = "user"
)

// Endpoints are the base URLs of the sign-in services; the defaults are the public hosts.
type Endpoints struct {
	Live       string `yaml:"live" json:"live"`
	UserAuth   string `yaml:"userAuth" json:"userAuth"`
	DeviceAuth string `yaml:"deviceAuth" json:"deviceAuth"`
	SISU       string `yaml:"sisu" json:"sisu"`
	XSTS       string `yaml:"xsts" json:"xsts"`
}

// DefaultEndpoints are the public sign-in services.
var DefaultEndpoints = Endpoints{
	Live:       "https://login.live.com",
	UserAuth:   "https://user.auth.xboxlive.com",
	DeviceAuth: "https://device.auth.xboxlive.com",
	SISU:       "https://sisu.xboxlive.com",
	XSTS:       "https://xsts.auth.xboxlive.com",
}

// Defaults of Config.
const (
	DefaultSandbox       = "RETAIL"
	DefaultDeviceType    = "Win32"
	DefaultDeviceVersion = "10.0.0"
)

// Config configures the sign-in of one title.
type Config struct {
	// ClientID is the Microsoft account (Live) application id of the test title.
	ClientID string
	// Sandbox is the Xbox Live sandbox to sign in to (test accounts: a development sandbox).
	Sandbox string
	// Flow is FlowSISU or FlowUser.
	Flow string
	// Endpoints are the services' base URLs; empty ones are the public hosts.
	Endpoints Endpoints
	// DeviceType and DeviceVersion describe the device of the SISU flow.
	DeviceType, DeviceVersion string
	// HTTPClient sends every request (proxy, CA roots); nil uses a client with a 30s timeout.
	HTTPClient *http.Client
	// OnSecret, if set, learns every token and key as soon as it appears, so that it can be
	// redacted wherever it might show.
	OnSecret func(secrets ...string)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// WithDefaults returns the configuration with its empty fields set to their defaults.
func (cfg Config) WithDefaults() Config {
	if cfg.Sandbox == "" {
		cfg.Sandbox = DefaultSandbox
	}
	if cfg.Flow == "" {
		cfg.Flow = FlowSISU
	}
	d := DefaultEndpoints
	for _, e := range []struct {
		dst *string
		def string
	}{
		{&cfg.Endpoints.Live, d.Live}, {&cfg.Endpoints.UserAuth, d.UserAuth}, {&cfg.Endpoints.DeviceAuth, d.DeviceAuth},
		{&cfg.Endpoints.SISU, d.SISU}, {&cfg.Endpoints.XSTS, d.XSTS},
	} {
		if *e.dst == "" {
			*e.dst = e.def
		}
	}
	if cfg.DeviceType == "" {
		cfg.DeviceType = DefaultDeviceType
	}
	if cfg.DeviceVersion == "" {
		cfg.DeviceVersion = DefaultDeviceVersion
	}
	return cfg
}

// Validate checks a configuration (after WithDefaults): a client id, a known flow, and
// endpoints that are https URLs (plain http only on a loopback host, for local fakes), since
// refresh tokens travel to them.
func (cfg Config) Validate() error {
	var problems []string
	if strings.TrimSpace(cfg.ClientID) == "" {
		problems = append(problems, "clientId: required: the Microsoft account (Live) application id of your test title")
	}
	if cfg.Flow != FlowSISU && cfg.Flow != FlowUser {
		problems = append(problems, fmt.Sprintf("flow: %q is not sisu or user", cfg.Flow))
	}
	if strings.ContainsAny(cfg.Sandbox, " \t/") {
		problems = append(problems, fmt.Sprintf("sandbox: %q is not a sandbox id like XDKS.1 or RETAIL", cfg.Sandbox))
	}
	for _, e := range []struct{ name, value string }{
		{"live", cfg.Endpoints.Live}, {"userAuth", cfg.Endpoints.UserAuth}, {"deviceAuth", cfg.Endpoints.DeviceAuth},
		{"sisu", cfg.Endpoints.SISU}, {"xsts", cfg.Endpoints.XSTS},
	} {
		if err := checkEndpoint(e.value); err != nil {
			problems = append(problems, fmt.Sprintf("endpoints.%s: %v", e.name, err))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// checkEndpoint accepts an https URL with a host, or http on a loopback host.
func checkEndpoint(v string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL like https://host", v)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q: tokens are sent there, so it must be https (http only on a loopback address)", v)
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// Client signs users in for one title. It holds the process's device (SISU flow) and the
// clock correction learnt from the services' Date headers. It is safe for concurrent use.
type Client struct {
	cfg       Config
	http      *http.Client
	oauthHTTP *http.Client

	deviceMu sync.Mutex
	device   *device

	skew atomic.Int64 // the services' clock minus ours, in nanoseconds
}

// New returns a client for cfg (defaults applied, then validated).
func New(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("xboxLive: %w", err)
	}
	h := cfg.HTTPClient
	if h == nil {
		h = &http.Client{Timeout: 30 * time.Second}
	}
	base := h.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	oauthHTTP := *h
	oauthHTTP.Transport = scopeOnRefresh{base: base}
	return &Client{cfg: cfg, http: h, oauthHTTP: &oauthHTTP}, nil
}

// Config returns the client's configuration, defaults applied.
func (c *Client) Config() Config { return c.cfg }

func (c *Client) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

// secret hands new secrets to Config.OnSecret.
func (c *Client) secret(values ...string) {
	if c.cfg.OnSecret != nil {
		c.cfg.OnSecret(values...)
	}
}

// serviceNow is the services' time now: the times in their tokens are on their clock.
func (c *Client) serviceNow() time.Time { return c.now().Add(c.clockSkew()) }

// clockSkew is how far the services' clock is ahead of ours, as their Date headers said.
func (c *Client) clockSkew() time.Duration { return time.Duration(c.skew.Load()) }

// observeClock learns the services' clock from a Date header (second precision, so a skew
// under two seconds is ignored).
func (c *Client) observeClock(date string) {
	t, err := http.ParseTime(date)
	if err != nil {
		return
	}
	d := t.Sub(c.now())
	if absDuration(d) < 2*time.Second {
		d = 0
	}
	c.skew.Store(int64(d))
}
