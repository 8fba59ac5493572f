package main

// End-to-end tests of the properties a run against a real target depends on: secrets never
// written, throttling waited out, faulty targets reported as harness errors without hanging,
// and parallel runs with their own identities.

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"go.yaml.in/yaml/v3"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/report"
)

// runResult is one `mpsdconf run` as a user would see it.
type runResult struct {
	code    int
	output  string
	summary report.Summary
	dir     string
}

// runBinary runs `mpsdconf run args...` with env added to a clean environment and reads
// report.json from reportDir. Console output is kept in reportDir/../console.log.
func runBinary(t *testing.T, ctx context.Context, reportDir string, env []string, args ...string) runResult {
	t.Helper()
	bin := buildBinary(t)
	cmd := exec.CommandContext(ctx, bin, append([]string{"run", "--report-dir", reportDir, "--no-color"}, args...)...)
	cmd.Env = append(cleanEnviron(), env...)
	out, err := cmd.CombinedOutput()
	res := runResult{code: cmd.ProcessState.ExitCode(), output: string(out), dir: reportDir}
	if err != nil && res.code < 0 {
		t.Fatalf("mpsdconf run: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(reportDir), filepath.Base(reportDir)+"-console.log"), out, 0o600); err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(filepath.Join(reportDir, report.JSONFile)); err == nil {
		if err := json.Unmarshal(raw, &res.summary); err != nil {
			t.Fatalf("report.json: %v", err)
		}
	}
	return res
}

// cleanEnviron is the test's environment without the harness's own variables.
func cleanEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MPSDCONF_") && !strings.HasPrefix(kv, config.EnvTokenKey+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// serveEmulator serves an in-process emulator for the default world behind wrap (a faulty
// network or service) and returns its URL.
func serveEmulator(t *testing.T, key string, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	emu, err := emulator.New(emulator.ConfigFromEnvironment(fixtures.DefaultEnvironment(), []byte(key)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wrap(emu))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestSecretsNeverWritten runs the suite with known Authorization values (from environment
// variables, inline in the config file, and in an identity pool for a second process) against
// an emulator with a fault, so that failure messages with full exchanges are written, and
// scans every file the runs wrote for the values, their token parts and the signing key.
func TestSecretsNeverWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const key = "secret-scan-signing-key-0123456789"
	url, stop := startEmulatorProcess(t, ctx, buildBinary(t), key, "--fault", "allow-private-query-for-users")
	defer stop()

	world := fixtures.DefaultEnvironment()
	ids, err := identity.Mint(world, []byte(key), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	second, err := world.ForWorker(1)
	if err != nil {
		t.Fatal(err)
	}
	poolIDs, err := identity.Mint(second, []byte(key), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	type yamlID = map[string]any
	identities, pool := map[string]yamlID{}, map[string]yamlID{}
	for _, name := range fixtures.RequiredIdentities {
		id, _ := ids.Get(name)
		entry := yamlID{"xuid": id.XUID, "server": id.Server}
		if name == fixtures.User3 {
			entry["authorization"] = id.Credential().Token().Authorization // inline in the file
		} else {
			v := "SECRET_SCAN_" + strings.ToUpper(name)
			entry["authorizationEnv"] = v
			env = append(env, v+"="+id.Credential().Token().Authorization)
		}
		identities[name] = entry
		pid, _ := poolIDs.Get(name)
		pool[name] = yamlID{"xuid": pid.XUID, "server": pid.Server, "authorization": pid.Credential().Token().Authorization}
	}
	cfg := map[string]any{
		"contractVersion": world.ContractVersion, "scid": world.SCID, "titleId": world.TitleID,
		"templates":   map[string]string{"primary": world.Templates.Primary, "secondary": world.Templates.Secondary},
		"identities":  identities,
		"socialGraph": world.SocialGraph, "identityPools": []any{pool},
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	cfgFile := filepath.Join(t.TempDir(), "target.yaml") // the input, not scanned
	if err := os.WriteFile(cfgFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	one := runBinary(t, ctx, filepath.Join(root, "one-process"), env, "--target", url, "--config", cfgFile, "-v")
	two := runBinary(t, ctx, filepath.Join(root, "two-processes"), env, "--target", url, "--config", cfgFile, "--procs", "2")
	for name, res := range map[string]runResult{"one process": one, "two processes": two} {
		if res.code != report.ExitFail || res.summary.Totals.Failed == 0 {
			t.Fatalf("%s: exit %d with %d failures, want exit 1 with failures (the fault must show exchanges)\n%s",
				name, res.code, res.summary.Totals.Failed, tailString(res.output, 3000))
		}
	}
	if !strings.Contains(readAll(t, filepath.Join(root, "one-process", report.JSONFile)), "XBL3.0 <redacted>") {
		t.Fatal("report.json shows no redacted Authorization header: the scan would prove nothing")
	}

	secrets := []string{key}
	for _, store := range []*identity.Store{ids, poolIDs} {
		for _, s := range store.Secrets() {
			secrets = append(secrets, s)
			if i := strings.LastIndex(s, "."); i > 0 {
				secrets = append(secrets, s[i+1:]) // the signature alone
			}
		}
	}
	scanned := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content := readAll(t, path)
		scanned++
		for _, s := range secrets {
			if strings.Contains(content, s) {
				t.Errorf("%s contains a secret (%d characters, starting %q)", path, len(s), s[:6])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 12 {
		t.Errorf("scanned only %d files; expected both runs' reports and console logs", scanned)
	}
	t.Logf("secret scan: %d files, %d secret values, none found", scanned, len(secrets))
}

func readAll(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestThrottlingIsWaitedOut runs the whole suite against an emulator that answers every
// fifth request 429 (and every 97th 503) with Retry-After, without applying it: the run must
// pass, and the retries must be counted in report.json and junit.xml.
func TestThrottlingIsWaitedOut(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	const key = "throttle-test-key"
	var n, throttled atomic.Int64
	url := serveEmulator(t, key, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			i := n.Add(1)
			switch {
			case i%97 == 0:
				throttled.Add(1)
				w.Header().Set("Retry-After", "0")
				http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			case i%5 == 0:
				throttled.Add(1)
				w.Header().Set("Retry-After", "0")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"code":429,"message":"throttled"}`)
			default:
				next.ServeHTTP(w, r)
			}
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), nil, "--target", url, "--emulator-token-key", key)
	if res.code != report.ExitPass {
		t.Fatalf("exit %d, want 0 (throttling must be waited out)\n%s", res.code, tailString(res.output, 4000))
	}
	got := res.summary.Metadata.Requests
	if got.Retries != throttled.Load() || got.Retries < 100 {
		t.Errorf("report.json counts %d retries, the target throttled %d requests", got.Retries, throttled.Load())
	}
	perSpec := 0
	for _, sp := range res.summary.Specs {
		perSpec += sp.Retries
	}
	if perSpec == 0 || perSpec > int(got.Retries) {
		t.Errorf("specs count %d retries in all, the run %d", perSpec, got.Retries)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal([]byte(readAll(t, filepath.Join(res.dir, report.JUnitFile))), &suites); err != nil {
		t.Fatal(err)
	}
	if v := suites.TestSuites[0].Properties.WithName("mpsdconf.retries"); v != fmt.Sprint(got.Retries) {
		t.Errorf("junit.xml mpsdconf.retries = %q, want %d", v, got.Retries)
	}
	t.Logf("throttled %d of %d requests; run passed with %d retries", throttled.Load(), n.Load(), got.Retries)
}

// TestThrottledBeyondBudgetIsAHarnessError: a target that keeps throttling one endpoint makes
// its specs harness errors (exit 2), not failures, and other specs still pass.
func TestThrottledBeyondBudgetIsAHarnessError(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	const key = "throttle-budget-key"
	url := serveEmulator(t, key, onQuery(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), nil, "--target", url, "--emulator-token-key", key,
		"--max-retries", "2", "--label-filter", "rule: containsAny {HQ-TAKE-LIMITS, HQ-PRIVATE-403, HG-UNKNOWN-404}")
	checkOutcomes(t, res, report.ExitHarness, report.OutcomeHarnessError, "kept throttling")
	if res.summary.Metadata.Requests.Throttled == 0 {
		t.Errorf("report.json counts no request throttled out: %+v", res.summary.Metadata.Requests)
	}
}

// onQuery applies a misbehaviour to POST /handles/query only; every other request reaches the
// emulator, so setup and the preflight work and the affected specs are easy to tell.
func onQuery(bad http.HandlerFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/handles/query" {
				bad(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// checkOutcomes asserts the exit code, that every query spec ended in wantOutcome with a cause
// containing wantCause, that the other specs passed, and that nothing panicked.
func checkOutcomes(t *testing.T, res runResult, wantCode int, wantOutcome, wantCause string) {
	t.Helper()
	if res.code != wantCode {
		t.Fatalf("exit %d, want %d\n%s", res.code, wantCode, tailString(res.output, 4000))
	}
	if strings.Contains(res.output, "panic") {
		t.Errorf("output mentions a panic:\n%s", tailString(res.output, 4000))
	}
	affected, passed := 0, 0
	for _, sp := range res.summary.Specs {
		switch {
		case sp.Outcome == report.OutcomeSkipped:
		case sp.Endpoint == "handles-query":
			affected++
			if sp.Outcome != wantOutcome || !strings.Contains(sp.Cause, wantCause) {
				t.Errorf("%s: outcome %s, cause %q; want %s with a cause containing %q", sp.Name, sp.Outcome, sp.Cause, wantOutcome, wantCause)
			}
		default:
			passed++
			if sp.Outcome != report.OutcomePassed {
				t.Errorf("%s (not a query spec): %s: %s", sp.Name, sp.Outcome, sp.Cause)
			}
		}
	}
	if affected == 0 || passed == 0 {
		t.Errorf("%d query specs and %d other specs ran; want some of each", affected, passed)
	}
}

// TestFaultyTargets runs a few rules against targets that misbehave on the handles query:
// the run ends within its timeouts, each affected spec names its cause, and nothing panics.
func TestFaultyTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	// Every case but the stall gets a generous request timeout, so that a slow, loaded CI
	// machine reading an 8 MiB body is not mistaken for a stalled target.
	cases := map[string]struct {
		bad         http.HandlerFunc
		wantCode    int
		wantOutcome string
		wantCause   string
		timeout     string
	}{
		"stalls": {func(w http.ResponseWriter, r *http.Request) {
			// Reading the whole request lets the server notice the client hang up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
		}, report.ExitHarness, report.OutcomeHarnessError, "no response within", "1s"},
		"resets the connection": {func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				if tcp, ok := conn.(*net.TCPConn); ok {
					_ = tcp.SetLinger(0)
				}
				_ = conn.Close()
			}
		}, report.ExitHarness, report.OutcomeHarnessError, "no HTTP response", "30s"},
		"cuts the body short": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, `{"results":[`)
		}, report.ExitHarness, report.OutcomeHarnessError, "unexpected EOF", "30s"},
		"sends a huge body": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for i := 0; i < 64; i++ { // 64 MiB, far over the 8 MiB cap
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, report.ExitHarness, report.OutcomeHarnessError, "too large", "30s"},
		"sends malformed JSON": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, `{"results": [{"id": `)
		}, report.ExitFail, report.OutcomeFailed, "", "30s"},
		"sends the wrong content type": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, `<html><body>maintenance</body></html>`)
		}, report.ExitFail, report.OutcomeFailed, "", "30s"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			key := "faulty-" + strings.ReplaceAll(name, " ", "-")
			url := serveEmulator(t, key, onQuery(tc.bad))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			start := time.Now()
			res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), nil, "--target", url, "--emulator-token-key", key,
				"--request-timeout", tc.timeout, "--timeout", "2m",
				"--label-filter", "rule: containsAny {HQ-TAKE-LIMITS, HQ-PRIVATE-403, HG-UNKNOWN-404}")
			checkOutcomes(t, res, tc.wantCode, tc.wantOutcome, tc.wantCause)
			t.Logf("%s: exit %d in %s: %s", name, res.code, time.Since(start).Round(time.Millisecond), res.summary.Totals.Line())
		})
	}
}

// TestParallelRunShowsProgressAndMatchesOneProcess runs the suite in 4 processes: the same
// specs pass as in one process, progress is printed, and one set of reports is written.
func TestParallelRunShowsProgressAndMatchesOneProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := t.TempDir()
	one := runBinary(t, ctx, filepath.Join(root, "one"), nil, "--seed", "7")
	four := runBinary(t, ctx, filepath.Join(root, "four"), nil, "--seed", "7", "--procs", "4", "--randomize-all")
	for name, res := range map[string]runResult{"1 process": one, "4 processes": four} {
		if res.code != report.ExitPass {
			t.Fatalf("%s: exit %d\n%s", name, res.code, tailString(res.output, 4000))
		}
	}
	if one.summary.Totals != four.summary.Totals || len(four.summary.Specs) != len(one.summary.Specs) {
		t.Errorf("totals differ: 1 process %+v, 4 processes %+v", one.summary.Totals, four.summary.Totals)
	}
	if diff := sameOutcomes(specOutcomes(one.summary), specOutcomes(four.summary)); diff != "" {
		t.Errorf("1 process and 4 processes report different specs or outcomes: %s", diff)
	}
	if four.summary.Metadata.Procs != 4 {
		t.Errorf("report.json records %d processes", four.summary.Metadata.Procs)
	}
	for name, res := range map[string]runResult{"1 process": one, "4 processes": four} {
		c := res.summary.Cleanup
		if c.Pending != 0 || c.Error != "" || c.EmulatorLeftovers == nil || *c.EmulatorLeftovers != 0 || c.Journal != "" {
			t.Errorf("%s left something behind: %+v", name, c)
		}
		if left, _ := filepath.Glob(filepath.Join(res.dir, "journal-*")); len(left) > 0 {
			t.Errorf("%s kept its cleanup journal although nothing was left: %v", name, left)
		}
	}
	want := fmt.Sprintf("progress %d/%d specs done, 0 failed", four.summary.Totals.Passed, four.summary.Totals.Passed)
	if !strings.Contains(four.output, want) || !strings.Contains(four.output, "in 4 processes") {
		t.Errorf("output lacks the progress line %q:\n%s", want, four.output)
	}
}

// TestSweepRemovesWhatARunLeft: a run whose cleanup requests all fail (as if it had crashed
// before cleaning up) keeps its journal and says how to sweep; `mpsdconf sweep` with that
// journal then leaves nothing of the run on the target, and a second sweep finds nothing.
func TestSweepRemovesWhatARunLeft(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	const key = "sweep-e2e-key"
	emu, err := emulator.New(emulator.ConfigFromEnvironment(fixtures.DefaultEnvironment(), []byte(key)))
	if err != nil {
		t.Fatal(err)
	}
	var blockCleanup atomic.Bool
	blockCleanup.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if blockCleanup.Load() && isCleanup(r) {
			http.Error(w, "cleanup blocked by the test", http.StatusInternalServerError)
			return
		}
		emu.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), nil, "--target", srv.URL, "--emulator-token-key", key, "--procs", "2")
	runID := res.summary.Metadata.RunID
	c := res.summary.Cleanup
	if c.Pending == 0 || c.Journal == "" || !strings.Contains(res.output, "mpsdconf sweep --target") {
		t.Fatalf("a run whose cleanup failed reports %+v\n%s", c, tailString(res.output, 3000))
	}
	if left := emu.Inventory().OfRun(runID); left == 0 {
		t.Fatal("the blocked cleanup left nothing on the emulator: the sweep would prove nothing")
	}
	blockCleanup.Store(false)
	bin := buildBinary(t)
	sweep := func() string {
		out, err := exec.CommandContext(ctx, bin, "sweep", "--target", srv.URL, "--emulator-token-key", key,
			"--run-id", runID, "--journal", c.Journal).CombinedOutput()
		if err != nil {
			t.Fatalf("sweep: %v\n%s", err, out)
		}
		return string(out)
	}
	first := sweep()
	if left := emu.Inventory().OfRun(runID); left != 0 {
		t.Fatalf("after the sweep the emulator still holds %d of the run's resources:\n%s", left, first)
	}
	second := sweep()
	if !strings.Contains(second, "0 handles deleted, 0 memberships left") {
		t.Errorf("a second sweep changed something:\n%s", second)
	}
	t.Logf("run %s left %d journal entries; sweep: %s", runID, c.Pending, lastLine(first))
}

// isCleanup tells the harness's cleanup requests: handle deletions and session leaves.
func isCleanup(r *http.Request) bool {
	if r.Method == http.MethodDelete {
		return true
	}
	if r.Method != http.MethodPut || r.Body == nil {
		return false
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return bytes.Contains(bytes.ReplaceAll(body, []byte(" "), nil), []byte(`{"members":{"me":null}}`))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestTLSAndProxySettingsReachTheClient runs a few rules against an emulator served over TLS
// with a test certificate: verification is on by default (the run cannot check anything and
// says why), --ca-file and --insecure-skip-verify make it pass, and --proxy sends every
// request through the given proxy.
func TestTLSAndProxySettingsReachTheClient(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	const key = "tls-test-key"
	emu, err := emulator.New(emulator.ConfigFromEnvironment(fixtures.DefaultEnvironment(), []byte(key)))
	if err != nil {
		t.Fatal(err)
	}
	tlsSrv := httptest.NewTLSServer(emu)
	defer tlsSrv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	cert := tlsSrv.Certificate()
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	few := []string{"--emulator-token-key", key, "--label-filter", "rule: containsAny {HG-UNKNOWN-404, HC-ACTIVITY-201}"}
	run := func(args ...string) runResult {
		return runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), nil, append(args, few...)...)
	}
	if res := run("--target", tlsSrv.URL); res.code != report.ExitHarness || !strings.Contains(res.output, "certificate") {
		t.Errorf("unverifiable certificate: exit %d, want 2 naming the certificate problem\n%s", res.code, tailString(res.output, 2000))
	}
	for name, args := range map[string][]string{
		"--ca-file":              {"--target", tlsSrv.URL, "--ca-file", caFile},
		"--insecure-skip-verify": {"--target", tlsSrv.URL, "--insecure-skip-verify"},
	} {
		if res := run(args...); res.code != report.ExitPass || res.summary.Totals.Passed == 0 {
			t.Errorf("%s: exit %d, %s\n%s", name, res.code, res.summary.Totals.Line(), tailString(res.output, 2000))
		}
	}

	// A plain-HTTP target through a forward proxy that counts what it forwards.
	plain := httptest.NewServer(emu)
	defer plain.Close()
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		proxied.Add(1)
		r.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer proxy.Close()
	// --proxy is used for every request, loopback targets included (NO_PROXY applies only to
	// the proxy taken from the environment).
	res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), nil,
		append([]string{"--target", plain.URL, "--proxy", proxy.URL}, few...)...)
	if res.code != report.ExitPass || proxied.Load() < int64(res.summary.Totals.Passed) {
		t.Errorf("--proxy: exit %d, %d requests went through the proxy for %d passed specs\n%s",
			res.code, proxied.Load(), res.summary.Totals.Passed, tailString(res.output, 2000))
	}
}

// TestSetupBreakBlocksInsteadOfFailing runs the documented profile against a target that
// refuses every invite with 500: the rule an invite breaks (HC-INVITE-2XX) fails, specs that
// need an invite only as a setup step are blocked naming that rule (not failed under their own
// rules), the run exits 1, and junit.xml counts the break once.
func TestSetupBreakBlocksInsteadOfFailing(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	const key = "blocked-setup"
	refuseInvites := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/handles" {
				body, _ := io.ReadAll(r.Body)
				if bytes.Contains(body, []byte(`"invite"`)) {
					http.Error(w, "invites are down", http.StatusInternalServerError)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			next.ServeHTTP(w, r)
		})
	}
	url := serveEmulator(t, key, refuseInvites)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "reports")
	res := runBinary(t, ctx, dir, nil, "--target", url, "--emulator-token-key", key, "--profile", "documented",
		"--label-filter", "rule: containsAny {HC-INVITE-2XX, HSP-INVITE-JOIN, HSP-INVITE-CLOSED-403, HC-ACTIVITY-201}")
	if res.code != report.ExitFail {
		t.Fatalf("exit %d, want %d\n%s", res.code, report.ExitFail, tailString(res.output, 4000))
	}
	outcomes := map[string]map[string]int{}
	for _, sp := range res.summary.Specs {
		if outcomes[sp.Rule] == nil {
			outcomes[sp.Rule] = map[string]int{}
		}
		outcomes[sp.Rule][sp.Outcome]++
		if sp.Outcome == report.OutcomeBlocked && (sp.BlockedBy != "HC-INVITE-2XX" || !strings.Contains(sp.Cause, "creating an invite handle (POST /handles) answered 500")) {
			t.Errorf("%s: blocked by %q, cause %q", sp.Name, sp.BlockedBy, sp.Cause)
		}
	}
	if outcomes["HC-INVITE-2XX"][report.OutcomeFailed] == 0 {
		t.Errorf("the broken rule's own spec did not fail: %v", outcomes)
	}
	for _, rule := range []string{"HSP-INVITE-JOIN", "HSP-INVITE-CLOSED-403"} {
		if outcomes[rule][report.OutcomeBlocked] == 0 || outcomes[rule][report.OutcomeFailed] != 0 {
			t.Errorf("%s: %v, want its specs blocked, none failed", rule, outcomes[rule])
		}
	}
	if outcomes["HC-ACTIVITY-201"][report.OutcomePassed] == 0 {
		t.Errorf("an unaffected rule did not pass: %v", outcomes)
	}
	if res.summary.Totals.Blocked == 0 || res.summary.Totals.Failed != outcomes["HC-INVITE-2XX"][report.OutcomeFailed] {
		t.Errorf("totals %+v: failures must be counted only at the broken rule", res.summary.Totals)
	}
	junit := readAll(t, filepath.Join(dir, report.JUnitFile))
	if !strings.Contains(junit, `<skipped message="[HSP-INVITE-JOIN] blocked by [HC-INVITE-2XX]`) ||
		!strings.Contains(junit, fmt.Sprintf(`failures="%d"`, res.summary.Totals.Failed)) {
		t.Errorf("junit.xml does not show the blocked specs as skips and the break once:\n%s", tailString(junit, 3000))
	}
}
