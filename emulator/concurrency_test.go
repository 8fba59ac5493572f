package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentMixedRequests hammers one emulator from many goroutines with every kind of
// request on a few shared sessions (run with -race), then checks no request failed with a
// 5xx and the store's cross-references are consistent.
func TestConcurrentMixedRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	users := []string{"user1", "user2", "user3", "server"}
	sessions := []string{"race-a", "race-b", "race-c"}
	const workers, ops = 24, 60
	var (
		mu       sync.Mutex
		failures []string
		handles  []string
	)
	remember := func(raw []byte) {
		var doc struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &doc) == nil && doc.ID != "" {
			id := doc.ID
			mu.Lock()
			handles = append(handles, id)
			mu.Unlock()
		}
	}
	someHandle := func(r *rand.Rand) string {
		mu.Lock()
		defer mu.Unlock()
		if len(handles) == 0 {
			return "0b9bd0c6-3b6e-4f0e-9d38-0e6a4b0c2a11"
		}
		return handles[r.IntN(len(handles))]
	}
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 42))
			for i := 0; i < ops; i++ {
				who := users[r.IntN(len(users))]
				name := sessions[r.IntN(len(sessions))]
				var method, p string
				var body any
				var hdrs []string
				switch r.IntN(11) {
				case 0, 1:
					if who == "server" {
						who = "user1"
					}
					method, p, body = http.MethodPut, h.sessionPath(name), h.joinBody(who)
				case 2:
					method, p, body = http.MethodPut, h.sessionPath(name), h.body("session-leave", nil)
				case 3:
					method, p = http.MethodGet, h.sessionPath(name)
				case 4:
					method, p, body = http.MethodPost, "/handles", h.activityBody(name)
				case 5:
					method, p, body = http.MethodPost, "/handles", h.inviteBody(name, h.xuid(users[r.IntN(3)]))
				case 6:
					method, p, body = http.MethodPost, "/handles/query?include=relatedInfo,customProperties", h.peopleQuery("people", "user1")
				case 7:
					method, p = http.MethodGet, "/handles/"+someHandle(r)
				case 8:
					method, p = http.MethodDelete, "/handles/"+someHandle(r)
				case 9:
					method, p = http.MethodGet, "/handles/"+someHandle(r)+"/session"
				case 10:
					if who == "server" {
						who = "user2"
					}
					method, p, body = http.MethodPut, "/handles/"+someHandle(r)+"/session", h.joinBody(who)
					hdrs = []string{"If-Match", "*"}
				}
				w := h.do(method, p, who, body, hdrs...)
				if w.Code >= 500 {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s %s as %s: %d %s", method, p, who, w.Code, w.Body.String()))
					mu.Unlock()
				}
				if method == http.MethodPost && p == "/handles" && w.Code == http.StatusCreated {
					remember(w.Body.Bytes())
				}
			}
		}(g)
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	checkStoreInvariants(t, h.emu)
}

// checkStoreInvariants verifies the store's cross-references: every activity handle is bound
// to its owner's member record in an existing session, and every binding names a live handle.
func checkStoreInvariants(t testing.TB, e *Emulator) {
	t.Helper()
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, h := range st.handles {
		if h.typ != handleActivity {
			continue
		}
		s := st.sessions[h.ref.key()]
		if s == nil {
			t.Errorf("activity %s points at a deleted session", id)
			continue
		}
		m := s.findMember(h.creator)
		if m == nil || m.activity != id {
			t.Errorf("activity %s is not bound to its owner's member record", id)
		}
	}
	for key, s := range st.sessions {
		if len(s.members) == 0 {
			t.Errorf("session %s is stored without members", key)
		}
		for _, m := range s.members {
			if m.activity != "" && st.handles[m.activity] == nil {
				t.Errorf("session %s member %d bound to missing handle %s", key, m.index, m.activity)
			}
		}
	}
}
