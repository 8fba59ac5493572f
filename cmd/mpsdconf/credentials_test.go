package main

// End-to-end tests of credentials as a user of a real target meets them: identities given as
// authorizationEnv values, a credential helper or the Xbox Live sign-in (against a local fake
// of the sign-in services whose XSTS tokens the emulator accepts), tokens that expire before
// or during the run, refused refresh tokens, swapped tokens, a wrong base URL, a gateway path
// prefix, no server identity, and `mpsdconf login`. None of these may end as a conformance
// verdict, and no token may reach a report.

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/tokenfile"
	"github.com/mpsdconf/mpsdconf/internal/xblfake"
	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
	"github.com/mpsdconf/mpsdconf/report"
)

// quickRules is a small selection of rules, for the runs whose point is not the whole suite.
const quickRules = "rule: containsAny {HC-ACTIVITY-201, HQ-PRIVATE-403, HG-UNKNOWN-404, SP-CREATE-201, HQ-PRIVATE-SERVER}"

// targetConfig writes a config file for target with the default world's SCID, templates,
// title and social graph, the given identities and extra top-level keys.
func targetConfig(t *testing.T, target string, ids map[string]map[string]any, extra map[string]any) string {
	t.Helper()
	w := fixtures.DefaultEnvironment()
	doc := map[string]any{
		"target": target, "contractVersion": w.ContractVersion, "scid": w.SCID, "titleId": w.TitleID,
		"templates":   map[string]string{"primary": w.Templates.Primary, "secondary": w.Templates.Secondary},
		"socialGraph": w.SocialGraph, "identities": ids,
	}
	for k, v := range extra {
		doc[k] = v
	}
	raw, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mintedEnv mints the default world's tokens, valid from now for lifetime (negative: already
// expired), as MPSD_<NAME>_AUTH variables, and returns the variables and the identities that
// name them.
func mintedEnv(t *testing.T, key string, lifetime time.Duration) ([]string, map[string]map[string]any) {
	t.Helper()
	w := fixtures.DefaultEnvironment()
	now := time.Now()
	var env []string
	ids := map[string]map[string]any{}
	for name, id := range w.Identities {
		v, err := xbltoken.Mint([]byte(key), xbltoken.Claims{XUID: id.XUID, TitleID: w.TitleID, Server: id.Server,
			IssuedAt: now.Add(-time.Hour).Unix(), ExpiresAt: now.Add(lifetime).Unix()}, now)
		if err != nil {
			t.Fatal(err)
		}
		variable := "MPSD_" + strings.ToUpper(name) + "_AUTH"
		env = append(env, variable+"="+v)
		ids[name] = map[string]any{"xuid": id.XUID, "server": id.Server, "authorizationEnv": variable}
	}
	return env, ids
}

// signInWorld is the emulator of the default world behind a local fake of the Xbox Live
// sign-in services, whose XSTS tokens the emulator accepts.
type signInWorld struct {
	emulatorURL string
	fake        *xblfake.Server
	accounts    map[string]xblfake.Account // by identity name
	refresh     map[string]string          // the first refresh token of each, by identity name
	mu          sync.Mutex
	issued      []string // every XSTS token the fake issued
}

func newSignInWorld(t *testing.T, key string, opts xblfake.Options) *signInWorld {
	t.Helper()
	w := fixtures.DefaultEnvironment()
	sw := &signInWorld{emulatorURL: serveEmulator(t, key, func(h http.Handler) http.Handler { return h }),
		accounts: map[string]xblfake.Account{}, refresh: map[string]string{}}
	opts.TitleID = w.TitleID
	opts.MintXSTS = func(a xblfake.Account, uhs string, notAfter time.Time) (string, error) {
		v, err := xbltoken.Mint([]byte(key), xbltoken.Claims{XUID: a.XUID, TitleID: w.TitleID, Gamertag: a.Gamertag, UserHash: uhs,
			IssuedAt: time.Now().Unix(), ExpiresAt: notAfter.Unix()}, time.Now())
		if err != nil {
			return "", err
		}
		_, token, _ := strings.Cut(v, ";")
		sw.mu.Lock()
		sw.issued = append(sw.issued, token)
		sw.mu.Unlock()
		return token, nil
	}
	sw.fake = xblfake.New(opts)
	t.Cleanup(sw.fake.Close)
	for _, name := range fixtures.RequiredIdentities {
		a := xblfake.Account{XUID: w.Identities[name].XUID, Gamertag: "Gamertag " + name}
		sw.accounts[name] = a
		sw.refresh[name] = sw.fake.AddAccount(a)
	}
	return sw
}

// xboxLive is the xboxLive settings that sign in at the fake.
func (sw *signInWorld) xboxLive() map[string]any {
	u := sw.fake.URL
	return map[string]any{"clientId": xblfake.DefaultClientID, "flow": "sisu",
		"endpoints": map[string]string{"live": u, "userAuth": u, "deviceAuth": u, "sisu": u, "xsts": u}}
}

// secrets are every secret of the sign-in a report must not show: every token and code the
// fake issued, and the XSTS tokens minted for it.
func (sw *signInWorld) secrets() []string {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return append(append([]string(nil), sw.issued...), sw.fake.Secrets()...)
}

// scanForSecrets fails the test if any file under root, or the console output, holds a secret.
// root holds a full set of reports, unless it is "".
func scanForSecrets(t *testing.T, root, console string, secrets []string) {
	t.Helper()
	files := 0
	check := func(where, content string) {
		for _, s := range secrets {
			// The middle of a secret too: a message that cuts a line short shows part of one.
			middle := s
			if len(s) > 40 {
				middle = s[len(s)/2-12 : len(s)/2+12]
			}
			if s != "" && (strings.Contains(content, s) || strings.Contains(content, middle)) {
				t.Errorf("%s shows a secret (%d characters, starting %q)", where, len(s), s[:min(6, len(s))])
			}
		}
	}
	check("the console output", console)
	if root == "" {
		return
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".json") && strings.Contains(path, "tokens") {
			return err
		}
		files++
		check(path, readAll(t, path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 6 {
		t.Errorf("scanned %d report files, want a full set", files)
	}
}

// TestXboxLiveSignInRenewsTokensDuringTheRun is the unattended nightly: identities with no
// XUID and no token, only a refresh token (two in CI variables, one in a token file), signed
// in through SISU at a fake whose XSTS tokens live 3 seconds, in a run of about 12 seconds.
// The run must pass, renewing each user's token several times, in one process and in two.
func TestXboxLiveSignInRenewsTokensDuringTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	for procs, name := range map[int]string{1: "one process", 2: "two processes"} {
		t.Run(name, func(t *testing.T) {
			const key = "sign-in-renewal-emulator-key"
			sw := newSignInWorld(t, key, xblfake.Options{XSTSLifetime: 3 * time.Second, RotateRefreshTokens: true})
			tokens := filepath.Join(t.TempDir(), "tokens")
			user3File := filepath.Join(tokens, "user3.json")
			if err := tokenfile.Open(user3File).Write(context.Background(), tokenfile.Contents{RefreshToken: sw.refresh["user3"]}); err != nil {
				t.Fatal(err)
			}
			ids := map[string]map[string]any{
				"user1": {"xboxLive": map[string]string{"refreshTokenEnv": "U1_REFRESH"}},
				"user2": {"xboxLive": map[string]string{"refreshTokenEnv": "U2_REFRESH"}},
				"user3": {"xboxLive": map[string]string{"tokenFile": user3File}},
			}
			env := []string{"U1_REFRESH=" + sw.refresh["user1"], "U2_REFRESH=" + sw.refresh["user2"]}
			extra := map[string]any{"xboxLive": sw.xboxLive()}
			if procs == 2 {
				pool := map[string]map[string]any{}
				for _, name := range fixtures.RequiredIdentities {
					a := xblfake.Account{XUID: strings.Replace(sw.accounts[name].XUID, "28146", "28147", 1), Gamertag: "Pool " + name}
					variable := "P2_" + strings.ToUpper(name) + "_REFRESH"
					env = append(env, variable+"="+sw.fake.AddAccount(a))
					pool[name] = map[string]any{"xboxLive": map[string]string{"refreshTokenEnv": variable}}
				}
				extra["identityPools"] = []any{pool}
				extra["socialGraph"] = nil
			}
			cfg := targetConfig(t, sw.emulatorURL, ids, extra)
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			filter := "rule: containsAny {HC-ACTIVITY-201, HC-ACTIVITY-REPLACE-SESSION, HQ-OWNERS-XUIDS, HQ-TAKE-LIMITS, HG-200-JSON, HD-2XX, SP-CREATE-201, SP-UPDATE-200, HSG-200, AUTH-FORGED-401}"
			res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), env, "--config", cfg, "--procs", fmt.Sprint(procs),
				"--rate-limit", "12", "--label-filter", filter)
			if res.code != report.ExitPass || res.summary.Verdict != report.VerdictPass {
				t.Fatalf("exit %d, verdict %s; want a pass\n%s", res.code, res.summary.Verdict, tailString(res.output, 4000))
			}
			stats := sw.fake.Stats()
			perUser := stats.SISU / (3 * procs)
			if res.summary.Metadata.DurationSeconds < 6 || perUser < 2 {
				t.Errorf("a %.1fs run signed each user in %d times (SISU %d): the 3-second tokens were not renewed", res.summary.Metadata.DurationSeconds, perUser, stats.SISU)
			}
			if stats.RefreshesWithoutScope != 0 || stats.BadSignatures != 0 {
				t.Errorf("sign-in requests the services refuse: %+v", stats)
			}
			stored, err := tokenfile.Open(user3File).Read(ctx)
			if err != nil || stored.RefreshToken != sw.fake.CurrentRefreshToken(sw.accounts["user3"].XUID) {
				t.Errorf("user3's rotated refresh token was not written back: %v", err)
			}
			scanForSecrets(t, res.dir, res.output, sw.secrets())
			t.Logf("%s: %s in %.1fs; sign-in: %+v", name, res.summary.Totals.Line(), res.summary.Metadata.DurationSeconds, stats)
		})
	}
}

// TestRefusedSignInEndsTheRunAtThePreflight: a revoked refresh token and an account Xbox Live
// refuses (a child account) end the run before any spec, with one line naming each identity.
func TestRefusedSignInEndsTheRunAtThePreflight(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	const key = "refused-sign-in-emulator-key"
	sw := newSignInWorld(t, key, xblfake.Options{})
	sw.fake.RevokeRefreshTokens(sw.accounts["user2"].XUID)
	sw.fake.SetXErr(sw.accounts["user3"].XUID, 2148916238)
	ids := map[string]map[string]any{}
	var env []string
	for _, name := range fixtures.RequiredIdentities {
		variable := strings.ToUpper(name) + "_REFRESH"
		ids[name] = map[string]any{"xboxLive": map[string]string{"refreshTokenEnv": variable}}
		env = append(env, variable+"="+sw.refresh[name])
	}
	cfg := targetConfig(t, sw.emulatorURL, ids, map[string]any{"xboxLive": sw.xboxLive()})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), env, "--config", cfg)
	if res.code != report.ExitHarness {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.output)
	}
	for _, want := range []string{
		"user2 (Xbox Live sign-in, refresh token from refreshTokenEnv USER2_REFRESH)", "invalid_grant", "signed in again",
		"user3 (Xbox Live sign-in, refresh token from refreshTokenEnv USER3_REFRESH)", "XErr 2148916238", "family group",
	} {
		if !strings.Contains(res.output, want) {
			t.Errorf("output lacks %q:\n%s", want, res.output)
		}
	}
	if strings.Contains(res.output, "user1 (") || strings.Contains(res.output, "passed") {
		t.Errorf("user1 signed in fine and no spec may run:\n%s", res.output)
	}
	scanForSecrets(t, "", res.output, sw.secrets())
}

// TestExpiredTokensAreAHarnessErrorNeverAVerdict: tokens already expired end the run at the
// preflight, one line per identity; tokens that expire during the run (which a static value
// cannot renew) end it as a harness error with one line, whatever an expectations file says,
// and `expectations --from` refuses such a run.
func TestExpiredTokensAreAHarnessErrorNeverAVerdict(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	bin := buildBinary(t)
	const key = "expiry-emulator-key-0123456789"
	url := serveEmulator(t, key, func(h http.Handler) http.Handler { return h })
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	root := t.TempDir()

	// An expectations file that expects every rule to fail: it must not turn either run green.
	var entries []map[string]string
	for _, rule := range catalogRuleIDs(t) {
		entries = append(entries, map[string]string{"rule": rule, "outcome": "failed", "reason": "expect everything"})
	}
	raw, _ := yaml.Marshal(map[string]any{"expectations": entries})
	expect := filepath.Join(root, "expect-all.yaml")
	if err := os.WriteFile(expect, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	env, ids := mintedEnv(t, key, -time.Minute)
	cfg := targetConfig(t, url, ids, nil)
	before := runBinary(t, ctx, filepath.Join(root, "expired"), env, "--config", cfg, "--profile", "documented", "--expectations", expect)
	if before.code != report.ExitHarness || strings.Count(before.output, "answered 401 Unauthorized") != 4 || strings.Contains(before.output, "Ran ") {
		t.Fatalf("already expired tokens: exit %d; want 2 with one line per identity before any spec\n%s", before.code, before.output)
	}

	env, ids = mintedEnv(t, key, 5*time.Second)
	cfg = targetConfig(t, url, ids, nil)
	during := runBinary(t, ctx, filepath.Join(root, "during"), env, "--config", cfg, "--profile", "documented",
		"--rate-limit", "60", "--expectations", expect)
	if during.code != report.ExitHarness || during.summary.Verdict != report.VerdictHarness || len(during.summary.CredentialProblems) == 0 {
		t.Fatalf("tokens expiring during the run: exit %d, verdict %s, %d refused credentials; want 2, harness-error\n%s",
			during.code, during.summary.Verdict, len(during.summary.CredentialProblems), tailString(during.output, 3000))
	}
	if during.summary.Totals.Failed != 0 || during.summary.Totals.Passed == 0 || during.summary.Totals.HarnessErrors == 0 {
		t.Errorf("an expired credential was counted as the target's failure: %s", during.summary.Totals.Line())
	}
	lines := 0
	for _, line := range strings.Split(during.output, "\n") {
		if strings.HasPrefix(line, "mpsdconf: harness error: credential of ") && strings.Contains(line, "refused (401)") {
			lines++
		}
	}
	if lines == 0 || lines != len(during.summary.CredentialProblems) {
		t.Errorf("%d lines for %d refused credentials:\n%s", lines, len(during.summary.CredentialProblems), tailString(during.output, 2000))
	}
	md := readAll(t, filepath.Join(during.dir, "report.md"))
	if !strings.Contains(md, "Harness error: credentials refused") || !strings.Contains(md, "mpsdconf sweep") {
		t.Errorf("report.md does not say the credentials were refused or how to sweep:\n%s", md[:min(len(md), 2000)])
	}
	cmd := exec.CommandContext(ctx, bin, "expectations", "--from", filepath.Join(during.dir, "report.json"))
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "refused the credentials of") {
		t.Errorf("expectations --from a run with refused credentials: %v\n%s", err, out)
	}
	scanForSecrets(t, during.dir, during.output, envSecrets(env))
}

// envSecrets are the Authorization values of VAR=value pairs, whole and their token parts.
func envSecrets(env []string) []string {
	var secrets []string
	for _, kv := range env {
		_, v, _ := strings.Cut(kv, "=")
		_, token, _ := strings.Cut(v, ";")
		secrets = append(secrets, v, token)
	}
	return secrets
}

// catalogRuleIDs lists every rule of the catalog, from `mpsdconf list`.
func catalogRuleIDs(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command(buildBinary(t), "list", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var rules []struct {
		ID string `json:"id"`
	}
	if err := yaml.Unmarshal(out, &rules); err != nil || len(rules) < 50 {
		t.Fatalf("list: %v (%d rules)", err, len(rules))
	}
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	return ids
}

// TestAuthorizationCommandIsRunAgainBeforeItsValueExpires: a credential helper whose values
// live 4 seconds, in a run of about 10 seconds, is run again for each user before the value
// expires, and the run passes.
func TestAuthorizationCommandIsRunAgainBeforeItsValueExpires(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	const key = "helper-emulator-key-0123456789"
	url := serveEmulator(t, key, func(h http.Handler) http.Handler { return h })
	dir := t.TempDir()
	w := fixtures.DefaultEnvironment()
	start := time.Now().Unix()
	const window = 4
	// The helper prints the value of the current 4-second window, valid until its end.
	for name, id := range w.Identities {
		for i := 0; i < 60; i++ {
			exp := start + int64(window*(i+1))
			v, err := xbltoken.Mint([]byte(key), xbltoken.Claims{XUID: id.XUID, TitleID: w.TitleID, Server: id.Server, IssuedAt: start, ExpiresAt: exp}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			line := fmt.Sprintf(`{"authorization": %q, "expiresAt": %q}`, v, time.Unix(exp, 0).UTC().Format(time.RFC3339))
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s.%d", name, i)), []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	script := filepath.Join(dir, "helper.sh")
	body := fmt.Sprintf("#!/bin/sh\necho run >> %s/runs.$1\nn=$(( ($(date +%%s) - %d) / %d ))\ncat %s/$1.$n\n", dir, start, window, dir)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	ids := map[string]map[string]any{}
	for name, id := range w.Identities {
		ids[name] = map[string]any{"xuid": id.XUID, "server": id.Server, "authorizationCommand": []string{script, name}}
	}
	cfg := targetConfig(t, url, ids, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), nil, "--config", cfg, "--rate-limit", "12",
		"--label-filter", "rule: containsAny {HC-ACTIVITY-201, HQ-OWNERS-XUIDS, HG-200-JSON, SP-CREATE-201, SP-UPDATE-200, HSG-200, HQ-PRIVATE-SERVER}")
	if res.code != report.ExitPass {
		t.Fatalf("exit %d, want a pass\n%s", res.code, tailString(res.output, 4000))
	}
	runs := strings.Count(readAll(t, filepath.Join(dir, "runs.user1")), "run")
	if res.summary.Metadata.DurationSeconds < 6 || runs < 3 {
		t.Errorf("the helper ran %d times for user1 in a %.1fs run of 4-second values", runs, res.summary.Metadata.DurationSeconds)
	}
	t.Logf("%s in %.1fs; helper runs for user1: %d", res.summary.Totals.Line(), res.summary.Metadata.DurationSeconds, runs)
}

// TestPreflightRefusesConfigurationsThatWouldMisjudgeTheTarget: swapped tokens, users shared by
// two identity sets, a wrong base URL and a web server that is not MPSD each end the run at
// the preflight with one clear error; a target behind a gateway path prefix passes.
func TestPreflightRefusesConfigurationsThatWouldMisjudgeTheTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	const key = "preflight-emulator-key-012345"
	// The emulator behind a gateway that serves it at / and under the path prefix /mpsd/.
	gateway := serveEmulator(t, key, func(emu http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/mpsd/", http.StripPrefix("/mpsd", emu))
		mux.Handle("/", emu)
		return mux
	})
	// A target that refuses session PUTs with a 403 echoing the caller's token.
	echo := serveEmulator(t, key, func(emu http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusForbidden)
				_, token, _ := strings.Cut(r.Header.Get("Authorization"), ";")
				fmt.Fprintf(w, "forbidden for token %s", token)
				return
			}
			emu.ServeHTTP(w, r)
		})
	})
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html><body>Not Found</body></html>")
	}))
	t.Cleanup(web.Close)
	env, ids := mintedEnv(t, key, time.Hour)
	swapped := append([]string(nil), env...)
	for i, kv := range swapped {
		if strings.HasPrefix(kv, "MPSD_USER2_AUTH=") {
			for _, other := range env {
				if v, ok := strings.CutPrefix(other, "MPSD_USER1_AUTH="); ok {
					swapped[i] = "MPSD_USER2_AUTH=" + v
				}
			}
		}
	}
	pool := map[string]map[string]any{}
	for name, id := range ids {
		pool[name] = id // the same users again
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cases := map[string]struct {
		target string
		env    []string
		extra  map[string]any
		args   []string
		code   int
		want   string
	}{
		"swapped tokens": {gateway, swapped, nil, nil, 2,
			"identities.user2.xuid is 2814600000000102, but the target shows its credential's user as XUID 2814600000000101"},
		"users in two identity sets": {gateway, env, map[string]any{"identityPools": []any{pool}}, []string{"--procs", "2"}, 2,
			"identityPools[0].user1.xuid: XUID 2814600000000101 is also identities.user1"},
		"wrong base URL": {gateway + "/wrong", env, nil, nil, 2,
			"does not answer like MPSD: PUT /wrong/serviceconfigs/"},
		"a web server":            {web.URL, env, nil, nil, 2, "answered with an HTML page, which MPSD never sends"},
		"a 403 echoing the token": {echo, env, nil, nil, 2, "may not create a session under template"},
		"a gateway path prefix":   {gateway + "/mpsd/", env, nil, []string{"--label-filter", quickRules}, 0, "verdict pass"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := targetConfig(t, tc.target, ids, tc.extra)
			res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), tc.env, append([]string{"--config", cfg}, tc.args...)...)
			if res.code != tc.code || !strings.Contains(res.output, tc.want) {
				t.Fatalf("exit %d, want %d with %q\n%s", res.code, tc.code, tc.want, tailString(res.output, 3000))
			}
			if tc.code == 2 && strings.Contains(res.output, "Ran ") {
				t.Errorf("specs ran after a preflight error:\n%s", res.output)
			}
			scanForSecrets(t, "", res.output, envSecrets(tc.env))
		})
	}
}

// TestRunWithoutAServerIdentity: most teams have no server-to-server credentials. Without
// identities.server the run passes with the server specs skipped, named as such, in one
// process and in two.
func TestRunWithoutAServerIdentity(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	const key = "no-server-emulator-key-0123"
	url := serveEmulator(t, key, func(h http.Handler) http.Handler { return h })
	env, ids := mintedEnv(t, key, time.Hour)
	delete(ids, "server")
	pool := map[string]map[string]any{}
	w := fixtures.DefaultEnvironment()
	for _, name := range fixtures.RequiredIdentities {
		xuid := strings.Replace(w.Identities[name].XUID, "28146", "28141", 1)
		v, err := xbltoken.Mint([]byte(key), xbltoken.Claims{XUID: xuid, TitleID: w.TitleID}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		pool[name] = map[string]any{"xuid": xuid, "authorization": v}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, procs := range []string{"1", "2"} {
		cfg := targetConfig(t, url, ids, map[string]any{"identityPools": []any{pool}, "socialGraph": nil})
		res := runBinary(t, ctx, filepath.Join(t.TempDir(), "reports"), env, "--config", cfg, "--procs", procs)
		if res.code != report.ExitPass {
			t.Fatalf("%s processes: exit %d\n%s", procs, res.code, tailString(res.output, 3000))
		}
		skipped := 0
		for _, sp := range res.summary.Specs {
			if sp.Outcome == report.OutcomeSkipped && sp.Cause == "needs a server identity (none configured)" {
				skipped++
			}
			if strings.Contains(sp.Name, "server principal") && sp.Outcome != report.OutcomeSkipped {
				t.Errorf("%s: %s, want skipped", sp.Name, sp.Outcome)
			}
		}
		if skipped < 10 || !strings.Contains(readAll(t, filepath.Join(res.dir, "report.md")), fmt.Sprintf("%d skipped: needs a server identity (none configured)", skipped)) {
			t.Errorf("%s processes: %d specs skipped for the server, and report.md must list them", procs, skipped)
		}
		t.Logf("%s processes: %s", procs, res.summary.Totals.Line())
	}
}

// TestLoginSignsAnAccountInOnce: `mpsdconf login` shows the URL and code, waits out
// authorization_pending, checks the account through the chain and writes the token file
// (0600) that a run then signs in from; --print prints the refresh token instead; a wrong
// account (another XUID) is refused and nothing is written.
func TestLoginSignsAnAccountInOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	bin := buildBinary(t)
	const key = "login-emulator-key-0123456789"
	sw := newSignInWorld(t, key, xblfake.Options{PendingPolls: 1, DeviceCodeInterval: 1})
	dir := t.TempDir()
	ids := map[string]map[string]any{}
	var env []string
	for _, name := range fixtures.RequiredIdentities {
		ids[name] = map[string]any{"xboxLive": map[string]string{"tokenFile": "tokens/" + name + ".json"}}
	}
	ids["user2"] = map[string]any{"xuid": sw.accounts["user2"].XUID, "xboxLive": map[string]string{"refreshTokenEnv": "U2_REFRESH"}}
	cfg := targetConfig(t, sw.emulatorURL, ids, map[string]any{"xboxLive": sw.xboxLive()})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	login := func(account xblfake.Account, args ...string) (int, string, string) {
		sw.fake.ApproveDeviceCodes(account)
		cmd := exec.CommandContext(ctx, bin, append([]string{"login", "--config", cfg}, args...)...)
		cmd.Env = cleanEnviron()
		var stdout strings.Builder
		cmd.Stdout = &stdout
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var errOut strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			errOut.WriteString(sc.Text() + "\n")
		}
		_ = cmd.Wait()
		return cmd.ProcessState.ExitCode(), stdout.String(), errOut.String()
	}
	for _, name := range []string{"user1", "user3"} {
		code, stdout, stderr := login(sw.accounts[name], "--identity", name)
		if code != 0 || !strings.Contains(stderr, "open "+xblfake.VerificationURI+" and enter the code ") || !strings.Contains(stderr, "Wrote ") || stdout != "" {
			t.Fatalf("login %s: exit %d\nstdout: %s\nstderr: %s", name, code, stdout, stderr)
		}
		info, err := os.Stat(filepath.Join(filepath.Dir(cfg), "tokens", name+".json"))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s's token file: %v", name, err)
		}
	}
	code, stdout, stderr := login(sw.accounts["user2"], "--identity", "user2", "--print")
	refresh := strings.TrimSpace(stdout)
	if code != 0 || !strings.HasPrefix(refresh, "M.C5") || !strings.Contains(stderr, "U2_REFRESH") {
		t.Fatalf("login --print: exit %d\nstdout: %q\nstderr: %s", code, stdout, stderr)
	}
	if code, _, stderr := login(sw.accounts["user1"], "--identity", "user2", "--print"); code != 2 || !strings.Contains(stderr, "is configured as XUID") {
		t.Errorf("signing in another account than the configured XUID: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := login(sw.accounts["user2"], "--identity", "user2"); code != 2 || !strings.Contains(stderr, "run login with --print") {
		t.Errorf("login to an env-var identity without --print: exit %d\n%s", code, stderr)
	}
	if sw.fake.Stats().DeviceCodePolls < 6 {
		t.Errorf("device-code polls %d: each login must wait out one authorization_pending", sw.fake.Stats().DeviceCodePolls)
	}
	env = append(env, "U2_REFRESH="+refresh)
	res := runBinary(t, ctx, filepath.Join(dir, "reports"), env, "--config", cfg, "--label-filter", quickRules)
	if res.code != report.ExitPass {
		t.Fatalf("a run after login: exit %d\n%s", res.code, tailString(res.output, 3000))
	}
	scanForSecrets(t, res.dir, res.output, append(sw.secrets(), refresh))
}
