package xblfake

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func containsJSON(body []byte, s string) bool { return bytes.Contains(body, []byte(s)) }

func TestBadSignatures(t *testing.T) {
	s, c := start(t, Options{})
	sg, other := newSigner(t), newSigner(t)
	const path = "/device/authenticate"
	body := deviceBody(sg)
	good := sg.signature(c.Now(), "POST", path, "", body)
	raw, _ := base64.StdEncoding.DecodeString(good)
	v2 := bytes.Clone(raw)
	binary.BigEndian.PutUint32(v2[:4], 2)
	cases := map[string]struct {
		sig, auth string
		body      []byte
	}{
		"missing":             {"", "", body},
		"other body":          {good, "", deviceBody(sg)},
		"other key":           {other.signature(c.Now(), "POST", path, "", body), "", body},
		"not base64":          {"***", "", body},
		"url base64":          {base64.RawURLEncoding.EncodeToString(raw), "", body},
		"short":               {base64.StdEncoding.EncodeToString(raw[:75]), "", body},
		"policy version 2":    {base64.StdEncoding.EncodeToString(v2), "", body},
		"other path":          {sg.signature(c.Now(), "POST", "/device/authenticate/", "", body), "", body},
		"other method":        {sg.signature(c.Now(), "PUT", path, "", body), "", body},
		"authorization unset": {good, "XBL3.0 x=1;tok", body},
		"ten minutes early":   {sg.signature(c.Now().Add(-10*time.Minute), "POST", path, "", body), "", body},
		"ten minutes late":    {sg.signature(c.Now().Add(10*time.Minute), "POST", path, "", body), "", body},
	}
	for name, tc := range cases {
		h := http.Header{"X-Xbl-Contract-Version": {"1"}}
		if tc.sig != "" {
			h.Set("Signature", tc.sig)
		}
		if tc.auth != "" {
			h.Set("Authorization", tc.auth)
		}
		if a := do(t, "POST", s.URL+path, h, tc.body); a.status != http.StatusUnauthorized || len(a.body) != 0 {
			t.Errorf("%s: %d %s, want an empty 401", name, a.status, a.body)
		}
	}
	if st := s.Stats(); st.BadSignatures != len(cases) || st.DeviceTokens != len(cases) {
		t.Errorf("stats %+v, want %d bad signatures", st, len(cases))
	}
	// Signed with the Authorization header it carries, four minutes off: accepted.
	h := http.Header{"X-Xbl-Contract-Version": {"1"}, "Authorization": {"XBL3.0 x=1;tok"},
		"Signature": {sg.signature(c.Now().Add(-4*time.Minute), "POST", path, "XBL3.0 x=1;tok", body)}}
	if a := do(t, "POST", s.URL+path, h, body); a.status != http.StatusOK {
		t.Errorf("good signature: %d %s", a.status, a.body)
	}
}

func TestClockSkew(t *testing.T) {
	s, c := start(t, Options{ClockSkew: 10 * time.Minute})
	sg := newSigner(t)
	a := postSigned(t, s, "/device/authenticate", deviceBody(sg), sg, c.Now())
	if a.status != http.StatusUnauthorized {
		t.Fatalf("a signature 10 minutes behind the fake's clock: %d", a.status)
	}
	date, err := http.ParseTime(a.header.Get("Date"))
	if err != nil || !date.Equal(c.Now().Add(10*time.Minute)) {
		t.Fatalf("Date %q, want %v", a.header.Get("Date"), c.Now().Add(10*time.Minute))
	}
	// A client that corrects its clock from the Date header gets through.
	d := deviceToken(t, s, sg, date)
	if !d.IssueInstant.Equal(date) {
		t.Errorf("IssueInstant %v, want the fake's clock %v", d.IssueInstant, date)
	}
	if st := s.Stats(); st.BadSignatures != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestSISUProofKey(t *testing.T) {
	s, c := start(t, Options{})
	at := refresh(t, s, s.AddAccount(alice)).AccessToken
	owner, stranger := newSigner(t), newSigner(t)
	d := deviceToken(t, s, owner, c.Now())
	// The stranger's own key in the body, properly signed, but the device token is not its.
	wantEmpty401(t, postSigned(t, s, "/authorize", sisuBody(at, d.Token, "RETAIL", stranger), stranger, c.Now()))
	// The owner's key in the body, signed by the stranger.
	wantEmpty401(t, postSigned(t, s, "/authorize", sisuBody(at, d.Token, "RETAIL", owner), stranger, c.Now()))
	// Unsigned.
	h := http.Header{"Content-Type": {"application/json"}}
	wantEmpty401(t, do(t, "POST", s.URL+"/authorize", h, sisuBody(at, d.Token, "RETAIL", owner)))
	if st := s.Stats(); st.BadSignatures != 3 {
		t.Errorf("stats %+v, want 3 bad signatures", st)
	}
	if a := postSigned(t, s, "/authorize", sisuBody(at, d.Token, "RETAIL", owner), owner, c.Now()); a.status != http.StatusOK {
		t.Errorf("owner: %d %s", a.status, a.body)
	}
}

func TestMalformedRequests(t *testing.T) {
	s, c := start(t, Options{})
	sg := newSigner(t)
	if a := do(t, "GET", s.URL+"/xsts/authorize", nil, nil); a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "POST" || len(a.body) == 0 {
		t.Errorf("GET: %d %q", a.status, a.body)
	}
	if a := do(t, "POST", s.URL+"/nowhere", nil, nil); a.status != http.StatusNotFound {
		t.Errorf("unknown path: %d", a.status)
	}
	big := bytes.Repeat([]byte("a"), MaxBodyBytes+1)
	if a := do(t, "POST", s.URL+"/user/authenticate", http.Header{"X-Xbl-Contract-Version": {"1"}}, big); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("large body: %d", a.status)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if a := do(t, "POST", s.URL+"/oauth20_token.srf", h, mustJSON(refreshForm("x"))); a.status != http.StatusBadRequest || a.oauthError(t) != "invalid_request" {
		t.Errorf("JSON to the token endpoint: %d %s", a.status, a.body)
	}
	for _, path := range []string{"/user/authenticate", "/device/authenticate", "/xsts/authorize"} {
		body := deviceBody(sg)
		h := http.Header{"Signature": {sg.signature(c.Now(), "POST", path, "", body)}}
		if a := do(t, "POST", s.URL+path, h, body); a.status != http.StatusBadRequest {
			t.Errorf("%s without contract version: %d", path, a.status)
		}
	}
	// Device requests that are not of the documented shape.
	jwk := sg.jwk()
	for name, mutate := range map[string]func(p map[string]any){
		"id without braces": func(p map[string]any) { p["Id"] = "7d5a9d0c-3c39-4f0e-9c5f-2a4b1e7f9a10" },
		"id not a guid":     func(p map[string]any) { p["Id"] = "{not-a-guid}" },
		"no device type":    func(p map[string]any) { delete(p, "DeviceType") },
		"auth method":       func(p map[string]any) { p["AuthMethod"] = "RPS" },
		"other curve":       func(p map[string]any) { p["ProofKey"] = with(jwk, "crv", "P-384") },
		"padded x":          func(p map[string]any) { p["ProofKey"] = with(jwk, "x", jwk["x"]+"=") },
		"short y":           func(p map[string]any) { p["ProofKey"] = with(jwk, "y", jwk["y"][:40]) },
		"off the curve":     func(p map[string]any) { p["ProofKey"] = with(jwk, "y", jwk["x"]) },
		"no alg":            func(p map[string]any) { p["ProofKey"] = with(jwk, "alg", "") },
		"key not object":    func(p map[string]any) { p["ProofKey"] = "key" },
	} {
		props := map[string]any{"AuthMethod": "ProofOfPossession", "Id": "{7d5a9d0c-3c39-4f0e-9c5f-2a4b1e7f9a10}",
			"DeviceType": "Win32", "Version": "10", "ProofKey": jwk}
		mutate(props)
		body := mustJSON(map[string]any{"RelyingParty": "http://auth.xboxlive.com", "TokenType": "JWT", "Properties": props})
		if a := postSigned(t, s, "/device/authenticate", body, sg, c.Now()); a.status != http.StatusBadRequest {
			t.Errorf("device request %s: %d %s", name, a.status, a.body)
		}
	}
	// Junk never makes a handler fail.
	junk := []string{"", "null", "[]", "{", `{"Properties":"x"}`, `{"Properties":{"ProofKey":{}}}`, `{"ProofKey":[1]}`,
		`{"UseModernGamertag":"yes"}`, `{"Properties":{"UserTokens":"x"}}`, "\x00\xff", `{"Properties":{"UserTokens":[null]}}`}
	for _, path := range []string{"/oauth20_connect.srf", "/oauth20_token.srf", "/user/authenticate", "/device/authenticate", "/authorize", "/xsts/authorize"} {
		for _, j := range junk {
			h := http.Header{"X-Xbl-Contract-Version": {"1"}, "Signature": {"AAAA"}, "Content-Type": {"application/x-www-form-urlencoded"}}
			if a := do(t, "POST", s.URL+path, h, []byte(j)); a.status != http.StatusBadRequest && a.status != http.StatusUnauthorized {
				t.Errorf("%s %q: %d %s", path, j, a.status, a.body)
			}
		}
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for kk, vv := range m {
		out[kk] = vv
	}
	if v == "" {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// FuzzEndpoints checks that no input makes a handler panic (the wrapper turns a panic into 500).
func FuzzEndpoints(f *testing.F) {
	f.Add(0, []byte(`{"RelyingParty":"http://xboxlive.com","TokenType":"JWT","Properties":{"UserTokens":["x"]}}`), "")
	f.Add(3, []byte(`{"Properties":{"ProofKey":{"kty":"EC","crv":"P-256","x":"AA","y":"AA","alg":"ES256","use":"sig"}}}`), "AAAA")
	f.Add(4, []byte(`{"AccessToken":"t=x","AppId":"00000000441cc96b","ProofKey":{}}`), strings.Repeat("A", 104))
	f.Add(1, []byte("grant_type=refresh_token&scope=x"), "")
	paths := []string{"/oauth20_connect.srf", "/oauth20_token.srf", "/user/authenticate", "/device/authenticate", "/authorize", "/xsts/authorize"}
	s := New(Options{})
	defer s.Close()
	h := s.routes()
	f.Fuzz(func(t *testing.T, which int, body []byte, sig string) {
		path := paths[(which%len(paths)+len(paths))%len(paths)]
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("X-Xbl-Contract-Version", "1")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Signature", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: %d %s", path, body, rec.Code, rec.Body)
		}
	})
}
