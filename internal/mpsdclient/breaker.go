package mpsdclient

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrTargetDown marks a request the client did not send because the target stopped answering:
// the last requests in a row (WithCircuitBreaker) got no response at all. Errors wrapping it
// also wrap ErrTransport, so a spec that meets it is a harness error, and the run ends within a
// bounded number of requests instead of waiting out a timeout for every remaining one.
var ErrTargetDown = errors.New("target stopped answering")

// DefaultMaxConsecutiveFailures is how many requests in a row may get no response before the
// client stops sending (see WithCircuitBreaker).
const DefaultMaxConsecutiveFailures = 5

// WithCircuitBreaker makes the client stop sending once n requests in a row got no response
// (connection refused or reset, timeout, body cut off): every later Do fails at once with an
// error wrapping ErrTargetDown and ErrTransport. Any response, whatever its status, resets the
// count. n <= 0 switches the breaker off.
func WithCircuitBreaker(n int) ClientOption {
	return func(c *Client) { c.breaker = breaker{limit: int64(n)} }
}

// breaker counts consecutive requests without a response; it opens at its limit and stays open.
type breaker struct {
	limit  int64
	failed atomic.Int64
}

// open reports whether the client must stop sending.
func (b *breaker) open() bool { return b.limit > 0 && b.failed.Load() >= b.limit }

// record counts the outcome of one request: err is Do's error. Failures of the caller's own
// context and answers that arrived (even throttled out) do not count as the target being down.
func (b *breaker) record(ctx context.Context, err error) {
	switch {
	case b.limit <= 0:
	case err == nil || !errors.Is(err, ErrTransport) || errors.Is(err, ErrResponseTooLarge):
		b.failed.Store(0)
	case ctx.Err() == nil:
		b.failed.Add(1)
	}
}

// refuse is Do's answer while the breaker is open.
func (b *breaker) refuse(method, path string) error {
	return fmt.Errorf("%s %s: %w: %w: the last %d requests in a row got no response, so the run sends no more",
		method, path, ErrTransport, ErrTargetDown, b.limit)
}
