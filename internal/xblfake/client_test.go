package xblfake

// A minimal client written from the protocol description, independently of the fake's own
// code, so the tests check the fake against the wire format rather than against itself.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

const testClientID = "00000000441cc96b"
const xblScope = "service::user.auth.xboxlive.com::MBI_SSL"

// clock is a controllable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// start runs a fake on a controllable clock (unless opts.Now is set).
func start(t *testing.T, opts Options) (*Server, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	s := New(opts)
	t.Cleanup(s.Close)
	return s, c
}

// signer is a client proof key.
type signer struct{ key *ecdsa.PrivateKey }

func newSigner(t *testing.T) *signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{k}
}

func (sg *signer) jwk() map[string]string {
	b, err := sg.key.PublicKey.Bytes() // 0x04 ‖ X ‖ Y
	if err != nil {
		panic(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return map[string]string{"kty": "EC", "crv": "P-256", "x": enc(b[1:33]), "y": enc(b[33:65]), "alg": "ES256", "use": "sig"}
}

// signature returns the Signature header for a request signed at time at.
func (sg *signer) signature(at time.Time, method, pathQuery, authorization string, body []byte) string {
	ticks := uint64(at.UnixNano()/100) + 116444736000000000
	var msg []byte
	msg = binary.BigEndian.AppendUint32(msg, 1)
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint64(msg, ticks)
	msg = append(msg, 0)
	for _, s := range []string{method, pathQuery, authorization} {
		msg = append(append(msg, s...), 0)
	}
	msg = append(append(msg, body...), 0)
	digest := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, sg.key, digest[:])
	if err != nil {
		panic(err)
	}
	out := binary.BigEndian.AppendUint32(nil, 1)
	out = binary.BigEndian.AppendUint64(out, ticks)
	out = append(out, make([]byte, 64)...)
	r.FillBytes(out[12:44])
	s.FillBytes(out[44:76])
	return base64.StdEncoding.EncodeToString(out)
}

// answer is a response, read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %q: %v", a.body, err)
	}
}

func (a answer) oauthError(t *testing.T) string {
	t.Helper()
	var e struct{ Error string }
	a.decode(t, &e)
	return e.Error
}

func do(t *testing.T, method, u string, header http.Header, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s %s: non-empty body with Content-Type %q", method, u, resp.Header.Get("Content-Type"))
	}
	if _, err := http.ParseTime(resp.Header.Get("Date")); err != nil {
		t.Errorf("%s %s: Date header %q: %v", method, u, resp.Header.Get("Date"), err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

func postForm(t *testing.T, s *Server, path string, form url.Values) answer {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	return do(t, http.MethodPost, s.URL+path, h, []byte(form.Encode()))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// postXBL posts a JSON body with x-xbl-contract-version: 1.
func postXBL(t *testing.T, s *Server, path string, v any) answer {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}, "X-Xbl-Contract-Version": {"1"}}
	return do(t, http.MethodPost, s.URL+path, h, mustJSON(v))
}

// postSigned posts body signed by sg at time at.
func postSigned(t *testing.T, s *Server, path string, body []byte, sg *signer, at time.Time) answer {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}, "X-Xbl-Contract-Version": {"1"},
		"Signature": {sg.signature(at, http.MethodPost, path, "", body)}}
	return do(t, http.MethodPost, s.URL+path, h, body)
}

type msaTokens struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	UserID       string `json:"user_id"`
}

type xtok struct {
	IssueInstant, NotAfter time.Time
	Token                  string
	DisplayClaims          struct {
		XUI []struct{ UHS, XID, GTG, AGG, PRV string }
		XDI struct{ DID, DCS string }
		XTI struct{ TID string }
	}
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {testClientID}, "scope": {xblScope}}
}

func refresh(t *testing.T, s *Server, rt string) msaTokens {
	t.Helper()
	a := postForm(t, s, "/oauth20_token.srf", refreshForm(rt))
	if a.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", a.status, a.body)
	}
	var m msaTokens
	a.decode(t, &m)
	return m
}

func userTokenBody(ticket string) any {
	return map[string]any{"RelyingParty": "http://auth.xboxlive.com", "TokenType": "JWT",
		"Properties": map[string]any{"AuthMethod": "RPS", "SiteName": "user.auth.xboxlive.com", "RpsTicket": ticket}}
}

func userToken(t *testing.T, s *Server, accessToken string) xtok {
	t.Helper()
	a := postXBL(t, s, "/user/authenticate", userTokenBody("t="+accessToken))
	if a.status != http.StatusOK {
		t.Fatalf("user token: %d %s", a.status, a.body)
	}
	var x xtok
	a.decode(t, &x)
	return x
}

func xstsBody(userToken, sandbox string, extra map[string]any) any {
	props := map[string]any{"UserTokens": []string{userToken}, "SandboxId": sandbox}
	for k, v := range extra {
		props[k] = v
	}
	return map[string]any{"RelyingParty": "http://xboxlive.com", "TokenType": "JWT", "Properties": props}
}

func deviceBody(sg *signer) []byte {
	return mustJSON(map[string]any{"RelyingParty": "http://auth.xboxlive.com", "TokenType": "JWT",
		"Properties": map[string]any{"AuthMethod": "ProofOfPossession", "Id": "{" + uuid.NewString() + "}",
			"DeviceType": "Win32", "Version": "10.0.19041", "ProofKey": sg.jwk()}})
}

func deviceToken(t *testing.T, s *Server, sg *signer, at time.Time) xtok {
	t.Helper()
	a := postSigned(t, s, "/device/authenticate", deviceBody(sg), sg, at)
	if a.status != http.StatusOK {
		t.Fatalf("device token: %d %s", a.status, a.body)
	}
	var x xtok
	a.decode(t, &x)
	return x
}

func sisuBody(accessToken, device, sandbox string, key *signer) []byte {
	return mustJSON(map[string]any{"AccessToken": "t=" + accessToken, "AppId": testClientID, "DeviceToken": device,
		"Sandbox": sandbox, "SiteName": "user.auth.xboxlive.com", "RelyingParty": "http://xboxlive.com",
		"UseModernGamertag": true, "ProofKey": key.jwk()})
}

type sisuAnswerT struct {
	DeviceToken                               string
	TitleToken, UserToken, AuthorizationToken xtok
}

// wantXErr checks a 401 XErr refusal: header and body.
func wantXErr(t *testing.T, a answer, code uint32) {
	t.Helper()
	if a.status != http.StatusUnauthorized {
		t.Fatalf("status %d (%s), want 401", a.status, a.body)
	}
	if got := a.header.Get("X-Err"); got != jsonNumber(code) {
		t.Errorf("X-Err header %q, want %d", got, code)
	}
	var e struct {
		Identity string
		XErr     uint32
		Message  string
		Redirect *string
	}
	a.decode(t, &e)
	if e.Identity != "0" || e.XErr != code || e.Redirect == nil {
		t.Errorf("XErr body %s, want Identity 0, XErr %d and a Redirect field", a.body, code)
	}
}

func jsonNumber(n uint32) string { return strings.TrimSpace(string(mustJSON(n))) }

func wantEmpty401(t *testing.T, a answer) {
	t.Helper()
	if a.status != http.StatusUnauthorized || len(a.body) != 0 {
		t.Fatalf("got %d %q, want 401 with an empty body", a.status, a.body)
	}
}
