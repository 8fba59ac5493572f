package config

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadArgs parses args as `mpsdconf run` flags and loads the configuration with env.
func loadArgs(t *testing.T, args []string, env ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vals := BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return Load(vals, env)
}

func TestConfigPrecedenceFlagsEnvFileDefaults(t *testing.T) {
	file := writeTemp(t, "c.yaml", `
target: http://from-file:1
reportDir: file-reports
profile: documented
timeout: 10m
requestTimeout: 5s
procs: 2
rateLimit: 3.5
retry: {maxRetries: 7, maxWait: 2m}
tls: {caFile: /file/ca.pem}
`)
	cfg, err := loadArgs(t, []string{"--config", file, "--request-timeout", "9s", "--procs", "4"},
		"MPSDCONF_TIMEOUT=20m", "MPSDCONF_REQUEST_TIMEOUT=8s", "MPSDCONF_REPORT_DIR=env-reports", "HOME=/root")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"target (file over default)", cfg.Target, "http://from-file:1"},
		{"profile (file)", cfg.Profile, "documented"},
		{"reportDir (env over file)", cfg.ReportDir, "env-reports"},
		{"timeout (env over file)", cfg.Timeout.D(), 20 * time.Minute},
		{"requestTimeout (flag over env and file)", cfg.RequestTimeout.D(), 9 * time.Second},
		{"procs (flag over file)", cfg.Procs, 4},
		{"rateLimit (file)", cfg.RateLimit, 3.5},
		{"retry.maxRetries (file)", cfg.Retry.MaxRetries, 7},
		{"retry.maxWait (file)", cfg.Retry.MaxWait.D(), 2 * time.Minute},
		{"tls.caFile (file)", cfg.TLS.CAFile, "/file/ca.pem"},
		{"insecureSkipVerify (default)", cfg.TLS.InsecureSkipVerify, false},
		{"world (built-in when the file has none)", cfg.World.SCID, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	def, err := loadArgs(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if def.ReportDir != DefaultReportDir || def.Timeout.D() != DefaultTimeout || def.RequestTimeout.D() != DefaultRequestTimeout ||
		def.Procs != 1 || def.Retry.MaxRetries != DefaultMaxRetries || def.Profile != "strict" {
		t.Errorf("defaults: %+v", def)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	cases := map[string]struct {
		file string
		args []string
		env  []string
		want string
	}{
		"unknown top-level key":   {"colour: blue\n", nil, nil, "colour"},
		"unknown nested key":      {"tls: {caFiel: x}\n", nil, nil, "caFiel"},
		"bad duration in file":    {"timeout: soon\n", nil, nil, "soon"},
		"incomplete world":        {"scid: 7492baca-c1b4-440d-a391-b7ef4d40c1f4\n", nil, nil, "titleId"},
		"bad identity pool":       {"identityPools:\n  - user1: {xuid: x}\n", nil, nil, "identityPools[0]"},
		"unknown env variable":    {"", nil, []string{"MPSDCONF_TIMEOUTT=1m"}, "MPSDCONF_TIMEOUTT"},
		"bad env value":           {"", nil, []string{"MPSDCONF_PROCS=many"}, "MPSDCONF_PROCS"},
		"bad flag value":          {"", []string{"--rate-limit", "fast"}, nil, "--rate-limit"},
		"bad boolean in env":      {"", nil, []string{"MPSDCONF_INSECURE_SKIP_VERIFY=perhaps"}, "MPSDCONF_INSECURE_SKIP_VERIFY"},
		"missing config file":     {"", []string{"--config", "/nonexistent/c.yaml"}, nil, "config file"},
		"config file from env":    {"", nil, []string{"MPSDCONF_CONFIG=/nonexistent/e.yaml"}, "/nonexistent/e.yaml"},
		"two documents, bad type": {"procs: [1]\n", nil, nil, "procs"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append([]string{"--config", writeTemp(t, "c.yaml", tc.file)}, args...)
			}
			_, err := loadArgs(t, args, tc.env...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
			var cfgErr *Error
			if !errors.As(err, &cfgErr) {
				t.Errorf("error %v is not a configuration error (*Error)", err)
			}
		})
	}
}

func TestResolveRejectsBadValuesNamingTheSetting(t *testing.T) {
	cases := map[string]struct {
		cfg  Config
		want string
	}{
		"procs too many":       {Config{Procs: 17}, "procs"},
		"negative retries":     {Config{Retry: RetryConfig{MaxRetries: -1}}, "retry.maxRetries"},
		"negative rate":        {Config{RateLimit: -2}, "rateLimit"},
		"cert without key":     {Config{TLS: TLSConfig{ClientCert: "c.pem"}}, "tls.clientKey"},
		"bad proxy":            {Config{Proxy: "::nope"}, "proxy"},
		"bad target":           {Config{Target: "ftp://x"}, "target"},
		"key without target":   {Config{EmulatorTokenKey: "k"}, "--target"},
		"negative timeout":     {Config{Timeout: Duration(-time.Second)}, "timeout"},
		"unknown profile":      {Config{Profile: "lenient"}, "profile"},
		"bad contract version": {Config{World: worldWithContract(103)}, "contractVersion"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Resolve(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
			var cfgErr *Error
			if !errors.As(err, &cfgErr) {
				t.Errorf("error %v is not a configuration error (*Error)", err)
			}
		})
	}
	r, err := Resolve(Config{World: worldWithContract(105)})
	if err != nil || r.TestWorld.ContractVersion != 105 || r.TestWorld.SCID == "" {
		t.Fatalf("a contract version alone keeps the built-in world: %v %+v", err, r.TestWorld)
	}
}

func worldWithContract(v int) fixtures.Environment {
	return fixtures.Environment{ContractVersion: v}
}

func TestEmulatorKeyFromEnvironmentIsIgnoredWithoutTarget(t *testing.T) {
	cfg, err := loadArgs(t, nil, EnvTokenKey+"=secret-key-1234")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EmulatorTokenKey != "" {
		t.Errorf("embedded run kept the environment's emulator key")
	}
	cfg, err = loadArgs(t, []string{"--target", "http://127.0.0.1:9"}, EnvTokenKey+"=secret-key-1234")
	if err != nil || cfg.EmulatorTokenKey != "secret-key-1234" {
		t.Errorf("run against a target lost the environment's emulator key: %v", err)
	}
}

func TestRedactedConfigHasNoSecrets(t *testing.T) {
	file := writeTemp(t, "c.yaml", `
target: https://mpsd.example
proxy: http://proxyuser:proxy-password-77@proxy:3128
contractVersion: 107
scid: 7492baca-c1b4-440d-a391-b7ef4d40c1f4
titleId: "1934211234"
templates: {primary: A, secondary: B}
identities:
  user1: {xuid: "1", authorization: "XBL3.0 x=1;user-one-token-abc"}
  user2: {xuid: "2", authorizationEnv: USER2_AUTH}
  user3: {xuid: "3", authorization: "XBL3.0 x=3;user-three-token-abc"}
  server: {server: true, authorization: "XBL3.0 x=s;server-token-abc"}
identityPools:
  - user1: {xuid: "11", authorization: "XBL3.0 x=11;pool-token-abc"}
    user2: {xuid: "12", authorization: "XBL3.0 x=12;pool-token-abc"}
    user3: {xuid: "13", authorization: "XBL3.0 x=13;pool-token-abc"}
    server: {server: true, authorization: "XBL3.0 x=s2;pool-token-abc"}
emulatorTokenKey: emulator-key-secret
`)
	cfg, err := loadArgs(t, []string{"--config", file})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(cfg.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"token-abc", "proxy-password-77", "emulator-key-secret"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("redacted configuration contains %q: %s", secret, raw)
		}
	}
	for _, kept := range []string{"USER2_AUTH", "https://mpsd.example", "proxyuser"} {
		if !strings.Contains(string(raw), kept) {
			t.Errorf("redacted configuration lost %q: %s", kept, raw)
		}
	}
	if cfg.World.Identities["user1"].Authorization == redactedMark {
		t.Error("Redacted changed the original configuration")
	}
}

// TestREADMEDocumentsEverySetting keeps the README's configuration reference complete.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, s := range Settings() {
		for _, name := range []string{"--" + s.Flag, s.Env, s.Key} {
			if name != "" && !strings.Contains(readme, "`"+name+"`") {
				t.Errorf("README does not document `%s` (setting %s)", name, s.Flag)
			}
		}
	}
}

func TestExampleConfigsLoad(t *testing.T) {
	for _, name := range []string{"emulator.yaml", "real-mpsd.yaml", "alternate-world.yaml"} {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadFile(filepath.Join("..", "examples", name), Default())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Resolve(cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCombineFilters(t *testing.T) {
	if got := CombineFilters("a", "b"); got != "(a) && (b)" {
		t.Errorf("got %q", got)
	}
	if CombineFilters("", "b") != "b" || CombineFilters("a", "") != "a" {
		t.Error("empty side not dropped")
	}
}

func TestNewErrorKeepsOneKind(t *testing.T) {
	if NewError(nil) != nil {
		t.Error("NewError(nil) is not nil")
	}
	inner := Errorf("procs: %d is too many", 99)
	if got := NewError(inner); got != inner {
		t.Errorf("NewError wrapped a configuration error again: %#v", got)
	}
	if got := inner.Error(); got != "procs: 99 is too many" {
		t.Errorf("message %q: the kind must not change the text", got)
	}
}

func TestAWorldWithoutContractVersionGetsTheDefault(t *testing.T) {
	path := writeTemp(t, "world.yaml", `target: https://mpsd.example
scid: 7492baca-c1b4-440d-a391-b7ef4d40c1f4
titleId: "1934211234"
templates: {primary: LobbySession, secondary: GameSession}
identities:
  user1: {xuid: "1", authorization: "XBL3.0 x=1;a"}
  user2: {xuid: "2", authorization: "XBL3.0 x=2;b"}
  user3: {xuid: "3", authorization: "XBL3.0 x=3;c"}
`)
	cfg, err := LoadFile(path, Default())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.World.ContractVersion != fixtures.DefaultContractVersion {
		t.Errorf("contractVersion %d, want the documented default %d", cfg.World.ContractVersion, fixtures.DefaultContractVersion)
	}
}
