package emulator

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	good := func() Config {
		return Config{TokenKey: []byte("k"), ServiceConfigs: []ServiceConfig{{
			SCID: "7492baca-c1b4-440d-a391-b7ef4d40c1f4", Templates: []Template{{Name: "Lobby"}},
		}}}
	}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{"valid", func(*Config) {}, ""},
		{"no key", func(c *Config) { c.TokenKey = nil }, "TokenKey"},
		{"bad scid", func(c *Config) { c.ServiceConfigs[0].SCID = "not-a-guid" }, "not a GUID"},
		{"duplicate scid", func(c *Config) {
			c.ServiceConfigs = append(c.ServiceConfigs, ServiceConfig{SCID: strings.ToUpper(c.ServiceConfigs[0].SCID)})
		}, "twice"},
		{"bad template name", func(c *Config) { c.ServiceConfigs[0].Templates[0].Name = "a b" }, "template name"},
		{"duplicate template", func(c *Config) {
			c.ServiceConfigs[0].Templates = append(c.ServiceConfigs[0].Templates, Template{Name: "LOBBY"})
		}, "twice"},
		{"too many members", func(c *Config) { c.ServiceConfigs[0].Templates[0].MaxMembersCount = 101 }, "MaxMembersCount"},
		{"bad visibility", func(c *Config) { c.ServiceConfigs[0].Templates[0].Visibility = "secret" }, "Visibility"},
		{"unknown fault", func(c *Config) { c.Faults = []string{"no-such-fault"} }, "unknown fault"},
		{"negative body limit", func(c *Config) { c.MaxBodyBytes = -1 }, "MaxBodyBytes"},
		{"negative invite lifetime", func(c *Config) { c.InviteLifetime = -time.Second }, "InviteLifetime"},
		{"known faults", func(c *Config) { c.Faults = []string{faultSkipContractVersionCheck, faultAllowPrivateQueryForUsers} }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := good()
			tc.mod(&cfg)
			e, err := New(cfg)
			if tc.wantErr == "" {
				if err != nil || e == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	t.Parallel()
	e, err := New(Config{TokenKey: []byte("k"), ServiceConfigs: []ServiceConfig{{
		SCID: "7492baca-c1b4-440d-a391-b7ef4d40c1f4", Templates: []Template{{Name: "Lobby"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if e.maxBody != DefaultMaxBodyBytes || e.inviteLifetime != DefaultInviteLifetime || e.clock == nil {
		t.Fatalf("defaults not applied: %d %s", e.maxBody, e.inviteLifetime)
	}
	tmpl := e.scids["7492baca-c1b4-440d-a391-b7ef4d40c1f4"].templates["lobby"]
	if tmpl.MaxMembersCount != 8 || tmpl.Visibility != "open" {
		t.Fatalf("template defaults: %+v", tmpl)
	}
	if e.Handler() == nil {
		t.Fatal("Handler() is nil")
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	t.Parallel()
	env := defaultEnv()
	cfg := ConfigFromEnvironment(env, testKey)
	if string(cfg.TokenKey) != string(testKey) {
		t.Fatal("token key not copied")
	}
	if len(cfg.ServiceConfigs) != 1 || cfg.ServiceConfigs[0].SCID != env.SCID {
		t.Fatalf("service configs: %+v", cfg.ServiceConfigs)
	}
	var names []string
	for _, tm := range cfg.ServiceConfigs[0].Templates {
		names = append(names, tm.Name)
	}
	if strings.Join(names, ",") != env.Templates.Primary+","+env.Templates.Secondary {
		t.Fatalf("templates %v", names)
	}
	u1, u2, u3 := env.Identities["user1"].XUID, env.Identities["user2"].XUID, env.Identities["user3"].XUID
	people := cfg.SocialGraph[u1]["people"]
	if len(people) != 2 || people[0] != u2 || people[1] != u3 {
		t.Fatalf("user1 people = %v, want [%s %s]", people, u2, u3)
	}
	if fav := cfg.SocialGraph[u1]["favorites"]; len(fav) != 1 || fav[0] != u2 {
		t.Fatalf("user1 favorites = %v", fav)
	}
	if _, err := New(cfg); err != nil {
		t.Fatalf("New(ConfigFromEnvironment): %v", err)
	}
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.env.Identities["user1"]
	claims := xbltoken.Claims{XUID: user.XUID, TitleID: h.env.TitleID}
	wrongKey, _ := xbltoken.Mint([]byte("some other key"), claims, baseTime)
	expiredClaims := claims
	expiredClaims.IssuedAt = baseTime.Add(-48 * time.Hour).Unix()
	expiredClaims.ExpiresAt = baseTime.Add(-24 * time.Hour).Unix()
	expired, _ := xbltoken.Mint(testKey, expiredClaims, baseTime)
	valid := h.token("user1")
	tampered := strings.Replace(valid, "mpsdemu.v1.e", "mpsdemu.v1.f", 1)
	wrongHash := strings.Replace(valid, "x=", "x=zz", 1)
	tests := []struct {
		name, header, fragment string
	}{
		{"missing", "", "no Authorization header"},
		{"bearer scheme", "Bearer abc", "not of the form"},
		{"no user hash", "XBL3.0 abc", "not of the form"},
		{"not an emulator token", "XBL3.0 x=123;eyJhbGciOi.real.xsts", "not an emulator token"},
		{"unsigned", "XBL3.0 x=123;mpsdemu.v1.e30", "not an emulator token"},
		{"wrong key", wrongKey, "signature"},
		{"forged signature (payload changed after signing)", tampered, "signature"},
		{"signature stripped", valid[:strings.LastIndex(valid, ".")+1] + "AAAA", "signature"},
		{"wrong user hash", wrongHash, "user hash"},
		{"expired", expired, "expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range []struct{ method, path string }{
				{http.MethodGet, h.sessionPath("auth-probe")},
				{http.MethodPost, "/handles"},
				{http.MethodPost, "/handles/query?private=true"},
				{http.MethodGet, "/no/such/path"},
			} {
				// Authorization is checked first, even before the contract version.
				w := h.do(p.method, p.path, "", "{}", "Authorization", tc.header, "X-Xbl-Contract-Version", noHeader)
				wantTextError(t, w, http.StatusUnauthorized, tc.fragment)
				if w.Header().Get("WWW-Authenticate") != "XBL3.0" {
					t.Fatalf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
				}
			}
		})
	}
	t.Run("valid token passes", func(t *testing.T) {
		t.Parallel()
		w := h.do(http.MethodGet, h.sessionPath("auth-ok"), "user1", nil)
		wantStatus(t, w, http.StatusNoContent)
	})
}

func TestContractVersionHeader(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tests := []struct {
		value string
		want  int
	}{
		{noHeader, http.StatusBadRequest},
		{"", http.StatusBadRequest},
		{"abc", http.StatusBadRequest},
		{"103", http.StatusBadRequest},
		{"1", http.StatusBadRequest},
		{"106", http.StatusBadRequest},
		{"108", http.StatusBadRequest},
		{"+105", http.StatusBadRequest},
		{"105.0", http.StatusBadRequest},
		{"104", http.StatusNoContent},
		{"105", http.StatusNoContent},
		{"107", http.StatusNoContent},
		{" 107 ", http.StatusNoContent},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.value, noHeader, "missing"), func(t *testing.T) {
			t.Parallel()
			w := h.do(http.MethodGet, h.sessionPath("cv-probe"), "user1", nil, "X-Xbl-Contract-Version", tc.value)
			if tc.want == http.StatusBadRequest {
				wantTextError(t, w, http.StatusBadRequest, "missing or unsupported X-Xbl-Contract-Version header")
				return
			}
			wantStatus(t, w, tc.want)
		})
	}
	t.Run("session documents carry the request's contract version", func(t *testing.T) {
		t.Parallel()
		name := uniqueName("cv")
		for _, cv := range []string{"104", "105", "107"} {
			w := h.do(http.MethodPut, h.sessionPath(name), "user1", h.joinBody("user1"), "X-Xbl-Contract-Version", cv)
			if w.Code != http.StatusCreated && w.Code != http.StatusOK {
				t.Fatalf("PUT with %s: %d", cv, w.Code)
			}
			doc := decode(t, w)
			if got := fmt.Sprint(path(doc, "contractVersion")); got != cv {
				t.Fatalf("contractVersion %v, want %s", got, cv)
			}
			sys := path(doc, "constants", "system").(map[string]any)
			_, old := sys["timeouts"]
			_, modern := sys["sessionEmptyTimeout"]
			if (cv == "107") != modern || (cv != "107") != old {
				t.Fatalf("timeouts shape wrong for %s: %v", cv, sys)
			}
		}
	})
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.MaxBodyBytes = 64 })
	big := `{"properties":{"custom":{"x":"` + strings.Repeat("a", 100) + `"}}}`
	t.Run("declared length", func(t *testing.T) {
		t.Parallel()
		wantTextError(t, h.do(http.MethodPut, h.sessionPath("big"), "user1", big), http.StatusRequestEntityTooLarge, "larger than 64 bytes")
		wantTextError(t, h.do(http.MethodPost, "/handles", "user1", big), http.StatusRequestEntityTooLarge, "larger")
		wantTextError(t, h.do(http.MethodPost, "/handles/query", "user1", big), http.StatusRequestEntityTooLarge, "larger")
	})
	t.Run("chunked body without length", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodPost, "/handles", io.MultiReader(strings.NewReader(big)))
		r.ContentLength = -1
		r.Header.Set("Authorization", h.token("user1"))
		r.Header.Set("X-Xbl-Contract-Version", "107")
		w := httptest.NewRecorder()
		h.emu.ServeHTTP(w, r)
		wantTextError(t, w, http.StatusRequestEntityTooLarge, "larger")
	})
	t.Run("at the limit is read", func(t *testing.T) {
		t.Parallel()
		body := `{"members":{"me":null}}`
		body += strings.Repeat(" ", 64-len(body))
		wantStatus(t, h.do(http.MethodPut, h.sessionPath("small"), "user1", body), http.StatusNoContent)
	})
}

func TestRoutingAndMethods(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := "0b9bd0c6-3b6e-4f0e-9d38-0e6a4b0c2a11"
	notFound := []string{"/", "/foo", "/handles/", "/handles/query/x", "/serviceconfigs/x",
		"/handles/" + id + "/session/x", "/serviceconfigs/" + h.env.SCID + "/sessionTemplates/LobbySession/sessions/",
		"/serviceconfigs/" + h.env.SCID + "/templates/LobbySession/sessions/x", "//handles"}
	for _, p := range notFound {
		wantTextError(t, h.do(http.MethodGet, p, "user1", nil), http.StatusNotFound, "")
	}
	methods := []struct {
		method, path, allow string
	}{
		{http.MethodGet, "/handles", "POST"},
		{http.MethodPut, "/handles", "POST"},
		{http.MethodGet, "/handles/query", "POST"},
		{http.MethodDelete, "/handles/query", "POST"},
		{http.MethodPut, "/handles/" + id, "GET, DELETE"},
		{http.MethodPost, "/handles/" + id, "GET, DELETE"},
		{http.MethodDelete, "/handles/" + id + "/session", "GET, PUT"},
		{http.MethodPost, h.sessionPath("x"), "GET, PUT"},
		{http.MethodDelete, h.sessionPath("x"), "GET, PUT"},
		{http.MethodPatch, h.sessionPath("x"), "GET, PUT"},
	}
	for _, m := range methods {
		w := h.do(m.method, m.path, "user1", nil)
		wantTextError(t, w, http.StatusMethodNotAllowed, m.method)
		if got := w.Header().Get("Allow"); got != m.allow {
			t.Errorf("%s %s: Allow %q, want %q", m.method, m.path, got, m.allow)
		}
	}
}

func TestRequestContentType(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("ct")
	body := h.joinBody("user1")
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(name), "user1", body, "Content-Type", "text/plain"), http.StatusBadRequest, "Content-Type")
	wantTextError(t, h.do(http.MethodPost, "/handles", "user1", body, "Content-Type", "application/x-www-form-urlencoded"), http.StatusBadRequest, "application/json")
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user1", body, "Content-Type", noHeader), http.StatusCreated)
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user1", body, "Content-Type", "application/json"), http.StatusOK)
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user1", body, "Content-Type", "application/json; charset=utf-8"), http.StatusOK)
	// GET and DELETE ignore Content-Type (XSAPI sends it on every call).
	wantStatus(t, h.do(http.MethodGet, h.sessionPath(name), "user1", nil, "Content-Type", "text/html"), http.StatusOK)
}

func TestRecoverMiddleware(t *testing.T) {
	t.Parallel()
	hd := withRecover(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	w := httptest.NewRecorder()
	hd.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	wantTextError(t, w, http.StatusInternalServerError, "boom")
}

func TestErrorsAreTextPlain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []*httptest.ResponseRecorder{
		h.do(http.MethodPost, "/handles", "user1", "{"),
		h.do(http.MethodGet, "/handles/nope", "user1", nil),
		h.do(http.MethodPost, "/handles/query?take=abc", "user1", "{}"),
	}
	for _, w := range cases {
		if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" || w.Code < 400 || w.Body.Len() == 0 {
			t.Errorf("status %d, Content-Type %q, body %q", w.Code, ct, w.Body.String())
		}
		if !bytes.HasSuffix(w.Body.Bytes(), []byte("\n")) {
			t.Errorf("error body %q is not a line", w.Body.String())
		}
	}
}
