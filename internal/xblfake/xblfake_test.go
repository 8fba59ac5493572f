package xblfake

import (
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

var alice = Account{XUID: "2814600000000101", Gamertag: "Alice"}

func TestUserChain(t *testing.T) {
	s, c := start(t, Options{})
	rt := s.AddAccount(alice)
	m := refresh(t, s, rt)
	if m.TokenType != "bearer" || m.ExpiresIn != 3600 || m.Scope != xblScope || len(m.AccessToken) != 123 || m.AccessToken[:3] != "EwA" || m.UserID == "" {
		t.Errorf("token answer %+v", m)
	}
	if m.RefreshToken != rt {
		t.Errorf("without rotation the same refresh token must come back")
	}
	u := userToken(t, s, m.AccessToken)
	if len(u.DisplayClaims.XUI) != 1 || len(u.DisplayClaims.XUI[0].UHS) != 19 || u.DisplayClaims.XUI[0].UHS != UserHash(alice.XUID) {
		t.Errorf("user token claims %+v", u.DisplayClaims)
	}
	if !u.IssueInstant.Equal(c.Now()) || !u.NotAfter.Equal(c.Now().Add(14*24*time.Hour)) {
		t.Errorf("user token times %v %v", u.IssueInstant, u.NotAfter)
	}
	a := postXBL(t, s, "/xsts/authorize", xstsBody(u.Token, "RETAIL", nil))
	if a.status != http.StatusOK {
		t.Fatalf("xsts: %d %s", a.status, a.body)
	}
	var x xtok
	a.decode(t, &x)
	xui := x.DisplayClaims.XUI[0]
	if xui.UHS != u.DisplayClaims.XUI[0].UHS || xui.XID != alice.XUID || xui.GTG != "Alice" || xui.AGG != "Adult" || xui.PRV != "185 254" || x.Token == "" {
		t.Errorf("xsts answer %s", a.body)
	}
	if !x.NotAfter.Equal(c.Now().Add(16 * time.Hour)) {
		t.Errorf("xsts NotAfter %v", x.NotAfter)
	}
	// The d= prefix is accepted too; a bad one is a 400; an unknown token a 401.
	if a := postXBL(t, s, "/user/authenticate", userTokenBody("d="+m.AccessToken)); a.status != http.StatusOK {
		t.Errorf("d= ticket: %d", a.status)
	}
	if a := postXBL(t, s, "/user/authenticate", userTokenBody(m.AccessToken)); a.status != http.StatusBadRequest {
		t.Errorf("ticket without prefix: %d", a.status)
	}
	wantEmpty401(t, postXBL(t, s, "/user/authenticate", userTokenBody("t=EwAunknown")))
	wantEmpty401(t, postXBL(t, s, "/xsts/authorize", xstsBody("eyJunknown", "RETAIL", nil)))
	if a := postXBL(t, s, "/xsts/authorize", map[string]any{"RelyingParty": "rp://other", "TokenType": "JWT",
		"Properties": map[string]any{"UserTokens": []string{u.Token}, "SandboxId": "RETAIL"}}); a.status != http.StatusBadRequest {
		t.Errorf("other relying party: %d", a.status)
	}
	wantXErr(t, postXBL(t, s, "/xsts/authorize", xstsBody(u.Token, "XDKS.1", nil)), XErrSandboxMismatch)
	st := s.Stats()
	if st.Refreshes != 1 || st.UserTokens != 4 || st.XSTS != 4 || st.RefreshesWithoutScope != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestDeviceSISUChain(t *testing.T) {
	s, c := start(t, Options{TitleID: "42"})
	m := refresh(t, s, s.AddAccount(alice))
	sg := newSigner(t)
	d := deviceToken(t, s, sg, c.Now())
	if len(d.DisplayClaims.XDI.DID) != 16 || d.DisplayClaims.XDI.DCS != "0" || !d.NotAfter.Equal(c.Now().Add(14*24*time.Hour)) {
		t.Errorf("device token %+v", d)
	}
	a := postSigned(t, s, "/authorize", sisuBody(m.AccessToken, d.Token, "RETAIL", sg), sg, c.Now())
	if a.status != http.StatusOK {
		t.Fatalf("sisu: %d %s", a.status, a.body)
	}
	var ans sisuAnswerT
	a.decode(t, &ans)
	az := ans.AuthorizationToken
	if ans.DeviceToken != d.Token || ans.TitleToken.DisplayClaims.XTI.TID != "42" || ans.UserToken.DisplayClaims.XUI[0].UHS != UserHash(alice.XUID) {
		t.Errorf("sisu answer %s", a.body)
	}
	if az.DisplayClaims.XUI[0].XID != alice.XUID || az.DisplayClaims.XUI[0].GTG != "Alice" || !az.NotAfter.Equal(c.Now().Add(16*time.Hour)) {
		t.Errorf("authorization token %+v", az)
	}
	// The SISU user, device and title tokens are good for XSTS; made-up ones are not.
	extra := map[string]any{"DeviceToken": d.Token, "TitleToken": ans.TitleToken.Token}
	if a := postXBL(t, s, "/xsts/authorize", xstsBody(ans.UserToken.Token, "RETAIL", extra)); a.status != http.StatusOK {
		t.Errorf("xsts with device and title tokens: %d %s", a.status, a.body)
	}
	wantEmpty401(t, postXBL(t, s, "/xsts/authorize", xstsBody(ans.UserToken.Token, "RETAIL", map[string]any{"DeviceToken": "eyJmade-up"})))
	wantEmpty401(t, postXBL(t, s, "/xsts/authorize", xstsBody(ans.UserToken.Token, "RETAIL", map[string]any{"TitleToken": d.Token})))
	// Wrong AppId is a 400, wrong sandbox an XErr, unknown access token an empty 401.
	bad := mustJSON(map[string]any{"AccessToken": "t=" + m.AccessToken, "AppId": "0000000048183522", "DeviceToken": d.Token,
		"Sandbox": "RETAIL", "SiteName": "user.auth.xboxlive.com", "RelyingParty": "http://xboxlive.com", "ProofKey": sg.jwk()})
	if a := postSigned(t, s, "/authorize", bad, sg, c.Now()); a.status != http.StatusBadRequest {
		t.Errorf("wrong AppId: %d", a.status)
	}
	wantXErr(t, postSigned(t, s, "/authorize", sisuBody(m.AccessToken, d.Token, "XDKS.1", sg), sg, c.Now()), XErrSandboxMismatch)
	wantEmpty401(t, postSigned(t, s, "/authorize", sisuBody("EwAnope", d.Token, "RETAIL", sg), sg, c.Now()))
	wantEmpty401(t, postSigned(t, s, "/authorize", sisuBody(m.AccessToken, "eyJnope", "RETAIL", sg), sg, c.Now()))
	if st := s.Stats(); st.DeviceTokens != 1 || st.SISU != 5 || st.BadSignatures != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRefreshRefusals(t *testing.T) {
	s, _ := start(t, Options{})
	rt := s.AddAccount(alice)
	for name, tc := range map[string]struct {
		form      url.Values
		wantError string
	}{
		"no scope":         {url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {testClientID}}, "invalid_request"},
		"other scope":      {url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {testClientID}, "scope": {"openid offline_access"}}, "invalid_request"},
		"wrong client":     {url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"0000000048183522"}, "scope": {xblScope}}, "unauthorized_client"},
		"unknown token":    {refreshForm("M.C5_unknown"), "invalid_grant"},
		"unsupported":      {url.Values{"grant_type": {"password"}, "client_id": {testClientID}}, "unsupported_grant_type"},
		"no refresh_token": {url.Values{"grant_type": {"refresh_token"}, "client_id": {testClientID}, "scope": {xblScope}}, "invalid_request"},
	} {
		a := postForm(t, s, "/oauth20_token.srf", tc.form)
		if a.status != http.StatusBadRequest || a.oauthError(t) != tc.wantError {
			t.Errorf("%s: %d %s, want 400 %s", name, a.status, a.body, tc.wantError)
		}
	}
	a := postForm(t, s, "/oauth20_token.srf", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {testClientID}})
	if want := "The request must include the scope parameter."; !containsJSON(a.body, want) {
		t.Errorf("no scope: body %s lacks %q", a.body, want)
	}
	if st := s.Stats(); st.Refreshes != 6 || st.RefreshesWithoutScope != 3 {
		t.Errorf("stats %+v, want 6 refreshes, 3 without scope", st)
	}
	// The refusals did not spend the token.
	refresh(t, s, rt)
}

func TestRotationAndRevocation(t *testing.T) {
	s, _ := start(t, Options{RotateRefreshTokens: true})
	rt1 := s.AddAccount(alice)
	m := refresh(t, s, rt1)
	rt2 := m.RefreshToken
	if rt2 == rt1 || rt2[:4] != "M.C5" || s.CurrentRefreshToken(alice.XUID) != rt2 {
		t.Fatalf("rotation: old %q new %q current %q", rt1, rt2, s.CurrentRefreshToken(alice.XUID))
	}
	if a := postForm(t, s, "/oauth20_token.srf", refreshForm(rt1)); a.status != http.StatusBadRequest || a.oauthError(t) != "invalid_grant" {
		t.Errorf("used refresh token: %d %s", a.status, a.body)
	}
	rt3 := refresh(t, s, rt2).RefreshToken
	s.RevokeRefreshTokens(alice.XUID)
	if a := postForm(t, s, "/oauth20_token.srf", refreshForm(rt3)); a.status != http.StatusBadRequest || a.oauthError(t) != "invalid_grant" {
		t.Errorf("revoked refresh token: %d %s", a.status, a.body)
	}
	if s.CurrentRefreshToken(alice.XUID) != "" {
		t.Errorf("a revoked account has no current refresh token")
	}
	// Access tokens issued before the revocation live on until they expire.
	userToken(t, s, m.AccessToken)
	// Signing in again gives a working token.
	refresh(t, s, s.AddAccount(alice))
}

func TestRotationRace(t *testing.T) {
	s, _ := start(t, Options{RotateRefreshTokens: true})
	rt := s.AddAccount(alice)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 10 {
		wg.Go(func() {
			a := postForm(t, s, "/oauth20_token.srf", refreshForm(rt))
			_ = s.Stats()
			if a.status == http.StatusOK {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d parallel refreshes of one rotating token succeeded, want 1", ok)
	}
}

func TestXErr(t *testing.T) {
	s, c := start(t, Options{})
	m := refresh(t, s, s.AddAccount(alice))
	u := userToken(t, s, m.AccessToken)
	sg := newSigner(t)
	d := deviceToken(t, s, sg, c.Now())
	s.SetXErr(alice.XUID, XErrNoXboxAccount)
	a := postXBL(t, s, "/xsts/authorize", xstsBody(u.Token, "RETAIL", nil))
	wantXErr(t, a, XErrNoXboxAccount)
	if !containsJSON(a.body, "https://start.ui.xboxlive.com/") {
		t.Errorf("xsts XErr body %s has no start.ui redirect", a.body)
	}
	wantXErr(t, postSigned(t, s, "/authorize", sisuBody(m.AccessToken, d.Token, "RETAIL", sg), sg, c.Now()), XErrNoXboxAccount)
	s.SetXErr(alice.XUID, 0)
	if a := postXBL(t, s, "/xsts/authorize", xstsBody(u.Token, "RETAIL", nil)); a.status != http.StatusOK {
		t.Errorf("after SetXErr 0: %d", a.status)
	}
	// An account added with an XErr is refused from the start.
	kid := Account{XUID: "2814600000000202", Gamertag: "Kid", XErr: 2148916238}
	u2 := userToken(t, s, refresh(t, s, s.AddAccount(kid)).AccessToken)
	wantXErr(t, postXBL(t, s, "/xsts/authorize", xstsBody(u2.Token, "RETAIL", nil)), 2148916238)
}

func TestDeviceCode(t *testing.T) {
	s, c := start(t, Options{PendingPolls: 2, DeviceCodeInterval: 5})
	connect := url.Values{"client_id": {testClientID}, "scope": {xblScope}, "response_type": {"device_code"}}
	a := postForm(t, s, "/oauth20_connect.srf", connect)
	var dc struct {
		UserCode        string `json:"user_code"`
		DeviceCode      string `json:"device_code"`
		VerificationURI string `json:"verification_uri"`
		Interval        int    `json:"interval"`
		ExpiresIn       int    `json:"expires_in"`
	}
	a.decode(t, &dc)
	if a.status != http.StatusOK || dc.UserCode == "" || dc.DeviceCode == "" || dc.VerificationURI != "https://www.microsoft.com/link" || dc.Interval != 5 || dc.ExpiresIn != 900 {
		t.Fatalf("device code answer %d %s", a.status, a.body)
	}
	for _, bad := range []url.Values{
		{"client_id": {"nope"}, "scope": {xblScope}, "response_type": {"device_code"}},
		{"client_id": {testClientID}, "response_type": {"device_code"}},
		{"client_id": {testClientID}, "scope": {xblScope}, "response_type": {"code"}},
	} {
		if a := postForm(t, s, "/oauth20_connect.srf", bad); a.status != http.StatusBadRequest || a.oauthError(t) != "invalid_request" {
			t.Errorf("device code request %v: %d %s", bad, a.status, a.body)
		}
	}
	poll := func(code string) answer {
		return postForm(t, s, "/oauth20_token.srf", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {testClientID}, "device_code": {code}})
	}
	for i := range 3 { // two pending polls, then still pending: nobody approved yet
		if a := poll(dc.DeviceCode); a.status != http.StatusBadRequest || a.oauthError(t) != "authorization_pending" {
			t.Fatalf("poll %d: %d %s", i, a.status, a.body)
		}
	}
	s.ApproveDeviceCodes(alice)
	a = poll(dc.DeviceCode)
	if a.status != http.StatusOK {
		t.Fatalf("approved poll: %d %s", a.status, a.body)
	}
	var m msaTokens
	a.decode(t, &m)
	if m.RefreshToken != s.CurrentRefreshToken(alice.XUID) || m.Scope != xblScope {
		t.Errorf("sign-in answer %s", a.body)
	}
	refresh(t, s, m.RefreshToken)
	if a := poll(dc.DeviceCode); a.oauthError(t) != "bad_verification_code" {
		t.Errorf("a used device code: %s", a.body)
	}
	if a := poll("CAQABAAEAAADunknown"); a.status != http.StatusBadRequest || a.oauthError(t) != "bad_verification_code" {
		t.Errorf("unknown device code: %d %s", a.status, a.body)
	}
	postForm(t, s, "/oauth20_connect.srf", connect).decode(t, &dc)
	c.Advance(901 * time.Second)
	if a := poll(dc.DeviceCode); a.oauthError(t) != "expired_token" {
		t.Errorf("an expired device code: %s", a.body)
	}
	if st := s.Stats(); st.DeviceCodes != 5 || st.DeviceCodePolls != 7 {
		t.Errorf("stats %+v", st)
	}
}

func TestExpiry(t *testing.T) {
	s, c := start(t, Options{AccessTokenLifetime: 30 * time.Minute})
	rt := s.AddAccount(alice)
	m := refresh(t, s, rt)
	if m.ExpiresIn != 1800 {
		t.Errorf("expires_in %d", m.ExpiresIn)
	}
	u := userToken(t, s, m.AccessToken)
	sg := newSigner(t)
	d := deviceToken(t, s, sg, c.Now())
	c.Advance(30 * time.Minute)
	wantEmpty401(t, postXBL(t, s, "/user/authenticate", userTokenBody("t="+m.AccessToken)))
	wantEmpty401(t, postSigned(t, s, "/authorize", sisuBody(m.AccessToken, d.Token, "RETAIL", sg), sg, c.Now()))
	c.Advance(14*24*time.Hour - 30*time.Minute - time.Second)
	if a := postXBL(t, s, "/xsts/authorize", xstsBody(u.Token, "RETAIL", nil)); a.status != http.StatusOK {
		t.Errorf("user token one second before NotAfter: %d", a.status)
	}
	c.Advance(time.Second)
	wantEmpty401(t, postXBL(t, s, "/xsts/authorize", xstsBody(u.Token, "RETAIL", nil)))
	fresh := refresh(t, s, rt).AccessToken
	wantEmpty401(t, postSigned(t, s, "/authorize", sisuBody(fresh, d.Token, "RETAIL", sg), sg, c.Now()))
	d2 := deviceToken(t, s, sg, c.Now())
	if a := postSigned(t, s, "/authorize", sisuBody(fresh, d2.Token, "RETAIL", sg), sg, c.Now()); a.status != http.StatusOK {
		t.Errorf("fresh tokens: %d %s", a.status, a.body)
	}
}

func TestMintXSTS(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	s, c := start(t, Options{MintXSTS: func(a Account, uhs string, notAfter time.Time) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, a.XUID+"/"+uhs+"/"+notAfter.UTC().Format(time.RFC3339))
		if a.Gamertag == "Broken" {
			return "", errors.New("cannot mint")
		}
		return "minted-for-" + a.XUID, nil
	}})
	u := userToken(t, s, refresh(t, s, s.AddAccount(alice)).AccessToken)
	var x xtok
	postXBL(t, s, "/xsts/authorize", xstsBody(u.Token, "RETAIL", nil)).decode(t, &x)
	want := alice.XUID + "/" + UserHash(alice.XUID) + "/" + c.Now().Add(16*time.Hour).Format(time.RFC3339)
	if x.Token != "minted-for-"+alice.XUID || len(calls) != 1 || calls[0] != want {
		t.Errorf("token %q, calls %q, want %q", x.Token, calls, want)
	}
	ub := userToken(t, s, refresh(t, s, s.AddAccount(Account{XUID: "9", Gamertag: "Broken"})).AccessToken)
	if a := postXBL(t, s, "/xsts/authorize", xstsBody(ub.Token, "RETAIL", nil)); a.status != http.StatusInternalServerError {
		t.Errorf("failing MintXSTS: %d", a.status)
	}
}
