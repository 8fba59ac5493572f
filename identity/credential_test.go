package identity

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/internal/tokenfile"
	"github.com/mpsdconf/mpsdconf/internal/xblauth"
	"github.com/mpsdconf/mpsdconf/internal/xblfake"
)

// countingSource hands out value-1, value-2, ... each valid for lifetime from the clock.
type countingSource struct {
	mu        sync.Mutex
	now       func() time.Time
	lifetime  time.Duration
	renewable bool
	fetches   int
	reasons   []string
	fail      error
}

func (c *countingSource) Kind() string     { return KindCommand }
func (c *countingSource) Renewable() bool  { return c.renewable }
func (c *countingSource) Describe() string { return "test source" }
func (c *countingSource) Fetch(_ context.Context, reason string) (Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reasons = append(c.reasons, reason)
	if c.fail != nil {
		return Token{}, c.fail
	}
	c.fetches++
	now := c.now()
	return Token{Authorization: fmt.Sprintf("XBL3.0 x=1;value-%d-0123456789", c.fetches), IssuedAt: now, ExpiresAt: now.Add(c.lifetime)}, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestCredentialRenewsBeforeExpiryAndKeepsAWorkingValue(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	src := &countingSource{now: clk.now, lifetime: 10 * time.Minute, renewable: true}
	redactor := mpsdclient.NewRedactor()
	cred := newCredential("user1", src, clk.now, redactor.Add, 0)
	ctx := context.Background()
	v1, err := cred.Authorization(ctx)
	if err != nil || v1 != "XBL3.0 x=1;value-1-0123456789" {
		t.Fatalf("first value %q %v", v1, err)
	}
	if strings.Contains(redactor.String(v1), "value-1") {
		t.Error("a fetched value is not redacted")
	}
	clk.t = clk.t.Add(7 * time.Minute) // 3 minutes left: more than the margin (2 minutes)
	if v, _ := cred.Authorization(ctx); v != v1 {
		t.Errorf("renewed too early: %q", v)
	}
	clk.t = clk.t.Add(2 * time.Minute) // 1 minute left: within the margin
	v2, err := cred.Authorization(ctx)
	if err != nil || v2 == v1 || src.reasons[1] != ReasonExpiring {
		t.Fatalf("not renewed within the margin: %q %v %v", v2, err, src.reasons)
	}
	// A renewal that fails keeps the value while it has not expired, and fails after.
	src.fail = errors.New("helper down")
	clk.t = clk.t.Add(9 * time.Minute)
	if v, err := cred.Authorization(ctx); err != nil || v != v2 {
		t.Errorf("a failed renewal dropped a value that still works: %q %v", v, err)
	}
	clk.t = clk.t.Add(2 * time.Minute)
	if _, err := cred.Authorization(ctx); !errors.Is(err, mpsdclient.ErrCredentialUnavailable) || !strings.Contains(err.Error(), "helper down") {
		t.Errorf("an expired value with a failing source: %v", err)
	}
	lapse, ok := cred.Refusal()
	if !ok || lapse.Status != 0 || !strings.Contains(lapse.String(), "expired at") || !strings.Contains(lapse.String(), "helper down") {
		t.Errorf("an expired credential that cannot be renewed is not a problem of the run: %v %s", ok, lapse)
	}
	// The failing source is asked again only after the backoff, not on every request.
	asked := len(src.reasons)
	for i := 0; i < 20; i++ {
		_, _ = cred.Authorization(ctx)
	}
	if len(src.reasons) != asked {
		t.Errorf("the failing source was asked %d more times within the backoff", len(src.reasons)-asked)
	}
	clk.t = clk.t.Add(fetchBackoff)
	src.fail = nil
	if v, err := cred.Authorization(ctx); err != nil || v == v2 {
		t.Errorf("after the backoff the source is not asked again: %q %v", v, err)
	}
	if _, ok := cred.Refusal(); ok {
		t.Error("a renewed credential is still reported as lapsed")
	}
}

func TestRenewalRefusedForGoodIsNotRenewable(t *testing.T) {
	clk := &clock{t: time.Now()}
	src := &countingSource{now: clk.now, lifetime: time.Hour, renewable: true}
	cred := newCredential("user1", src, clk.now, nil, 0)
	v, _ := cred.Authorization(context.Background())
	src.fail = fmt.Errorf("refresh answered 400 (invalid_grant): %w", xblauth.ErrSignInRequired)
	if _, err := cred.Renew(context.Background(), v); !errors.Is(err, mpsdclient.ErrNotRenewable) || !strings.Contains(err.Error(), "signed in again") {
		t.Errorf("a refresh token Microsoft refuses: %v", err)
	}
	src.fail = errors.New("connection reset")
	clk.t = clk.t.Add(fetchBackoff)
	if _, err := cred.Renew(context.Background(), v); err == nil || errors.Is(err, mpsdclient.ErrNotRenewable) {
		t.Errorf("a sign-in service that did not answer: %v (must be a passing failure)", err)
	}
}

func TestCredentialRenewAfterRefusal(t *testing.T) {
	clk := &clock{t: time.Now()}
	src := &countingSource{now: clk.now, lifetime: time.Hour, renewable: true}
	cred := newCredential("user2 (identityPools[0])", src, clk.now, nil, 0)
	ctx := context.Background()
	v1, _ := cred.Authorization(ctx)
	v2, err := cred.Renew(ctx, v1)
	if err != nil || v2 == v1 || src.reasons[len(src.reasons)-1] != ReasonRefused {
		t.Fatalf("renew: %q %v %v", v2, err, src.reasons)
	}
	// Another request refused with the old value gets the new one without a new fetch.
	if v, err := cred.Renew(ctx, v1); err != nil || v != v2 || src.fetches != 2 {
		t.Errorf("a second refusal of the old value fetched again: %q %v (%d fetches)", v, err, src.fetches)
	}
	cred.Refuse(401, "token has expired; refused again after renewing")
	if _, err := cred.Authorization(ctx); !errors.Is(err, mpsdclient.ErrCredentialRefused) {
		t.Errorf("a refused credential still hands out values: %v", err)
	}
	r, ok := cred.Refusal()
	if !ok || !strings.Contains(r.String(), "credential of user2 (identityPools[0]) (test source) refused (401)") {
		t.Errorf("refusal: %v %s", ok, r)
	}

	static := newCredential("user3", staticSource{value: "XBL3.0 x=3;static-0123456789", from: "authorizationEnv X"}, nil, nil, 0)
	v, _ := static.Authorization(ctx)
	if _, err := static.Renew(ctx, v); err == nil || !strings.Contains(err.Error(), "cannot renew") {
		t.Errorf("a static value renewed: %v", err)
	}
}

func TestAuthorizationCommandIsRunAgainWhenItsValueExpires(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "runs")
	script := filepath.Join(dir, "helper.sh")
	// Each run prints a new value that expires 3 to 4 seconds later, and the user's XUID.
	body := `#!/bin/sh
n=$(($(cat ` + counter + ` 2>/dev/null || echo 0) + 1)); echo $n > ` + counter + `
exp=$(date -u -d "@$(($(date +%s) + 4))" +%Y-%m-%dT%H:%M:%SZ)
printf '{"authorization": "XBL3.0 x=7;helper-value-%s", "expiresAt": "%s", "xuid": "2814600000000101"}' "$n" "$exp"
`
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	env := fixtures.DefaultEnvironment()
	u1 := env.Identities["user1"]
	u1.XUID, u1.AuthorizationCommand = "", []string{script}
	env.Identities = map[string]fixtures.Identity{"user1": u1}
	s, err := Build(env, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := s.Get("user1")
	ctx := context.Background()
	v1, err := id.Credential().Authorization(ctx)
	if err != nil || !strings.HasSuffix(v1, "helper-value-1") || id.Credential().Token().XUID != "2814600000000101" {
		t.Fatalf("first run: %q %v %+v", v1, err, id.Credential().Token())
	}
	time.Sleep(200 * time.Millisecond) // the margin is a fifth of the 3 to 4 seconds: not yet
	if v, _ := id.Credential().Authorization(ctx); v != v1 {
		t.Errorf("the helper was run again long before its value expired: %q", v)
	}
	time.Sleep(3500 * time.Millisecond)
	v2, err := id.Credential().Authorization(ctx)
	if err != nil || !strings.HasSuffix(v2, "helper-value-2") {
		t.Errorf("the helper was not run again before its value expired: %q %v", v2, err)
	}
}

func TestXboxLiveIdentitiesSignInAndHandOverTheirState(t *testing.T) {
	fake := xblfake.New(xblfake.Options{RotateRefreshTokens: true})
	t.Cleanup(fake.Close)
	redactor := mpsdclient.NewRedactor()
	client, err := xblauth.New(xblauth.Config{ClientID: xblfake.DefaultClientID, OnSecret: redactor.Add,
		Endpoints: xblauth.Endpoints{Live: fake.URL, UserAuth: fake.URL, DeviceAuth: fake.URL, SISU: fake.URL, XSTS: fake.URL}})
	if err != nil {
		t.Fatal(err)
	}
	one := xblfake.Account{XUID: "2535400000000011", Gamertag: "One"}
	two := xblfake.Account{XUID: "2535400000000012", Gamertag: "Two"}
	tokenFile := filepath.Join(t.TempDir(), "user2.json")
	if err := tokenfile.Open(tokenFile).Write(context.Background(), tokenfile.Contents{RefreshToken: fake.AddAccount(two)}); err != nil {
		t.Fatal(err)
	}
	env := fixtures.DefaultEnvironment()
	env.Identities = map[string]fixtures.Identity{
		"user1": {XboxLive: &fixtures.XboxLiveIdentity{RefreshTokenEnv: "U1_REFRESH"}},
		"user2": {XboxLive: &fixtures.XboxLiveIdentity{TokenFile: tokenFile}},
	}
	vars := map[string]string{"U1_REFRESH": fake.AddAccount(one)}
	opts := Options{XboxLive: client, Redactor: redactor, Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	s, err := Build(env, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, acc := range map[string]xblfake.Account{"user1": one, "user2": two} {
		id, _ := s.Get(name)
		if _, err := id.Credential().Authorization(context.Background()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tok := id.Credential().Token(); tok.XUID != acc.XUID || tok.Gamertag != acc.Gamertag || id.Credential().Kind() != KindXboxLive {
			t.Errorf("%s: claims %+v", name, tok)
		}
	}
	stored, _ := tokenfile.Open(tokenFile).Read(context.Background())
	if stored.RefreshToken != fake.CurrentRefreshToken(two.XUID) {
		t.Error("the rotated refresh token was not written back to the token file")
	}
	states := s.States()
	if states["user1"].RefreshToken != fake.CurrentRefreshToken(one.XUID) || states["user2"].RefreshToken != "" {
		t.Errorf("states hand over the newest env refresh token only: %+v", states)
	}
	for _, secret := range append(s.Secrets(), states["user1"].RefreshToken, stored.RefreshToken) {
		if got := redactor.String("x " + secret); strings.Contains(got, secret) {
			t.Errorf("the redactor does not know a secret of %d characters", len(secret))
		}
	}
	// A worker seeded with the states signs in with the rotated token, not the stale variable.
	worker, err := Build(env, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	worker.Seed(states)
	id, _ := worker.Get("user1")
	if _, err := id.Credential().Renew(context.Background(), states["user1"].Authorization); err != nil {
		t.Errorf("a seeded worker cannot renew with the handed-over refresh token: %v", err)
	}
	if _, err := Build(env, "", Options{Lookup: opts.Lookup}); err == nil || !strings.Contains(err.Error(), "xboxLive settings") {
		t.Errorf("xboxLive identities without the xboxLive settings: %v", err)
	}
}
