package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/runner"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"validate"},
		{"validate", "--schema", "handle"},
		{"validate", "--schema", "no-such-schema", "x.json"},
		{"run", "--no-such-flag"},
		{"run", "extra-arg"},
		{"emulate", "--no-such-flag"},
		{"emulate", "--variant", "no-such-variant", "--listen", "127.0.0.1:0"},
		{"tolerance", "extra-arg"},
		{"tolerance", "--variant", "no-such-variant", "--report-dir", t.TempDir()},
	} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("mpsdconf %q exited %d, want 2", args, code)
		}
	}
}

func TestValidate(t *testing.T) {
	good := writeFile(t, "good.json", `{"version":1,"type":"activity","sessionRef":{"scid":"7492baca-c1b4-440d-a391-b7ef4d40c1f4","templateName":"LobbySession","name":"s1"}}`)
	bad := writeFile(t, "bad.json", `{"version":1,"type":"activity","sessionRef":{"scid":"MockScid","templateName":"LobbySession","name":"s1"}}`)
	code, out, _ := runCLI(t, "validate", "--schema", "handle-create-request", good)
	if code != 0 {
		t.Fatalf("valid file: exit %d, output:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "validate", "--schema", "handle-create-request", good, bad)
	if code != 1 {
		t.Fatalf("invalid file: exit %d, want 1; output:\n%s", code, out)
	}
	if !strings.Contains(out, "sessionRef.scid") || !strings.Contains(out, "1 valid, 1 invalid") {
		t.Errorf("output does not name the failing field and counts:\n%s", out)
	}
}

func TestRunConfigurationErrorsExit2(t *testing.T) {
	unknownKey := writeFile(t, "unknown.yaml", "scid: 7492baca-c1b4-440d-a391-b7ef4d40c1f4\ncolour: blue\n")
	incomplete := writeFile(t, "incomplete.yaml", "contractVersion: 107\nscid: not-a-guid\n")
	cases := map[string]struct {
		args []string
		want string
	}{
		"missing config file":             {[]string{"run", "--config", "/nonexistent/config.yaml"}, "config file"},
		"unknown key":                     {[]string{"run", "--config", unknownKey}, "colour"},
		"invalid values":                  {[]string{"run", "--config", incomplete}, "scid"},
		"bad profile":                     {[]string{"run", "--profile", "lenient"}, "profile"},
		"bad label filter":                {[]string{"run", "--label-filter", "rule: containsAny {"}, "label filter"},
		"fault with target":               {[]string{"run", "--target", "http://127.0.0.1:1", "--fault", "x", "--emulator-token-key", "k"}, "--fault"},
		"bad target URL":                  {[]string{"run", "--target", "ftp://example", "--emulator-token-key", "k"}, "target URL"},
		"no identities for a real target": {[]string{"run", "--target", "http://127.0.0.1:1"}, "authorization"},
		"unreachable target":              {[]string{"run", "--target", "http://127.0.0.1:1", "--emulator-token-key", "k", "--request-timeout", "2s"}, "unreachable"},
		"unknown fault":                   {[]string{"run", "--fault", "no-such-fault", "--report-dir", t.TempDir()}, "no-such-fault"},
		"variant with target":             {[]string{"run", "--target", "http://127.0.0.1:1", "--variant", "gzip", "--emulator-token-key", "k"}, "--variant"},
		"unknown variant":                 {[]string{"run", "--variant", "no-such-variant", "--report-dir", t.TempDir()}, "no-such-variant"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("MPSD_EMULATOR_TOKEN_KEY", "")
			code, _, stderr := runCLI(t, tc.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not mention %q:\n%s", tc.want, stderr)
			}
		})
	}
}

func TestEmulateListVariants(t *testing.T) {
	code, out, _ := runCLI(t, "emulate", "--list-variants")
	if code != 0 || !strings.Contains(out, "invite-answers-200") || !strings.Contains(out, "uri-handlespost.md") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

// TestToleranceRunsAVariant runs the tolerance matrix for one variant through the binary: the
// documented profile passes, the strict profile's failure of the inferred rule is reported.
func TestToleranceRunsAVariant(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	out, err := exec.Command(bin, "tolerance", "--report-dir", dir, "--variant", "invite-answers-200").CombinedOutput()
	if err != nil {
		t.Fatalf("tolerance: %v\n%s", err, out)
	}
	for _, want := range []string{"tolerance: 1 passed, 0 failed", "HC-INVITE-201"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("tolerance output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"tolerance.json", "tolerance.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestEmulateListFaults(t *testing.T) {
	code, out, _ := runCLI(t, "emulate", "--list-faults")
	if code != 0 || !strings.Contains(out, "skip-contract-version-check") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// buildBinary builds mpsdconf once per test binary. Ginkgo runs one suite per process, so
// commands that run the spec tree are tested through the built binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mpsdconf-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "mpsdconf")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func TestListAgreesWithTheCatalog(t *testing.T) {
	bin := buildBinary(t)
	out, err := exec.Command(bin, "list", "--format", "json").Output()
	if err != nil {
		t.Fatalf("mpsdconf list: %v", err)
	}
	var rules []runner.ListedRule
	if err := json.Unmarshal(out, &rules); err != nil {
		t.Fatalf("list --format json is not JSON: %v\n%s", err, out)
	}
	cat := catalog.Default()
	if len(rules) != len(cat.Rules) {
		t.Fatalf("list shows %d rules, the catalog has %d", len(rules), len(cat.Rules))
	}
	for i, r := range rules {
		want := cat.Rules[i]
		if r.ID != want.ID || r.Evidence != string(want.Evidence) || r.Statement != want.Statement || len(r.Specs) == 0 {
			t.Errorf("rule %d: listed %+v, catalog %+v", i, r, want)
		}
	}
	out, err = exec.Command(bin, "list", "--format", "json", "--profile", "documented").Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &rules); err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.Evidence == "inferred" {
			t.Errorf("--profile documented lists inferred rule %s", r.ID)
		}
	}
}

func TestSelfTestKillsAFault(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	out, err := exec.Command(bin, "selftest", "--report-dir", dir, "--fault", "allow-private-query-for-users").CombinedOutput()
	if err != nil {
		t.Fatalf("selftest: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "1 of 1 faults killed, baseline clean") {
		t.Errorf("kill matrix output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "selftest.json")); err != nil {
		t.Error(err)
	}
}

// TestAlternateWorldPasses shows the suite has no hidden coupling to the built-in world: an
// emulator configured with other SCID, templates, identities, title, social graph and contract
// version passes the same suite, embedded and as a separate process.
func TestAlternateWorldPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	bin := buildBinary(t)
	world := filepath.Join("..", "..", "examples", "alternate-world.yaml")
	out, err := exec.Command(bin, "run", "--config", world, "--report-dir", t.TempDir(), "--no-color").CombinedOutput()
	if err != nil {
		t.Fatalf("embedded emulator with the alternate world: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	url, stop := startEmulatorProcess(t, ctx, bin, "alt-key", "--config", world)
	defer stop()
	out, err = exec.CommandContext(ctx, bin, "run", "--target", url, "--config", world, "--emulator-token-key", "alt-key",
		"--report-dir", t.TempDir(), "--no-color").CombinedOutput()
	if err != nil {
		t.Fatalf("separate emulator with the alternate world: %v\n%s", err, out)
	}
}

// startEmulatorProcess starts `mpsdconf emulate` on a free port and returns its URL.
func startEmulatorProcess(t *testing.T, ctx context.Context, bin, key string, extra ...string) (url string, stop func()) {
	t.Helper()
	emu := exec.CommandContext(ctx, bin, append([]string{"emulate", "--listen", "127.0.0.1:0", "--token-key", key}, extra...)...)
	stdout, err := emu.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	stop = func() { _ = emu.Process.Kill(); _ = emu.Wait() }
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		t.Fatalf("reading the emulator's first line: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(first), "listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		stop()
		t.Fatalf("first line %q is not 'listening on http://HOST:PORT'", first)
	}
	return url, stop
}

// TestTwoProcessRun starts `mpsdconf emulate --token-key K` in one process and runs the suite
// against it from another with `--emulator-token-key K`, as a user would.
func TestTwoProcessRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	const key = "two-process-test-key"
	url, stop := startEmulatorProcess(t, ctx, bin, key)
	defer stop()
	reports := t.TempDir()
	runCmd := exec.CommandContext(ctx, bin, "run", "--target", url, "--emulator-token-key", key, "--report-dir", reports, "--no-color")
	out, err := runCmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mpsdconf run against the emulator process failed: %v\n%s", err, out)
	}
	for _, f := range []string{"junit.xml", "report.json", "report.md", "summary.json", "traceability.md"} {
		if _, err := os.Stat(filepath.Join(reports, f)); err != nil {
			t.Errorf("report %s missing: %v", f, err)
		}
	}
	// A wrong key must not pass: every identity is then rejected with 401.
	wrong := exec.CommandContext(ctx, bin, "run", "--target", url, "--emulator-token-key", "wrong-key", "--report-dir", t.TempDir(), "--no-color",
		"--label-filter", "rule: containsAny HC-ACTIVITY-201")
	if err := wrong.Run(); err == nil {
		t.Error("a run with the wrong token key passed")
	}
}
