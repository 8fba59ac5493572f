package xblauth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/internal/xblauth"
	"github.com/mpsdconf/mpsdconf/internal/xblfake"
)

// signInTest is a fake of the sign-in services and a client configured for it.
type signInTest struct {
	fake    *xblfake.Server
	client  *xblauth.Client
	secrets *secretLog
}

// secretLog records what the client reports as secrets.
type secretLog struct {
	mu     sync.Mutex
	values []string
}

func (l *secretLog) add(values ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.values = append(l.values, values...)
}

func (l *secretLog) has(v string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.values {
		if s == v {
			return true
		}
	}
	return false
}

func newSignInTest(t *testing.T, flow string, opts xblfake.Options) *signInTest {
	t.Helper()
	fake := xblfake.New(opts)
	t.Cleanup(fake.Close)
	log := &secretLog{}
	client, err := xblauth.New(xblauth.Config{
		ClientID: xblfake.DefaultClientID, Flow: flow, Sandbox: opts.Sandbox,
		Endpoints: xblauth.Endpoints{Live: fake.URL, UserAuth: fake.URL, DeviceAuth: fake.URL, SISU: fake.URL, XSTS: fake.URL},
		OnSecret:  log.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &signInTest{fake: fake, client: client, secrets: log}
}

var player = xblfake.Account{XUID: "2535400000000001", Gamertag: "MpsdConf Tester"}

func TestBothFlowsSignInAndShowTheClaims(t *testing.T) {
	for _, flow := range []string{xblauth.FlowSISU, xblauth.FlowUser} {
		t.Run(flow, func(t *testing.T) {
			st := newSignInTest(t, flow, xblfake.Options{})
			refresh := st.fake.AddAccount(player)
			session := st.client.NewSession(xblauth.NewMemoryStore(refresh))
			tok, err := session.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tok.XUID != player.XUID || tok.Gamertag != player.Gamertag || tok.UserHash != xblfake.UserHash(player.XUID) {
				t.Errorf("claims: %+v", tok)
			}
			if !strings.HasPrefix(tok.Authorization, "XBL3.0 x="+tok.UserHash+";") || time.Until(tok.NotAfter) < 15*time.Hour {
				t.Errorf("token: %q expires %s", tok.Authorization[:20], tok.NotAfter)
			}
			_, xsts, _ := strings.Cut(tok.Authorization, ";")
			if !st.secrets.has(xsts) || !st.secrets.has(refresh) {
				t.Error("the XSTS token or the refresh token was not reported as a secret")
			}
			stats := st.fake.Stats()
			if stats.Refreshes != 1 || stats.RefreshesWithoutScope != 0 || stats.BadSignatures != 0 {
				t.Errorf("refreshes %d (without scope %d), bad signatures %d", stats.Refreshes, stats.RefreshesWithoutScope, stats.BadSignatures)
			}
			if flow == xblauth.FlowSISU && (stats.DeviceTokens != 1 || stats.SISU != 1 || stats.XSTS != 0) {
				t.Errorf("sisu flow: %+v", stats)
			}
			if flow == xblauth.FlowUser && (stats.UserTokens != 1 || stats.XSTS != 1 || stats.DeviceTokens != 0) {
				t.Errorf("user flow: %+v", stats)
			}
			// Signing in again reuses the access token (and the device): one more SISU or XSTS.
			if _, err := session.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			if again := st.fake.Stats(); again.Refreshes != 1 || again.DeviceTokens != stats.DeviceTokens || again.SISU+again.XSTS != stats.SISU+stats.XSTS+1 {
				t.Errorf("second sign-in: %+v", again)
			}
		})
	}
}

func TestRotatedRefreshTokensAreKept(t *testing.T) {
	st := newSignInTest(t, xblauth.FlowSISU, xblfake.Options{RotateRefreshTokens: true, AccessTokenLifetime: time.Second})
	store := xblauth.NewMemoryStore(st.fake.AddAccount(player))
	session := st.client.NewSession(store)
	for i := 0; i < 3; i++ {
		if _, err := session.Token(context.Background()); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
		if store.Current() != st.fake.CurrentRefreshToken(player.XUID) {
			t.Fatalf("sign-in %d: the store does not hold the rotated refresh token", i+1)
		}
	}
	if st.fake.Stats().Refreshes != 3 {
		t.Errorf("access tokens living 1s were not refreshed each time: %+v", st.fake.Stats())
	}
}

func TestRefusalsAreClear(t *testing.T) {
	st := newSignInTest(t, xblauth.FlowSISU, xblfake.Options{})
	refresh := st.fake.AddAccount(player)
	st.fake.RevokeRefreshTokens(player.XUID)
	_, err := st.client.NewSession(xblauth.NewMemoryStore(refresh)).Token(context.Background())
	if !errors.Is(err, xblauth.ErrSignInRequired) || !strings.Contains(err.Error(), "invalid_grant") || strings.Contains(err.Error(), refresh) {
		t.Errorf("revoked refresh token: %v", err)
	}

	child := xblfake.Account{XUID: "2535400000000002", Gamertag: "Kid", XErr: 2148916238}
	_, err = st.client.NewSession(xblauth.NewMemoryStore(st.fake.AddAccount(child))).Token(context.Background())
	var acct *xblauth.AccountError
	if !errors.As(err, &acct) || acct.XErr != 2148916238 || !strings.Contains(err.Error(), "family group") || !errors.Is(err, xblauth.ErrRefused) {
		t.Errorf("child account: %v", err)
	}

	_, err = st.client.NewSession(xblauth.NewMemoryStore("")).Token(context.Background())
	if !errors.Is(err, xblauth.ErrSignInRequired) {
		t.Errorf("no refresh token: %v", err)
	}
}

func TestWrongSandboxIsRefusedWithItsCode(t *testing.T) {
	fake := xblfake.New(xblfake.Options{Sandbox: "XDKS.1"})
	t.Cleanup(fake.Close)
	client, err := xblauth.New(xblauth.Config{ClientID: xblfake.DefaultClientID, Sandbox: "RETAIL",
		Endpoints: xblauth.Endpoints{Live: fake.URL, UserAuth: fake.URL, DeviceAuth: fake.URL, SISU: fake.URL, XSTS: fake.URL}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.NewSession(xblauth.NewMemoryStore(fake.AddAccount(player))).Token(context.Background())
	if !errors.Is(err, xblauth.ErrRefused) || !strings.Contains(err.Error(), "xboxLive.sandbox") {
		t.Errorf("wrong sandbox: %v", err)
	}
}

func TestSigningFollowsTheServicesClock(t *testing.T) {
	st := newSignInTest(t, xblauth.FlowSISU, xblfake.Options{ClockSkew: 10 * time.Minute, XSTSLifetime: time.Hour})
	tok, err := st.client.NewSession(xblauth.NewMemoryStore(st.fake.AddAccount(player))).Token(context.Background())
	if err != nil {
		t.Fatalf("a 10-minute clock skew was not corrected: %v", err)
	}
	if left := time.Until(tok.NotAfter); left < 59*time.Minute || left > 61*time.Minute {
		t.Errorf("the token's NotAfter is %s away on our clock, want the 1h lifetime (not shifted by the services' skew)", left)
	}
	if st.fake.Stats().BadSignatures != 1 {
		t.Errorf("want exactly the first signed request refused, then signed with the services' time: %+v", st.fake.Stats())
	}
}

func TestDeviceCodeSignIn(t *testing.T) {
	st := newSignInTest(t, xblauth.FlowSISU, xblfake.Options{PendingPolls: 1, DeviceCodeInterval: 1})
	st.fake.ApproveDeviceCodes(player)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	da, err := st.client.DeviceCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if da.UserCode == "" || da.VerificationURI != xblfake.VerificationURI {
		t.Errorf("device code answer: %+v", da)
	}
	tok, err := st.client.AwaitDeviceCode(ctx, da)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || !st.secrets.has(tok.RefreshToken) || st.fake.Stats().DeviceCodePolls < 2 {
		t.Errorf("refresh token %v, polls %d: want one authorization_pending poll, then the token", tok.RefreshToken != "", st.fake.Stats().DeviceCodePolls)
	}
	if _, err := st.client.NewSession(xblauth.NewMemoryStore(tok.RefreshToken)).Token(ctx); err != nil {
		t.Errorf("the device-code refresh token does not sign in: %v", err)
	}
}

func TestConfigRefusesUnsafeEndpoints(t *testing.T) {
	for endpoint, ok := range map[string]bool{
		"https://login.example": true, "http://127.0.0.1:9": true, "http://localhost:9": true,
		"http://login.example": false, "ftp://x": false, "login.live.com": false,
	} {
		_, err := xblauth.New(xblauth.Config{ClientID: "c", Endpoints: xblauth.Endpoints{Live: endpoint}})
		if (err == nil) != ok {
			t.Errorf("endpoint %q: err %v, want ok=%v", endpoint, err, ok)
		}
	}
	if _, err := xblauth.New(xblauth.Config{}); err == nil || !strings.Contains(err.Error(), "clientId") {
		t.Errorf("no client id: %v", err)
	}
	if _, err := xblauth.New(xblauth.Config{ClientID: "c", Flow: "magic"}); err == nil || !strings.Contains(err.Error(), "flow") {
		t.Errorf("unknown flow: %v", err)
	}
}
