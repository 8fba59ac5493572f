package mpsdclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTime is an injected clock and sleeper: sleeping records the wait and moves the
// clock forward, without real time passing.
type fakeTime struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeTime() *fakeTime {
	return &fakeTime{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return ctx.Err()
}

func (f *fakeTime) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakeTime) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sleeps)
}

func (f *fakeTime) options() []ClientOption {
	return []ClientOption{WithClock(f.Now), WithSleeper(f.Sleep)}
}

// reply is one scripted answer: a status and a Retry-After value ("" sends none).
type reply struct {
	status     int
	retryAfter string
}

// scriptedServer answers with the replies in order, then 201 with {"ok":true}, and
// records the bodies it received.
type scriptedServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newScriptedServer(t *testing.T, replies ...reply) *scriptedServer {
	s := &scriptedServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.bodies)
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		if n < len(replies) {
			if ra := replies[n].retryAfter; ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			w.WriteHeader(replies[n].status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *scriptedServer) Bodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}

func repeat(r reply, n int) []reply {
	out := make([]reply, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func TestRetryOn429ResendsTheSameRequest(t *testing.T) {
	srv := newScriptedServer(t, reply{429, "2"}, reply{429, "1"})
	ft := newFakeTime()
	var observed []*Exchange
	c, _ := New(srv.URL, append(ft.options(), WithObserver(func(ex *Exchange) { observed = append(observed, ex) }))...)
	ex, err := c.Do(t.Context(), http.MethodPost, "/handles", WithJSON(map[string]any{"type": "activity"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`{"type":"activity"}`, `{"type":"activity"}`, `{"type":"activity"}`}; !slices.Equal(srv.Bodies(), want) {
		t.Errorf("server received bodies %q, want the same body three times", srv.Bodies())
	}
	if got := ft.Sleeps(); !slices.Equal(got, []time.Duration{2 * time.Second, time.Second}) {
		t.Errorf("waits %v, want the Retry-After values [2s 1s]", got)
	}
	if ex.Status != http.StatusCreated || ex.Retries != 2 || ex.RetryWait != 3*time.Second {
		t.Errorf("exchange: status %d, retries %d, wait %s", ex.Status, ex.Retries, ex.RetryWait)
	}
	if first, _, _ := strings.Cut(ex.String(), "\n"); first != "--- request (after 2 retries on 429, waited 3s)" {
		t.Errorf("transcript first line %q", first)
	}
	if len(observed) != 1 || observed[0] != ex {
		t.Errorf("observers saw %d exchanges, want the final one only", len(observed))
	}
	if got, want := c.Stats(), (Stats{Requests: 1, Retries: 2, RetryWait: 3 * time.Second}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func TestRetryWaitsHTTPDateAndBackoff(t *testing.T) {
	ft := newFakeTime()
	date := ft.Now().Add(5 * time.Second).Format(http.TimeFormat)
	past := ft.Now().Add(-time.Hour).Format(http.TimeFormat)
	srv := newScriptedServer(t,
		reply{503, date},                      // HTTP-date: wait until then
		reply{429, ""},                        // no Retry-After: DefaultBackoff doubled per retry so far (1 -> 2s)
		reply{429, "soon"},                    // invalid: as if absent (2 -> 4s)
		reply{503, past},                      // date in the past: retry at once
		reply{429, "99999999999999999999999"}, // absurd: exceeds any budget
	)
	c, _ := New(srv.URL, append(ft.options(), WithRetryPolicy(RetryPolicy{MaxRetries: 10, MaxWait: time.Hour, DefaultBackoff: time.Second}))...)
	ex, err := c.Do(t.Context(), http.MethodGet, "/handles/h1")
	if !errors.Is(err, ErrThrottled) {
		t.Fatalf("want ErrThrottled on the absurd Retry-After, got %v", err)
	}
	if got, want := ft.Sleeps(), []time.Duration{5 * time.Second, 2 * time.Second, 4 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v (the 0s wait for the past date needs no sleep)", got, want)
	}
	if ex.Retries != 4 || ex.RetryWait != 11*time.Second || len(srv.Bodies()) != 5 {
		t.Errorf("retries %d, wait %s, attempts %d", ex.Retries, ex.RetryWait, len(srv.Bodies()))
	}
	if first, _, _ := strings.Cut(ex.String(), "\n"); first != "--- request (after 4 retries on 503/429, waited 11s)" {
		t.Errorf("transcript first line %q", first)
	}
}

func TestRetryStopsAtMaxRetries(t *testing.T) {
	srv := newScriptedServer(t, repeat(reply{429, "1"}, 100)...)
	ft := newFakeTime()
	c, _ := New(srv.URL, append(ft.options(), WithRetryPolicy(RetryPolicy{MaxRetries: 2}))...)
	ex, err := c.Do(t.Context(), http.MethodPut, "/handles/h1", WithRawBody([]byte("x"), "text/plain"))
	if !errors.Is(err, ErrThrottled) || !IsHarnessError(err) || errors.Is(err, ErrTransport) {
		t.Fatalf("want ErrThrottled only, got %v", err)
	}
	if !strings.Contains(err.Error(), "target kept throttling: 2 retries, waited 2s") {
		t.Errorf("error message: %v", err)
	}
	if ex == nil || ex.Status != 429 || ex.Retries != 2 || len(srv.Bodies()) != 3 {
		t.Fatalf("want the last 429 after 3 attempts, got %+v with %d attempts", ex, len(srv.Bodies()))
	}
	if got, want := c.Stats(), (Stats{Requests: 1, Retries: 2, Throttled: 1, RetryWait: 2 * time.Second}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func TestRetryStopsBeforeExceedingMaxWait(t *testing.T) {
	srv := newScriptedServer(t, repeat(reply{429, "30"}, 100)...)
	ft := newFakeTime()
	c, _ := New(srv.URL, append(ft.options(), WithRetryPolicy(RetryPolicy{MaxRetries: 10, MaxWait: 70 * time.Second}))...)
	ex, err := c.Do(t.Context(), http.MethodGet, "/handles/h1")
	if !errors.Is(err, ErrThrottled) || !strings.Contains(err.Error(), "next wait of 30s would exceed the 1m10s budget") {
		t.Fatalf("want ErrThrottled naming the budget, got %v", err)
	}
	if got := ft.Sleeps(); !slices.Equal(got, []time.Duration{30 * time.Second, 30 * time.Second}) || ex.Retries != 2 {
		t.Errorf("waits %v, retries %d: want two 30s waits within the 70s budget", got, ex.Retries)
	}

	// Retrying is on, but the very first wait is over budget: no retry, still throttled.
	srv = newScriptedServer(t, reply{503, "3600"})
	ft = newFakeTime()
	c, _ = New(srv.URL, ft.options()...)
	ex, err = c.Do(t.Context(), http.MethodGet, "/handles/h1")
	if !errors.Is(err, ErrThrottled) || ex.Status != 503 || ex.Retries != 0 || len(ft.Sleeps()) != 0 || len(srv.Bodies()) != 1 {
		t.Errorf("Retry-After 3600 with the default 60s budget: status %d, retries %d, sleeps %v, err %v", ex.Status, ex.Retries, ft.Sleeps(), err)
	}
}

func TestRetriesDisabledReturnsTheThrottlingResponse(t *testing.T) {
	srv := newScriptedServer(t, reply{429, "1"})
	ft := newFakeTime()
	c, _ := New(srv.URL, append(ft.options(), WithRetryPolicy(RetryPolicy{MaxRetries: 0}))...)
	ex, err := c.Do(t.Context(), http.MethodPost, "/handles")
	if err != nil || ex.Status != 429 || ex.Retries != 0 || len(srv.Bodies()) != 1 || len(ft.Sleeps()) != 0 {
		t.Fatalf("status %d, retries %d, attempts %d, sleeps %v, err %v", ex.Status, ex.Retries, len(srv.Bodies()), ft.Sleeps(), err)
	}
	if first, _, _ := strings.Cut(ex.String(), "\n"); first != "--- request" {
		t.Errorf("transcript first line %q mentions retries", first)
	}
}

func TestOnlyThrottlingStatusesAreRetried(t *testing.T) {
	for _, r := range []reply{{503, ""}, {503, "never"}, {500, "1"}, {502, "1"}, {404, "1"}} {
		srv := newScriptedServer(t, r)
		ft := newFakeTime()
		c, _ := New(srv.URL, ft.options()...)
		ex, err := c.Do(t.Context(), http.MethodGet, "/handles/h1")
		if err != nil || ex.Status != r.status || len(srv.Bodies()) != 1 || len(ft.Sleeps()) != 0 {
			t.Errorf("%d with Retry-After %q: status %d, attempts %d, err %v; want returned as is", r.status, r.retryAfter, ex.Status, len(srv.Bodies()), err)
		}
	}
}

func TestRetryWaitHonoursContext(t *testing.T) {
	srv := newScriptedServer(t, repeat(reply{429, "10"}, 10)...)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The default sleeper, with the context cancelled as the wait begins.
	c, _ := New(srv.URL, WithSleeper(func(ctx context.Context, d time.Duration) error {
		cancel()
		return sleepContext(ctx, d)
	}))
	ex, err := c.Do(ctx, http.MethodGet, "/handles/h1")
	if !errors.Is(err, ErrTransport) || !errors.Is(err, context.Canceled) || errors.Is(err, ErrThrottled) {
		t.Fatalf("want ErrTransport wrapping context.Canceled, got %v", err)
	}
	if ex == nil || ex.Status != 429 || len(srv.Bodies()) != 1 {
		t.Errorf("want the 429 that was being waited on, got %+v", ex)
	}
	if s := c.Stats(); s.Retries != 0 || s.RetryWait != 0 {
		t.Errorf("Stats count a wait that did not finish: %+v", s)
	}
}

func TestSleepContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	if err := sleepContext(ctx, time.Nanosecond); err != nil {
		t.Errorf("short sleep: %v", err)
	}
	cancel()
	if err := sleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sleep: %v", err)
	}
	if err := sleepContext(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("zero sleep on a cancelled context: %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
		{"99999999999999999999", math.MaxInt64, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"+3", 0, false},
		{"tomorrow", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if got := backoff(time.Second, 3); got != 8*time.Second {
		t.Errorf("backoff(1s, 3) = %s", got)
	}
	if got := backoff(time.Hour, 200); got != math.MaxInt64 {
		t.Errorf("backoff does not saturate: %s", got)
	}
}

func TestStatsUnderConcurrency(t *testing.T) {
	var seen sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, again := seen.LoadOrStore(r.URL.Query().Get("id"), true); !again {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	ft := newFakeTime()
	c, _ := New(srv.URL, ft.options()...)
	const n = 16
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range n {
		wg.Go(func() {
			ex, err := c.Do(t.Context(), http.MethodGet, "/handles", WithQuery("id", fmt.Sprint(i)))
			if err != nil || ex.Status != http.StatusOK || ex.Retries != 1 {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d requests did not end in 200 after one retry", failed.Load())
	}
	if got, want := c.Stats(), (Stats{Requests: n, Retries: n, RetryWait: n * time.Second}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func TestRateLimitSpacesAttempts(t *testing.T) {
	srv := newScriptedServer(t)
	ft := newFakeTime()
	c, _ := New(srv.URL, append(ft.options(), WithRateLimit(2))...)
	do := func() {
		t.Helper()
		if _, err := c.Do(t.Context(), http.MethodGet, "/handles/h1"); err != nil {
			t.Fatal(err)
		}
	}
	do()
	do()
	do()
	if got, want := ft.Sleeps(), []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v: the first attempt goes at once, then one per 500ms", got, want)
	}
	// Idle time does not build up more than one token (burst 1).
	ft.Advance(10 * time.Second)
	do()
	do()
	if got, want := ft.Sleeps(), []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("after idling: waits %v, want %v", got, want)
	}
}

func TestRateLimitCoversRetries(t *testing.T) {
	srv := newScriptedServer(t, reply{429, "0"})
	ft := newFakeTime()
	c, _ := New(srv.URL, append(ft.options(), WithRateLimit(1))...)
	ex, err := c.Do(t.Context(), http.MethodGet, "/handles/h1")
	if err != nil || ex.Retries != 1 {
		t.Fatalf("retries %d, err %v", ex.Retries, err)
	}
	if got := ft.Sleeps(); !slices.Equal(got, []time.Duration{time.Second}) {
		t.Errorf("waits %v: want the retry (Retry-After 0) held back 1s by the rate limit", got)
	}
}

func TestRateLimitWaitHonoursContext(t *testing.T) {
	srv := newScriptedServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c, _ := New(srv.URL, WithRateLimit(0.001), WithSleeper(func(ctx context.Context, d time.Duration) error {
		cancel()
		return sleepContext(ctx, d)
	}))
	if _, err := c.Do(ctx, http.MethodGet, "/a"); err != nil {
		t.Fatal(err)
	}
	ex, err := c.Do(ctx, http.MethodGet, "/b")
	if !errors.Is(err, ErrTransport) || !errors.Is(err, context.Canceled) || ex.Status != 0 || len(srv.Bodies()) != 1 {
		t.Errorf("want the second request stopped in the rate-limit wait, got status %d, err %v", ex.Status, err)
	}
	if s := c.Stats(); s.Requests != 1 {
		t.Errorf("Stats.Requests = %d, want only the request that reached the network", s.Requests)
	}
}

func TestRateLimiterConcurrentReservations(t *testing.T) {
	l := &rateLimiter{interval: 100 * time.Millisecond}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const n = 50
	waits := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { waits[i] = l.reserve(now) })
	}
	wg.Wait()
	slices.Sort(waits)
	for i, w := range waits {
		if w != time.Duration(i)*100*time.Millisecond {
			t.Fatalf("waits %v: want each reservation its own 100ms slot", waits)
		}
	}
}

func TestWithRateLimitSettings(t *testing.T) {
	for _, r := range []float64{0, -1, math.NaN()} {
		c, _ := New("http://x", WithRateLimit(5), WithRateLimit(r))
		if c.limiter != nil {
			t.Errorf("WithRateLimit(%v) set a limit", r)
		}
	}
	for r, want := range map[float64]time.Duration{4: 250 * time.Millisecond, 1e-9: time.Hour, math.Inf(1): 0} {
		c, _ := New("http://x", WithRateLimit(r))
		if c.limiter == nil || c.limiter.interval != want {
			t.Errorf("WithRateLimit(%v): limiter %+v, want interval %s", r, c.limiter, want)
		}
	}
}

func TestWithRetryPolicyDefaults(t *testing.T) {
	c, _ := New("http://x")
	if c.retry != DefaultRetryPolicy || DefaultRetryPolicy != (RetryPolicy{MaxRetries: 4, MaxWait: time.Minute, DefaultBackoff: time.Second}) {
		t.Errorf("default policy %+v", c.retry)
	}
	c, _ = New("http://x", WithRetryPolicy(RetryPolicy{MaxRetries: -3}))
	if c.retry != (RetryPolicy{MaxRetries: 0, MaxWait: time.Minute, DefaultBackoff: time.Second}) {
		t.Errorf("policy with zero fields %+v", c.retry)
	}
}
