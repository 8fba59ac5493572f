package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

// benchKey signs the benchmarks' tokens.
var benchKey = []byte("emulator-bench-signing-key")

// benchRebuildEvery bounds the emulator's state in benchmarks whose every iteration adds a
// handle or a session: after this many the emulator is replaced (outside the timer), so a
// long run measures the handler, not a store that grows without end.
const benchRebuildEvery = 20_000

// benchEmu is one emulator with the default world and tokens for its users, driven through
// ServeHTTP with an httptest.ResponseRecorder (no network).
type benchEmu struct {
	b      *testing.B
	env    fixtures.Environment
	emu    *emulator.Emulator
	tokens map[string]string
}

func newBenchEmu(b *testing.B) *benchEmu {
	b.Helper()
	env := fixtures.DefaultEnvironment()
	be := &benchEmu{b: b, env: env, tokens: map[string]string{}}
	now := time.Now()
	for name, id := range env.Identities {
		title := id.TitleID
		if title == "" {
			title = env.TitleID
		}
		tok, err := xbltoken.Mint(benchKey, xbltoken.Claims{XUID: id.XUID, TitleID: title, Server: id.Server, Gamertag: id.Gamertag}, now)
		if err != nil {
			b.Fatalf("mint %s: %v", name, err)
		}
		be.tokens[name] = tok
	}
	be.reset()
	return be
}

// reset replaces the emulator with a fresh one.
func (be *benchEmu) reset() {
	be.b.Helper()
	emu, err := emulator.New(emulator.ConfigFromEnvironment(be.env, benchKey))
	if err != nil {
		be.b.Fatalf("emulator.New: %v", err)
	}
	be.emu = emu
}

// do serves one request as identity who and fails the benchmark unless the status is want.
func (be *benchEmu) do(method, path, who string, body []byte, want int) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if body != nil {
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	r.Header.Set("X-Xbl-Contract-Version", "107")
	r.Header.Set("Authorization", be.tokens[who])
	w := httptest.NewRecorder()
	be.emu.ServeHTTP(w, r)
	if w.Code != want {
		be.b.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, who, w.Code, want, w.Body.String())
	}
	return w
}

func (be *benchEmu) sessionPath(name string) string {
	return fmt.Sprintf("/serviceconfigs/%s/sessionTemplates/%s/sessions/%s", be.env.SCID, be.env.Templates.Primary, name)
}

// body renders a request-body fixture.
func (be *benchEmu) body(name string, vars map[string]any) []byte {
	be.b.Helper()
	raw, err := fixtures.Body(name, vars)
	if err != nil {
		be.b.Fatalf("body %s: %v", name, err)
	}
	return raw
}

// join makes who create or join session name.
func (be *benchEmu) join(who, name string) {
	be.b.Helper()
	body := be.body("session-join", map[string]any{"XUID": be.env.Identities[who].XUID, "RUN_ID": "bench"})
	r := httptest.NewRequest(http.MethodPut, be.sessionPath(name), bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("X-Xbl-Contract-Version", "107")
	r.Header.Set("Authorization", be.tokens[who])
	w := httptest.NewRecorder()
	be.emu.ServeHTTP(w, r)
	if w.Code != http.StatusOK && w.Code != http.StatusCreated {
		be.b.Fatalf("join %s as %s: status %d: %s", name, who, w.Code, w.Body.String())
	}
}

func (be *benchEmu) activityBody(session string) []byte {
	return be.body("activity-handle", map[string]any{"SCID": be.env.SCID, "TEMPLATE": be.env.Templates.Primary, "SESSION": session})
}

func (be *benchEmu) inviteBody(session string) []byte {
	return be.body("invite-handle", map[string]any{
		"SCID": be.env.SCID, "TEMPLATE": be.env.Templates.Primary, "SESSION": session,
		"INVITED_XUID": be.env.Identities[fixtures.User2].XUID, "TITLE_ID": be.env.TitleID,
	})
}

// handleID returns the id of the handle a POST /handles answered.
func (be *benchEmu) handleID(w *httptest.ResponseRecorder) string {
	be.b.Helper()
	var doc struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.ID == "" {
		be.b.Fatalf("no handle id in %s (%v)", w.Body.String(), err)
	}
	return doc.ID
}

// activity joins who to session and sets it as who's activity, returning the handle id.
func (be *benchEmu) activity(who, session string) string {
	be.b.Helper()
	be.join(who, session)
	return be.handleID(be.do(http.MethodPost, "/handles", who, be.activityBody(session), http.StatusCreated))
}

// BenchmarkHandlers measures the emulator's handlers through ServeHTTP (auth, contract
// version, routing, body parsing, the store and JSON rendering; no network).
func BenchmarkHandlers(b *testing.B) {
	b.Run("POST_handles_activity", func(b *testing.B) {
		// One user, one session: every POST replaces the user's previous activity, as MPSD
		// keeps one activity per user and title, so the store stays the same size.
		be := newBenchEmu(b)
		be.join(fixtures.User1, "bench-activity")
		body := be.activityBody("bench-activity")
		b.ReportAllocs()
		for b.Loop() {
			be.do(http.MethodPost, "/handles", fixtures.User1, body, http.StatusCreated)
		}
	})
	b.Run("POST_handles_invite", func(b *testing.B) {
		// Invites accumulate (many per sender are allowed); the emulator is renewed every
		// benchRebuildEvery iterations.
		be := newBenchEmu(b)
		be.join(fixtures.User1, "bench-invite")
		body := be.inviteBody("bench-invite")
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i++; i%benchRebuildEvery == 0 {
				b.StopTimer()
				be.reset()
				be.join(fixtures.User1, "bench-invite")
				b.StartTimer()
			}
			be.do(http.MethodPost, "/handles", fixtures.User1, body, http.StatusCreated)
		}
	})
	b.Run("POST_handles_query", func(b *testing.B) {
		// Three users, each with an activity; the query by XUIDs finds all three.
		be := newBenchEmu(b)
		var xuids []string
		for _, who := range []string{fixtures.User1, fixtures.User2, fixtures.User3} {
			be.activity(who, "bench-query-"+who)
			xuids = append(xuids, be.env.Identities[who].XUID)
		}
		body := be.body("query-activity-xuids", map[string]any{"SCID": be.env.SCID, "XUIDS": xuids})
		b.ReportAllocs()
		for b.Loop() {
			be.do(http.MethodPost, "/handles/query?include=relatedInfo", fixtures.User1, body, http.StatusOK)
		}
	})
	b.Run("GET_handle", func(b *testing.B) {
		be := newBenchEmu(b)
		path := "/handles/" + be.activity(fixtures.User1, "bench-get")
		b.ReportAllocs()
		for b.Loop() {
			be.do(http.MethodGet, path, fixtures.User1, nil, http.StatusOK)
		}
	})
	b.Run("GET_handle_session", func(b *testing.B) {
		be := newBenchEmu(b)
		path := "/handles/" + be.activity(fixtures.User1, "bench-get-session") + "/session"
		b.ReportAllocs()
		for b.Loop() {
			be.do(http.MethodGet, path, fixtures.User1, nil, http.StatusOK)
		}
	})
	b.Run("DELETE_handle", func(b *testing.B) {
		// Invites to delete are created in batches outside the timer.
		be := newBenchEmu(b)
		be.join(fixtures.User1, "bench-delete")
		body := be.inviteBody("bench-delete")
		const batch = 1000
		var paths []string
		b.ReportAllocs()
		for b.Loop() {
			if len(paths) == 0 {
				b.StopTimer()
				for range batch {
					paths = append(paths, "/handles/"+be.handleID(be.do(http.MethodPost, "/handles", fixtures.User1, body, http.StatusCreated)))
				}
				b.StartTimer()
			}
			be.do(http.MethodDelete, paths[len(paths)-1], fixtures.User1, nil, http.StatusNoContent)
			paths = paths[:len(paths)-1]
		}
	})
	b.Run("PUT_session_join", func(b *testing.B) {
		// A fresh session name per iteration: the caller creates the session and joins it.
		be := newBenchEmu(b)
		body := be.body("session-join", map[string]any{"XUID": be.env.Identities[fixtures.User1].XUID, "RUN_ID": "bench"})
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i++; i%benchRebuildEvery == 0 {
				b.StopTimer()
				be.reset()
				b.StartTimer()
			}
			be.do(http.MethodPut, be.sessionPath(fmt.Sprintf("bench-join-%d", i)), fixtures.User1, body, http.StatusCreated)
		}
	})
}
