package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
)

func TestMedian(t *testing.T) {
	cases := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{2, 2, 9, 1, 2}, 2},
	}
	for _, c := range cases {
		in := slices.Clone(c.in)
		if got := Median(in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
		if !slices.Equal(in, c.in) {
			t.Errorf("Median(%v) reordered its input to %v", c.in, in)
		}
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
	if got := MedianDuration([]time.Duration{3 * time.Second, time.Second, 2 * time.Second, 4 * time.Second}); got != 2500*time.Millisecond {
		t.Errorf("MedianDuration = %v, want 2.5s", got)
	}
	if got := MedianDuration(nil); got != 0 {
		t.Errorf("MedianDuration(nil) = %v, want 0", got)
	}
}

func TestFigureVerdicts(t *testing.T) {
	cases := []struct {
		f    Figure
		want string
	}{
		{Figure{Value: 1.5, Target: Target{AtMost, 1.5}}, "target met"},
		{Figure{Value: 1.51, Target: Target{AtMost, 1.5}}, "TARGET MISSED"},
		{Figure{Value: 0.5, Target: Target{AtLeast, 0.5}}, "target met"},
		{Figure{Value: 0.49, Target: Target{AtLeast, 0.5}}, "TARGET MISSED"},
		{Figure{Value: 150, Target: Target{LessThan, 150}}, "TARGET MISSED"},
		{Figure{Value: 149.9, Target: Target{LessThan, 150}}, "target met"},
		{Figure{Value: 2, Target: Target{MoreThan, 1}}, "target met"},
		{Figure{Value: 0.1}, "no target"},
	}
	for _, c := range cases {
		if got := c.f.Verdict(); got != c.want {
			t.Errorf("%v against %v: verdict %q, want %q", c.f.Value, c.f.Target, got, c.want)
		}
	}
	f := Figure{Name: "ratio", Value: 1.234, Unit: "x", Decimals: 2, Target: Target{AtMost, 1.5}}
	if got, want := f.Line(), "ratio: 1.23 x (target <= 1.5 x): target met"; got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, Machine{CPU: "Test CPU", Cores: 2, GoVersion: "go1.26", OS: "Test OS"}, []Figure{f, {Name: "info", Value: 3}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"machine: Test CPU, 2 cores, go1.26, Test OS", "| ratio ", "| 1.23 x ", "| target met", "| no target"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

func TestParsers(t *testing.T) {
	timeOut := []byte("\tCommand being timed: \"bin/mpsdconf run\"\n\tMaximum resident set size (kbytes): 33912\n\tExit status: 0\n")
	if n, ok := TimeMaxRSSKB(timeOut); !ok || n != 33912 {
		t.Errorf("TimeMaxRSSKB = %d, %v; want 33912, true", n, ok)
	}
	if _, ok := TimeMaxRSSKB([]byte("nothing here\n")); ok {
		t.Error("TimeMaxRSSKB found a size in output without one")
	}

	status := "Name:\tmpsdconf\nVmPeak:\t 1263540 kB\nVmHWM:\t   99520 kB\nVmRSS:\t   97280 kB\nThreads:\t7\n"
	m, err := parseProcStatus(strings.NewReader(status))
	if err != nil || m != (ProcMemory{HWM: 99520, RSS: 97280}) {
		t.Errorf("parseProcStatus = %+v, %v; want HWM 99520, RSS 97280", m, err)
	}
	if _, err := parseProcStatus(strings.NewReader("Name:\tx\n")); err == nil {
		t.Error("parseProcStatus accepted a status without memory lines")
	}
	if m, err := ReadProcMemory(os.Getpid()); err == nil && (m.HWM <= 0 || m.RSS <= 0) {
		t.Errorf("ReadProcMemory(self) = %+v, want positive sizes", m)
	}

	if got, ok := cpuModel(strings.NewReader("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n")); !ok || got != "AMD EPYC 7B13" {
		t.Errorf("cpuModel = %q, %v", got, ok)
	}
	if got, ok := osRelease(strings.NewReader("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n")); !ok || got != "Debian GNU/Linux 12 (bookworm)" {
		t.Errorf("osRelease = %q, %v", got, ok)
	}

	for line, want := range map[string]string{
		"listening on http://127.0.0.1:41234\n": "http://127.0.0.1:41234",
		"listening on ":                         "",
		"no --token-key given":                  "",
	} {
		got, ok := ListenURL(line)
		if got != want || ok != (want != "") {
			t.Errorf("ListenURL(%q) = %q, %v; want %q", line, got, ok, want)
		}
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(`{"run":{"durationSeconds":0.4503},"verdict":"pass"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := RunDurationSeconds(dir); err != nil || got != 0.4503 {
		t.Errorf("RunDurationSeconds = %v, %v; want 0.4503", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(`{"run":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := RunDurationSeconds(dir); err == nil {
		t.Error("RunDurationSeconds accepted a report without durationSeconds")
	}
}

func TestRewriteKeepsCaseAndUnknownTokens(t *testing.T) {
	ids := map[string]string{}
	pairTokens(ids,
		[]string{"aaaaaaaa-0000-0000-0000-000000000001", "7492baca-c1b4-440d-a391-b7ef4d40c1f4", "0123456789abcdef0123456789abcdef"},
		[]string{"bbbbbbbb-0000-0000-0000-000000000002", "7492baca-c1b4-440d-a391-b7ef4d40c1f4", "fedcba9876543210fedcba9876543210"})
	if len(ids) != 2 {
		t.Fatalf("pairTokens kept %d pairs, want 2 (equal tokens are not pairs): %v", len(ids), ids)
	}
	got := rewrite(`/handles/AAAAAAAA-0000-0000-0000-000000000001/session?x=aaaaaaaa-0000-0000-0000-000000000001 "0123456789abcdef0123456789abcdef" cccccccc-0000-0000-0000-000000000003`, ids)
	want := `/handles/BBBBBBBB-0000-0000-0000-000000000002/session?x=bbbbbbbb-0000-0000-0000-000000000002 "fedcba9876543210fedcba9876543210" cccccccc-0000-0000-0000-000000000003`
	if got != want {
		t.Errorf("rewrite:\n got %s\nwant %s", got, want)
	}
	before := len(ids)
	pairTokens(ids, []string{"dddddddd-0000-0000-0000-000000000004"}, nil)
	if len(ids) != before {
		t.Error("pairTokens paired answers with different token counts")
	}
}

// testWorld is an emulator world with tokens for its users.
type testWorld struct {
	env    fixtures.Environment
	key    []byte
	tokens map[string]string
}

func newTestWorld(t *testing.T) *testWorld {
	t.Helper()
	w := &testWorld{env: fixtures.DefaultEnvironment(), key: []byte("bench-test-key"), tokens: map[string]string{}}
	for _, who := range []string{fixtures.User1, fixtures.User2} {
		x, err := strconv.ParseUint(w.env.Identities[who].XUID, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if w.tokens[who], err = MintUser(w.key, w.env, x); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// server serves a fresh emulator of the world behind the middlewares wrap.
func (w *testWorld) server(t *testing.T, wrap ...func(http.Handler) http.Handler) *emulator.Server {
	t.Helper()
	srv, err := emulator.NewServer(emulator.ConfigFromEnvironment(w.env, w.key), "", wrap...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestReplayReproducesRecordedStatuses records a scripted sequence against one emulator
// (session writes with If-Match, handles whose ids later requests quote, in upper case too,
// 404s, a 401) and replays it against a fresh emulator: every status must be the same, which
// needs the server-invented ids and ETags to be mapped.
func TestReplayReproducesRecordedStatuses(t *testing.T) {
	w := newTestWorld(t)
	var rec *Recorder
	srv := w.server(t, func(h http.Handler) http.Handler { rec = NewRecorder(h); return rec })
	client := &http.Client{}
	send := func(method, path, who string, body []byte, hdrs ...string) (int, http.Header, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Xbl-Contract-Version", "107")
		if who != "" {
			req.Header.Set("Authorization", w.tokens[who])
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
		for i := 0; i+1 < len(hdrs); i += 2 {
			req.Header.Set(hdrs[i], hdrs[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header, out
	}
	body := func(name string, vars map[string]any) []byte {
		t.Helper()
		b, err := fixtures.Body(name, vars)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	env := w.env
	sessionPath := "/serviceconfigs/" + env.SCID + "/sessionTemplates/" + env.Templates.Primary + "/sessions/replay-1"
	join := body("session-join", map[string]any{"XUID": env.Identities[fixtures.User1].XUID, "RUN_ID": "replay"})
	activity := body("activity-handle", map[string]any{"SCID": env.SCID, "TEMPLATE": env.Templates.Primary, "SESSION": "replay-1"})
	query := body("query-activity-xuids", map[string]any{"SCID": env.SCID, "XUIDS": []string{env.Identities[fixtures.User1].XUID}})

	var want []int
	expect := func(status, code int) {
		t.Helper()
		if status != code {
			t.Fatalf("request %d: status %d, want %d", len(want)+1, status, code)
		}
		want = append(want, status)
	}
	st, _, _ := send(http.MethodPut, sessionPath, fixtures.User1, join)
	expect(st, http.StatusCreated)
	st, _, out := send(http.MethodPost, "/handles", fixtures.User1, activity)
	expect(st, http.StatusCreated)
	var h struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &h); err != nil || h.ID == "" {
		t.Fatalf("no handle id: %s", out)
	}
	st, _, _ = send(http.MethodGet, "/handles/"+h.ID, fixtures.User1, nil)
	expect(st, http.StatusOK)
	st, _, _ = send(http.MethodGet, "/handles/"+strings.ToUpper(h.ID), fixtures.User2, nil)
	expect(st, http.StatusOK)
	st, hdr, _ := send(http.MethodGet, "/handles/"+h.ID+"/session", fixtures.User1, nil)
	expect(st, http.StatusOK)
	etag := hdr.Get("ETag")
	st, _, _ = send(http.MethodPut, sessionPath, fixtures.User1, []byte(`{"properties":{"custom":{"k":1}}}`), "If-Match", etag)
	expect(st, http.StatusOK)
	st, _, _ = send(http.MethodPut, sessionPath, fixtures.User1, []byte(`{"properties":{"custom":{"k":2}}}`), "If-Match", etag)
	expect(st, http.StatusPreconditionFailed)
	st, _, _ = send(http.MethodPost, "/handles/query?include=relatedInfo", fixtures.User1, query)
	expect(st, http.StatusOK)
	st, _, _ = send(http.MethodDelete, "/handles/"+h.ID, fixtures.User1, nil)
	expect(st, http.StatusNoContent)
	st, _, _ = send(http.MethodGet, "/handles/"+h.ID, fixtures.User1, nil)
	expect(st, http.StatusNotFound)
	st, _, _ = send(http.MethodGet, "/handles/"+h.ID, "", nil)
	expect(st, http.StatusUnauthorized)

	log := rec.Log()
	got := make([]int, len(log))
	for i, r := range log {
		got[i] = r.Status
	}
	if !slices.Equal(got, want) {
		t.Fatalf("recorded statuses %v, want %v", got, want)
	}

	fresh := w.server(t)
	res, err := Replay(context.Background(), &http.Client{}, fresh.URL, log)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if res.Requests != len(log) || len(res.Mismatches) != 0 || !slices.Equal(res.Statuses, want) {
		t.Fatalf("replay: %d requests, statuses %v, mismatches %v; want statuses %v", res.Requests, res.Statuses, res.Mismatches, want)
	}

	// The same log through a file, as the separate replayer process reads it.
	logFile := filepath.Join(t.TempDir(), "log.json")
	raw, err := json.Marshal(log)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	again := w.server(t)
	var printed bytes.Buffer
	if err := ReplayFile(context.Background(), logFile, again.URL, &printed); err != nil {
		t.Fatalf("ReplayFile: %v", err)
	}
	var fromFile ReplayResult
	if err := json.Unmarshal(printed.Bytes(), &fromFile); err != nil {
		t.Fatalf("ReplayFile output: %v\n%s", err, printed.String())
	}
	if !slices.Equal(fromFile.Statuses, want) || len(fromFile.Mismatches) != 0 {
		t.Fatalf("replay from file: statuses %v, mismatches %v; want %v", fromFile.Statuses, fromFile.Mismatches, want)
	}
	if err := ReplayFile(context.Background(), filepath.Join(t.TempDir(), "missing.json"), again.URL, &printed); err == nil {
		t.Error("ReplayFile of a missing log did not fail")
	}
}

// TestMixedHandlesCycle runs one cycle of the load workload against the emulator and against
// the bare handler (no timing: the requests must all be answered with a 2xx).
func TestMixedHandlesCycle(t *testing.T) {
	w := newTestWorld(t)
	for name, wrap := range map[string][]func(http.Handler) http.Handler{
		"emulator": nil,
		"bare":     {instead(BareHandler())},
	} {
		t.Run(name, func(t *testing.T) {
			srv := w.server(t, wrap...)
			m, err := NewMixedHandles(&http.Client{}, srv.URL, w.env, w.key, 2)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for k := range 2 {
				if err := m.Setup(ctx, k); err != nil {
					t.Fatalf("Setup(%d): %v", k, err)
				}
				for range 2 { // a second cycle: the deleted handle is set again
					if n, err := m.Cycle(ctx, k); err != nil || n != 5 {
						t.Fatalf("Cycle(%d) = %d, %v; want 5, nil", k, n, err)
					}
				}
			}
			if err := m.Setup(ctx, 2); err == nil {
				t.Error("Setup accepted a worker beyond those prepared")
			}
		})
	}
}
