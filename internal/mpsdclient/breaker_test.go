package mpsdclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A target that dies: after the breaker's limit of requests without a response, the client
// sends nothing more and every call fails at once with ErrTargetDown (a transport error).
func TestCircuitBreakerStopsSendingToADeadTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	go func() { // accept and hang up at once: no response ever
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = conn.Close()
		}
	}()
	defer ln.Close()
	c, err := New("http://"+ln.Addr().String(), WithCircuitBreaker(3))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Do(context.Background(), http.MethodGet, "/handles/x"); !errors.Is(err, ErrTransport) || errors.Is(err, ErrTargetDown) {
			t.Fatalf("request %d: %v, want a plain transport error", i+1, err)
		}
	}
	start := time.Now()
	for i := 0; i < 50; i++ {
		ex, err := c.Do(context.Background(), http.MethodGet, "/handles/y")
		if ex != nil || !errors.Is(err, ErrTargetDown) || !errors.Is(err, ErrTransport) || !IsHarnessError(err) {
			t.Fatalf("after the limit: %v %v, want ErrTargetDown", ex, err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing 50 requests took %s", d)
	}
	if n := c.Stats().Requests; n != 3 {
		t.Errorf("%d requests sent, want 3 (the breaker's limit)", n)
	}
	if got := accepted.Load(); got > 3 {
		t.Errorf("the dead target saw %d connections, want at most 3", got)
	}
}

// Any answer resets the count; the caller's own cancelled context does not count; 0 is off.
func TestCircuitBreakerCountsOnlyConsecutiveTargetFailures(t *testing.T) {
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		http.Error(w, "nope", http.StatusInternalServerError) // an answer, even a 500
	}))
	defer srv.Close()
	c, err := New(srv.URL, WithCircuitBreaker(2))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		fail.Store(true)
		if _, err := c.Do(context.Background(), http.MethodGet, "/a"); !errors.Is(err, ErrTransport) {
			t.Fatalf("round %d: %v", i, err)
		}
		fail.Store(false)
		if ex, err := c.Do(context.Background(), http.MethodGet, "/a"); err != nil || ex.Status != http.StatusInternalServerError {
			t.Fatalf("round %d: an answer after one failure: %v", i, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 4; i++ {
		_, _ = c.Do(ctx, http.MethodGet, "/a")
	}
	if ex, err := c.Do(context.Background(), http.MethodGet, "/a"); err != nil || ex == nil {
		t.Fatalf("cancelled calls opened the breaker: %v", err)
	}
	off, _ := New(srv.URL, WithCircuitBreaker(0))
	fail.Store(true)
	for i := 0; i < 4; i++ {
		if _, err := off.Do(context.Background(), http.MethodGet, "/a"); errors.Is(err, ErrTargetDown) {
			t.Fatal("a breaker of 0 opened")
		}
	}
}
