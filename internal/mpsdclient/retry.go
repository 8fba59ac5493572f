package mpsdclient

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrThrottled marks a request the target kept throttling (429, or 503 with Retry-After)
// until the client's retry budget ran out: a harness problem, not a conformance failure.
var ErrThrottled = errors.New("target kept throttling")

// RetryPolicy bounds how Client.Do retries throttled requests.
type RetryPolicy struct {
	// MaxRetries is the most extra attempts per request; 0 disables retrying, and a
	// throttling response is then returned as an ordinary exchange.
	MaxRetries int
	// MaxWait is the total time one request may spend waiting across its retries;
	// zero or negative means the default (60s).
	MaxWait time.Duration
	// DefaultBackoff is the first wait after a 429 without a valid Retry-After,
	// doubled on each further attempt; zero or negative means the default (1s).
	DefaultBackoff time.Duration
}

// DefaultRetryPolicy is the policy of a client created without WithRetryPolicy.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 4, MaxWait: 60 * time.Second, DefaultBackoff: time.Second}

// WithRetryPolicy sets how throttled requests are retried (see RetryPolicy).
func WithRetryPolicy(p RetryPolicy) ClientOption {
	return func(c *Client) {
		if p.MaxRetries < 0 {
			p.MaxRetries = 0
		}
		if p.MaxWait <= 0 {
			p.MaxWait = DefaultRetryPolicy.MaxWait
		}
		if p.DefaultBackoff <= 0 {
			p.DefaultBackoff = DefaultRetryPolicy.DefaultBackoff
		}
		c.retry = p
	}
}

// WithSleeper replaces how the client waits (for Retry-After and the rate limit). The
// function must return early with ctx.Err() when ctx ends. Meant for tests; nil keeps
// the default, a timer that honours ctx.
func WithSleeper(sleep func(ctx context.Context, d time.Duration) error) ClientOption {
	return func(c *Client) {
		if sleep != nil {
			c.sleep = sleep
		}
	}
}

// WithClock replaces the client's clock, used for the rate limit and HTTP-date
// Retry-After values. Meant for tests; nil keeps time.Now.
func WithClock(now func() time.Time) ClientOption {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// maxRateInterval bounds the spacing the rate limit imposes (one attempt per hour).
const maxRateInterval = time.Hour

// WithRateLimit allows at most perSecond HTTP attempts per second across the client,
// retries included (a token bucket with burst 1). perSecond <= 0 means no limit; rates
// below one attempt per hour are treated as one per hour.
func WithRateLimit(perSecond float64) ClientOption {
	return func(c *Client) {
		if !(perSecond > 0) { // also catches NaN
			c.limiter = nil
			return
		}
		interval := maxRateInterval
		if secs := 1 / perSecond; secs < maxRateInterval.Seconds() {
			interval = time.Duration(secs * float64(time.Second))
		}
		c.limiter = &rateLimiter{interval: interval}
	}
}

// rateLimiter spaces attempts at least interval apart. With burst 1, a token bucket is
// the time from which the next attempt may start.
type rateLimiter struct {
	interval time.Duration

	mu   sync.Mutex
	next time.Time
}

// reserve books the next free slot and returns how long after now it starts. A slot is
// not given back if the caller then gives up waiting.
func (l *rateLimiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next.Before(now) {
		l.next = now
	}
	wait := l.next.Sub(now)
	l.next = l.next.Add(l.interval)
	return wait
}

// sleepContext waits d, or until ctx ends (then it returns ctx.Err()).
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Stats are run-wide counters of a client.
type Stats struct {
	// Requests counts Do calls that reached the network.
	Requests int64
	// Retries counts extra attempts made because the target throttled.
	Retries int64
	// Throttled counts requests that ended with ErrThrottled.
	Throttled int64
	// RetryWait is the total time spent waiting before retries.
	RetryWait time.Duration
	// Renewals counts requests sent again with a renewed credential after a 401.
	Renewals int64
}

type stats struct {
	requests, retries, throttled, retryWait, renewals atomic.Int64
}

// Stats returns the client's counters so far. It is safe to call concurrently with Do.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:  c.stats.requests.Load(),
		Retries:   c.stats.retries.Load(),
		Throttled: c.stats.throttled.Load(),
		RetryWait: time.Duration(c.stats.retryWait.Load()),
		Renewals:  c.stats.renewals.Load(),
	}
}

// throttleWait reports whether ex is a throttling answer to retry and how long to wait
// first: a 429 (Retry-After, else DefaultBackoff doubled per attempt already retried), or a
// 503 with a valid Retry-After.
func (c *Client) throttleWait(ex *Exchange, retried int) (time.Duration, bool) {
	d, ok := parseRetryAfter(ex.Header.Get("Retry-After"), c.now())
	switch ex.Status {
	case http.StatusTooManyRequests:
		if !ok {
			d = backoff(c.retry.DefaultBackoff, retried)
		}
		return d, true
	case http.StatusServiceUnavailable:
		return d, ok
	}
	return 0, false
}

// backoff returns base doubled n times, saturating instead of overflowing.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for range n {
		if d > math.MaxInt64/2 {
			return math.MaxInt64
		}
		d *= 2
	}
	return d
}

// parseRetryAfter reads a Retry-After value: delta-seconds or an HTTP-date (a date in the
// past means no wait). ok is false when v is empty or neither form.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 63); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || secs > uint64(math.MaxInt64/int64(time.Second)) {
			return math.MaxInt64, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
