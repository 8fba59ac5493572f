package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// Optimistic concurrency on one session: many writers read the session (ETag and body), bump
// a shared counter and their own key in properties.custom, and PUT with If-Match; a 412
// sends them back to read again. If If-Match works, no update is lost and the accepted
// writes are serialized by changeNumber. Run with -race (make test does).

const (
	ifMatchWriters = 16
	ifMatchWrites  = 25 // accepted writes per writer
	ifMatchSession = "if-match-race"
)

// snapshot is what a writer read before writing: the ETag and the values it builds on.
type snapshot struct {
	etag         string
	changeNumber int64
	counter      int64 // properties.custom.counter
	mine         int64 // properties.custom.<the writer's key>
}

// acceptedWrite is one write the emulator accepted with 200.
type acceptedWrite struct {
	readChangeNumber int64 // changeNumber of the snapshot the write was based on
	changeNumber     int64 // changeNumber in the 200 response
	counter          int64 // properties.custom.counter in the 200 response
}

// writerKey is writer g's own key in properties.custom.
func writerKey(g int) string { return fmt.Sprintf("w%02d", g) }

// decodeSession decodes a session body (numbers kept exact).
func decodeSession(raw []byte) (map[string]any, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("session body is not a JSON object: %v: %q", err, raw)
	}
	return doc, nil
}

// readSnapshot GETs the session at p (a session path or /handles/{id}/session) as who.
// It does not fail the test itself, so writer goroutines can call it.
func readSnapshot(h *harness, p, who, key string) (snapshot, error) {
	w := h.do(http.MethodGet, p, who, nil)
	if w.Code != http.StatusOK {
		return snapshot{}, fmt.Errorf("GET %s as %s: %d %s", p, who, w.Code, w.Body.String())
	}
	doc, err := decodeSession(w.Body.Bytes())
	if err != nil {
		return snapshot{}, fmt.Errorf("GET %s: %v", p, err)
	}
	s := snapshot{
		etag:         w.Header().Get("ETag"),
		changeNumber: num(doc["changeNumber"]),
		counter:      num(path(doc, "properties", "custom", "counter")),
		mine:         num(path(doc, "properties", "custom", key)),
	}
	if !etagRE.MatchString(s.etag) {
		return snapshot{}, fmt.Errorf("GET %s: ETag %q", p, s.etag)
	}
	return s, nil
}

// write PUTs the snapshot's counter+1 and mine+1 with If-Match: <the snapshot's ETag>. It
// returns the status (200 or 412; anything else is an error) and, for 200, the accepted write.
// A 412 must carry the current session: a later changeNumber and its own, different ETag.
func (s snapshot) write(h *harness, p, who, key string) (int, acceptedWrite, error) {
	body := fmt.Appendf(nil, `{"properties":{"custom":{"counter":%d,%q:%d}}}`, s.counter+1, key, s.mine+1)
	w := h.do(http.MethodPut, p, who, body, "If-Match", s.etag)
	switch w.Code {
	case http.StatusOK, http.StatusPreconditionFailed:
	default:
		return w.Code, acceptedWrite{}, fmt.Errorf("PUT %s as %s with If-Match: %d %s", p, who, w.Code, w.Body.String())
	}
	doc, err := decodeSession(w.Body.Bytes())
	if err != nil {
		return w.Code, acceptedWrite{}, fmt.Errorf("PUT %s: %d: %v", p, w.Code, err)
	}
	cn := num(doc["changeNumber"])
	etag := w.Header().Get("ETag")
	if !etagRE.MatchString(etag) || etag == s.etag {
		return w.Code, acceptedWrite{}, fmt.Errorf("PUT %s: %d with ETag %q after reading %q", p, w.Code, etag, s.etag)
	}
	if w.Code == http.StatusPreconditionFailed {
		if cn <= s.changeNumber {
			return w.Code, acceptedWrite{}, fmt.Errorf("PUT %s: 412 carries changeNumber %d, not later than the %d read", p, cn, s.changeNumber)
		}
		return w.Code, acceptedWrite{}, nil
	}
	return w.Code, acceptedWrite{
		readChangeNumber: s.changeNumber,
		changeNumber:     cn,
		counter:          num(path(doc, "properties", "custom", "counter")),
	}, nil
}

// checkIfMatchRun returns every broken guarantee of a run that started at changeNumber
// initial, given each writer's accepted writes (in the writer's order) and the final session.
func checkIfMatchRun(initial int64, accepted [][]acceptedWrite, final map[string]any) []string {
	var problems []string
	var all []int64
	for g, writes := range accepted {
		last := initial
		for _, a := range writes {
			if a.changeNumber != a.readChangeNumber+1 {
				problems = append(problems, fmt.Sprintf("writer %d: a write based on changeNumber %d was accepted as %d: another write came in between (lost update)", g, a.readChangeNumber, a.changeNumber))
			}
			if a.counter != a.changeNumber-initial {
				problems = append(problems, fmt.Sprintf("writer %d: changeNumber %d carries counter %d, want %d", g, a.changeNumber, a.counter, a.changeNumber-initial))
			}
			if a.changeNumber <= last {
				problems = append(problems, fmt.Sprintf("writer %d: changeNumber %d accepted after %d", g, a.changeNumber, last))
			}
			last = a.changeNumber
			all = append(all, a.changeNumber)
		}
	}
	// In the order the store accepted them, the changeNumbers are initial+1, initial+2, ...
	slices.Sort(all)
	for i, cn := range all {
		if want := initial + int64(i) + 1; cn != want {
			problems = append(problems, fmt.Sprintf("accepted write %d of %d has changeNumber %d, want %d (duplicate or gap)", i+1, len(all), cn, want))
			break
		}
	}
	total := int64(len(all))
	if cn := num(final["changeNumber"]); cn != initial+total {
		problems = append(problems, fmt.Sprintf("final changeNumber %d, want %d + %d accepted writes", cn, initial, total))
	}
	if c := num(path(final, "properties", "custom", "counter")); c != total {
		problems = append(problems, fmt.Sprintf("final counter %d, want %d accepted writes", c, total))
	}
	for g, writes := range accepted {
		if v := num(path(final, "properties", "custom", writerKey(g))); v != int64(len(writes)) {
			problems = append(problems, fmt.Sprintf("final %s = %d, want writer %d's %d accepted writes", writerKey(g), v, g, len(writes)))
		}
	}
	return problems
}

// ifMatchSetup creates the session with user1, user2 and user3 as members and returns the
// path to write through: the session path, or (viaHandle) user1's activity handle's session.
func ifMatchSetup(t *testing.T, h *harness, viaHandle bool) string {
	t.Helper()
	for _, who := range []string{"user1", "user2", "user3"} {
		h.join(who, ifMatchSession)
	}
	if viaHandle {
		return "/handles/" + h.createHandle("user1", h.activityBody(ifMatchSession)) + "/session"
	}
	return h.sessionPath(ifMatchSession)
}

func TestIfMatchConcurrentWritersLoseNoUpdate(t *testing.T) {
	t.Parallel()
	for _, viaHandle := range []bool{false, true} {
		name := "session path"
		if viaHandle {
			name = "handle session"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			p := ifMatchSetup(t, h, viaHandle)
			start, err := readSnapshot(h, p, "server", "")
			if err != nil {
				t.Fatal(err)
			}
			users := []string{"user1", "user2", "user3", "server"}
			accepted := make([][]acceptedWrite, ifMatchWriters)
			conflicts := make([]int, ifMatchWriters)
			var wg sync.WaitGroup
			for g := range ifMatchWriters {
				wg.Go(func() {
					who, key := users[g%len(users)], writerKey(g)
					for len(accepted[g]) < ifMatchWrites {
						s, err := readSnapshot(h, p, who, key)
						if err != nil {
							t.Error(err)
							return
						}
						status, a, err := s.write(h, p, who, key)
						if err != nil {
							t.Error(err)
							return
						}
						if status == http.StatusPreconditionFailed {
							conflicts[g]++
							continue
						}
						accepted[g] = append(accepted[g], a)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			final, _ := h.getSession("server", ifMatchSession)
			for _, p := range checkIfMatchRun(start.changeNumber, accepted, final) {
				t.Error(p)
			}
			total, retries := 0, 0
			for g := range ifMatchWriters {
				total += len(accepted[g])
				retries += conflicts[g]
			}
			if total != ifMatchWriters*ifMatchWrites {
				t.Errorf("%d accepted writes, want %d", total, ifMatchWriters*ifMatchWrites)
			}
			t.Logf("%d writers: %d accepted writes (changeNumber %d -> %d), %d answered 412 and were retried",
				ifMatchWriters, total, start.changeNumber, num(final["changeNumber"]), retries)
		})
	}
}

// TestIfMatchRaceIsCaught shows the checks above can fail: two writers read the same ETag
// and write one after the other. The second write must be a 412; with If-Match ignored (the
// faults of SP-IF-MATCH-412 and HSP-IF-MATCH-412) it is accepted, and checkIfMatchRun reports
// the lost update.
func TestIfMatchRaceIsCaught(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		viaHandle bool
		fault     string
	}{
		{"session path", false, faultIgnoreIfMatch},
		{"handle session", true, faultHandlePutIgnoresIfMatch},
	} {
		for _, faulty := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/fault=%v", tc.name, faulty), func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, func(c *Config) {
					if faulty {
						c.Faults = []string{tc.fault}
					}
				})
				p := ifMatchSetup(t, h, tc.viaHandle)
				a, errA := readSnapshot(h, p, "user1", writerKey(0))
				b, errB := readSnapshot(h, p, "user2", writerKey(1))
				if errA != nil || errB != nil {
					t.Fatal(errA, errB)
				}
				var accepted [2][]acceptedWrite
				for i, w := range []struct {
					s        snapshot
					who, key string
				}{{a, "user1", writerKey(0)}, {b, "user2", writerKey(1)}} {
					status, aw, err := w.s.write(h, p, w.who, w.key)
					if err != nil {
						t.Fatal(err)
					}
					wantStatus := http.StatusOK
					if i == 1 && !faulty {
						wantStatus = http.StatusPreconditionFailed
					}
					if status != wantStatus {
						t.Fatalf("write %d with the ETag both read: %d, want %d", i+1, status, wantStatus)
					}
					if status == http.StatusOK {
						accepted[i] = append(accepted[i], aw)
					}
				}
				final, _ := h.getSession("server", ifMatchSession)
				problems := checkIfMatchRun(a.changeNumber, accepted[:], final)
				if faulty && len(problems) == 0 {
					t.Fatal("the lost update went unnoticed")
				}
				if !faulty && len(problems) > 0 {
					t.Fatalf("clean emulator: %v", problems)
				}
			})
		}
	}
}
