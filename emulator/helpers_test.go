package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

var testKey = []byte("emulator-test-signing-key")

// baseTime is the tests' epoch; tokens are minted at it and valid for 24 hours.
var baseTime = time.Date(2016, 9, 20, 20, 50, 0, 518090100, time.UTC)

var (
	timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`)
	etagRE      = regexp.MustCompile(`^"[0-9a-f]{32}"$`)
	lowerGUIDRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// testClock is a settable clock that moves forward a microsecond per reading, so creation
// times are distinct and ordered.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Microsecond)
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is one emulator under test with the default test world.
type harness struct {
	t      testing.TB
	emu    *Emulator
	env    fixtures.Environment
	clock  *testClock
	tokens map[string]string
}

var (
	envOnce   sync.Once
	cachedEnv fixtures.Environment
	tokenMu   sync.Mutex
	tokenMemo = map[string]string{}
)

func defaultEnv() fixtures.Environment {
	envOnce.Do(func() { cachedEnv = fixtures.DefaultEnvironment() })
	return cachedEnv
}

func newHarness(t testing.TB, mods ...func(*Config)) *harness {
	t.Helper()
	env := defaultEnv()
	cfg := ConfigFromEnvironment(env, testKey)
	clock := &testClock{now: baseTime}
	cfg.Now = clock.Now
	for _, m := range mods {
		m(&cfg)
	}
	emu, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{t: t, emu: emu, env: env, clock: clock}
}

// token mints an Authorization value for a named identity of the test world.
func (h *harness) token(who string) string {
	h.t.Helper()
	tokenMu.Lock()
	defer tokenMu.Unlock()
	if tok, ok := tokenMemo[who]; ok {
		return tok
	}
	id, ok := h.env.Identities[who]
	if !ok {
		h.t.Fatalf("no identity %q", who)
	}
	title := id.TitleID
	if title == "" {
		title = h.env.TitleID
	}
	tok, err := xbltoken.Mint(testKey, xbltoken.Claims{XUID: id.XUID, TitleID: title, Server: id.Server, Gamertag: id.Gamertag}, baseTime)
	if err != nil {
		h.t.Fatalf("mint %s: %v", who, err)
	}
	tokenMemo[who] = tok
	return tok
}

func (h *harness) xuid(who string) string { return h.env.Identities[who].XUID }

// noHeader as a header value removes the header (for the defaulted contract version).
const noHeader = "\x00remove"

// do sends one request. who names the caller ("" for no Authorization); body is nil, a
// []byte/string (sent raw) or any value (JSON-encoded); hdrs are name/value pairs.
func (h *harness) do(method, path, who string, body any, hdrs ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	r := httptest.NewRequest(method, path, rd)
	if rd != nil {
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	r.Header.Set("X-Xbl-Contract-Version", "107")
	if who != "" {
		r.Header.Set("Authorization", h.token(who))
	}
	for i := 0; i+1 < len(hdrs); i += 2 {
		if hdrs[i+1] == noHeader {
			r.Header.Del(hdrs[i])
		} else {
			r.Header.Set(hdrs[i], hdrs[i+1])
		}
	}
	w := httptest.NewRecorder()
	h.emu.ServeHTTP(w, r)
	return w
}

// sessionPath is the path of a session under the primary template.
func (h *harness) sessionPath(name string) string {
	return h.templatePath(h.env.Templates.Primary, name)
}

func (h *harness) templatePath(template, name string) string {
	return fmt.Sprintf("/serviceconfigs/%s/sessionTemplates/%s/sessions/%s", h.env.SCID, template, name)
}

// body renders a request-body fixture.
func (h *harness) body(name string, vars map[string]any) []byte {
	h.t.Helper()
	raw, err := fixtures.Body(name, vars)
	if err != nil {
		h.t.Fatalf("body %s: %v", name, err)
	}
	return raw
}

// joinBody is the session-join fixture for identity who.
func (h *harness) joinBody(who string) []byte {
	return h.body("session-join", map[string]any{"XUID": h.xuid(who), "RUN_ID": "test"})
}

// join makes who join (or create) the primary-template session name.
func (h *harness) join(who, name string) *httptest.ResponseRecorder {
	h.t.Helper()
	w := h.do(http.MethodPut, h.sessionPath(name), who, h.joinBody(who))
	if w.Code != http.StatusOK && w.Code != http.StatusCreated {
		h.t.Fatalf("join %s as %s: %d %s", name, who, w.Code, w.Body.String())
	}
	return w
}

// putSession writes an arbitrary session body and requires want.
func (h *harness) putSession(who, name string, body any, want int) map[string]any {
	h.t.Helper()
	w := h.do(http.MethodPut, h.sessionPath(name), who, body)
	if w.Code != want {
		h.t.Fatalf("PUT session %s as %s: got %d, want %d: %s", name, who, w.Code, want, w.Body.String())
	}
	if w.Body.Len() == 0 {
		return nil
	}
	return decode(h.t, w)
}

func (h *harness) activityBody(name string) []byte {
	return h.body("activity-handle", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary, "SESSION": name})
}

func (h *harness) inviteBody(name, invited string) []byte {
	return h.body("invite-handle", map[string]any{
		"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary, "SESSION": name,
		"INVITED_XUID": invited, "TITLE_ID": h.env.TitleID,
	})
}

// createHandle posts a handle body and requires 201; it returns the handle id.
func (h *harness) createHandle(who string, body []byte) string {
	h.t.Helper()
	w := h.do(http.MethodPost, "/handles", who, body)
	if w.Code != http.StatusCreated {
		h.t.Fatalf("POST /handles as %s: %d %s", who, w.Code, w.Body.String())
	}
	id, _ := decode(h.t, w)["id"].(string)
	if id == "" {
		h.t.Fatalf("POST /handles: no id in %s", w.Body.String())
	}
	return id
}

// getSession reads a session and requires 200.
func (h *harness) getSession(who, name string) (map[string]any, string) {
	h.t.Helper()
	w := h.do(http.MethodGet, h.sessionPath(name), who, nil)
	if w.Code != http.StatusOK {
		h.t.Fatalf("GET session %s as %s: %d %s", name, who, w.Code, w.Body.String())
	}
	return decode(h.t, w), w.Header().Get("ETag")
}

func decode(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %q", err, w.Body.String())
	}
	return m
}

// path walks a decoded document by keys ("members", "0", "constants", ...).
func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func num(v any) int64 {
	n, _ := intValue(v)
	return n
}

var nameSeq atomic.Int64

// uniqueName returns a fresh session name.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1))
}

// wantStatus fails unless w has the status code.
func wantStatus(t testing.TB, w *httptest.ResponseRecorder, want int) {
	t.Helper()
	if w.Code != want {
		t.Fatalf("status %d, want %d; body: %s", w.Code, want, w.Body.String())
	}
}

// wantTextError checks a text/plain error response with status and message fragment.
func wantTextError(t testing.TB, w *httptest.ResponseRecorder, status int, fragment string) {
	t.Helper()
	wantStatus(t, w, status)
	if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("Content-Type %q, want text/plain; charset=utf-8", ct)
	}
	if !strings.Contains(w.Body.String(), fragment) {
		t.Fatalf("error %q does not mention %q", w.Body.String(), fragment)
	}
}

// wantJSON checks a JSON response content type.
func wantJSON(t testing.TB, w *httptest.ResponseRecorder) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
}
