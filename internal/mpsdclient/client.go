// Package mpsdclient is the harness's one HTTP helper. Every request the suites send goes
// through Client.Do, configured with functional options, and comes back as an Exchange: the
// request and response as sent and received, which renders itself (with secrets redacted,
// long or binary bodies cut and escaped) for failure messages and reports.
//
// NewHTTPClient builds the *http.Client from NetworkOptions: extra CA roots or no TLS
// verification, a client certificate for mutual TLS, a proxy, and the per-attempt timeout.
//
// Do retries throttling answers (429, or 503 with Retry-After) for any method, waiting the
// Retry-After (or an exponential backoff for a 429 without one) within a RetryPolicy; a
// target that keeps throttling ends in ErrThrottled. WithRateLimit spaces attempts
// client-wide. Waiting goes through an injectable sleeper and clock (WithSleeper,
// WithClock), and Stats counts requests, retries and waits for the run.
//
// Every way a target can fail to answer ends in a distinct error wrapping ErrTransport: no
// connection or a reset, ErrTimeout when nothing arrives within the timeout, a body cut
// off, or ErrResponseTooLarge past the body cap (reading stops there). A response that
// arrives, however malformed, is returned without error for the suites to judge.
// IsHarnessError tells the run's own failures (transport, throttling, an identity's credential
// refused or unavailable) from the target's. WithCredential sends an identity's credential,
// renewed once after a 401 before the target's refusal counts (ErrCredentialRefused).
// WithCircuitBreaker stops a client from sending once the target stops answering altogether
// (ErrTargetDown), so a run against a dead target ends within a bounded number of requests.
package mpsdclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Header names the harness sets.
const (
	HeaderContractVersion = "X-Xbl-Contract-Version"
	HeaderAuthorization   = "Authorization"
)

// DefaultMaxResponseBytes caps how much of a response body is read.
const DefaultMaxResponseBytes = 8 << 20

// Client sends requests to one MPSD target.
type Client struct {
	base             *url.URL
	http             *http.Client
	contractVersion  string
	maxResponseBytes int64
	redactor         *Redactor
	observers        []func(*Exchange)

	retry   RetryPolicy
	limiter *rateLimiter // nil: no rate limit
	sleep   func(ctx context.Context, d time.Duration) error
	now     func() time.Time
	stats   stats
	breaker breaker
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the underlying *http.Client (transport, TLS, timeouts); see
// NewHTTPClient. Its Timeout is the per-attempt timeout. nil keeps the default.
func WithHTTPClient(h *http.Client) ClientOption {
	return func(c *Client) {
		if h != nil {
			c.http = h
		}
	}
}

// WithDefaultContractVersion sets the X-Xbl-Contract-Version sent unless a request overrides it.
func WithDefaultContractVersion(v int) ClientOption {
	return func(c *Client) { c.contractVersion = strconv.Itoa(v) }
}

// WithSecrets registers values that must never appear in a rendered exchange.
func WithSecrets(secrets ...string) ClientOption {
	return func(c *Client) { c.redactor = c.redactor.With(secrets...) }
}

// WithRedactor makes the client redact what it shows with r, which others (the credentials of
// the run) may teach more secrets while the client is in use. nil keeps the client's own.
func WithRedactor(r *Redactor) ClientOption {
	return func(c *Client) {
		if r != nil {
			c.redactor = r
		}
	}
}

// WithMaxResponseBytes caps how much of each response body is read.
func WithMaxResponseBytes(n int64) ClientOption { return func(c *Client) { c.maxResponseBytes = n } }

// WithObserver registers a function called with every completed exchange.
func WithObserver(f func(*Exchange)) ClientOption {
	return func(c *Client) { c.observers = append(c.observers, f) }
}

// New returns a client for the target base URL (scheme and host, optionally a path prefix).
func New(baseURL string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("target URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target URL %q: want http:// or https:// with a host", baseURL)
	}
	c := &Client{
		base:             u,
		http:             &http.Client{Timeout: DefaultRequestTimeout},
		contractVersion:  "107",
		maxResponseBytes: DefaultMaxResponseBytes,
		redactor:         NewRedactor(),
		retry:            DefaultRetryPolicy,
		sleep:            sleepContext,
		now:              time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL returns the target's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Redactor returns the client's redactor.
func (c *Client) Redactor() *Redactor { return c.redactor }

// Option shapes one request.
type Option func(*request) error

type request struct {
	header      http.Header
	removed     map[string]bool
	query       url.Values
	body        []byte
	hasBody     bool
	contentType string
	cred        Credential // nil: the Authorization header, if any, is set as it is
}

// WithAuthorization sets the Authorization header to a raw value (an identity's, or a
// deliberately broken one).
func WithAuthorization(value string) Option {
	return func(r *request) error { r.header.Set(HeaderAuthorization, value); return nil }
}

// WithContractVersion overrides the X-Xbl-Contract-Version value for this request.
func WithContractVersion(v string) Option {
	return func(r *request) error { r.header.Set(HeaderContractVersion, v); return nil }
}

// WithHeader sets a request header.
func WithHeader(name, value string) Option {
	return func(r *request) error {
		r.header.Set(name, value)
		delete(r.removed, http.CanonicalHeaderKey(name))
		return nil
	}
}

// WithoutHeader removes a header the client would otherwise send (e.g. the contract version).
func WithoutHeader(name string) Option {
	return func(r *request) error { r.removed[http.CanonicalHeaderKey(name)] = true; return nil }
}

// WithQuery adds a query-string parameter; repeat it for several.
func WithQuery(name, value string) Option {
	return func(r *request) error { r.query.Add(name, value); return nil }
}

// WithJSON sends v encoded as JSON with Content-Type application/json.
func WithJSON(v any) Option {
	return func(r *request) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode request body: %w", err)
		}
		r.body, r.hasBody, r.contentType = raw, true, "application/json; charset=utf-8"
		return nil
	}
}

// WithRawBody sends body bytes as they are, with the given Content-Type ("" sends none).
func WithRawBody(body []byte, contentType string) Option {
	return func(r *request) error {
		r.body, r.hasBody, r.contentType = body, true, contentType
		return nil
	}
}

// ErrTransport marks failures to get a complete HTTP response from the target: no
// connection, a reset, a timeout, a body cut off or too large, or the caller's context
// ending while the client waited.
var ErrTransport = errors.New("no HTTP response from target")

// ErrTimeout marks an attempt that got no complete response within the HTTP client's
// Timeout. Errors wrapping it also wrap ErrTransport.
var ErrTimeout = errors.New("target did not answer in time")

// ErrResponseTooLarge marks a response body over the client's cap (WithMaxResponseBytes);
// the client stops reading at the cap. Errors wrapping it also wrap ErrTransport.
var ErrResponseTooLarge = errors.New("response body too large")

// IsHarnessError reports whether err means the run could not judge the target (no
// usable response, throttled beyond the retry budget, or the identity's own credential
// refused or unavailable) rather than the target breaking a rule.
func IsHarnessError(err error) bool {
	return errors.Is(err, ErrTransport) || errors.Is(err, ErrThrottled) ||
		errors.Is(err, ErrCredentialRefused) || errors.Is(err, ErrCredentialUnavailable)
}

// Do sends one request and returns the exchange. A status the target answers with, even
// a malformed one, is returned with a nil error, for the caller to judge.
//
// Throttling answers (429, or 503 with Retry-After) are retried after the wait they ask
// for, within the client's RetryPolicy; the exchange returned is the last attempt's. When
// the budget runs out, Do returns it with an error wrapping ErrThrottled. When no complete
// response arrives, Do returns the partial exchange and an error wrapping ErrTransport
// (and ErrTimeout or ErrResponseTooLarge where they apply). Transport failures are not
// retried. While the circuit breaker is open (WithCircuitBreaker), Do sends nothing and returns
// a nil exchange and an error wrapping ErrTargetDown.
func (c *Client) Do(ctx context.Context, method, path string, opts ...Option) (*Exchange, error) {
	if c.breaker.open() {
		return nil, c.breaker.refuse(method, path)
	}
	ex, err := c.do(ctx, method, path, opts...)
	if ex != nil { // a request went out (nil: it could not be built)
		c.breaker.record(ctx, err)
	}
	return ex, err
}

// do is Do without the circuit breaker.
func (c *Client) do(ctx context.Context, method, path string, opts ...Option) (*Exchange, error) {
	r := &request{header: http.Header{}, removed: map[string]bool{}, query: url.Values{}}
	r.header.Set(HeaderContractVersion, c.contractVersion)
	r.header.Set("Accept", "application/json")
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	u := *c.base
	p, rawQuery, _ := strings.Cut(path, "?")
	u.Path = c.base.Path + p
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("request path %q: %w", path, err)
	}
	for k, vs := range r.query {
		q[k] = append(q[k], vs...)
	}
	u.RawQuery = encodeQuery(q)
	if r.hasBody && r.contentType != "" {
		r.header.Set("Content-Type", r.contentType)
	}
	header := http.Header{}
	for k, vs := range r.header {
		if !r.removed[k] {
			header[k] = vs
		}
	}
	if r.cred == nil {
		return c.exchange(ctx, method, &u, header, r.body, r.hasBody)
	}
	if header.Get(HeaderAuthorization) != "" {
		return nil, fmt.Errorf("%s %s: both a credential and an Authorization value were given", method, path)
	}
	return c.exchangeAs(ctx, r.cred, method, &u, header, r.body, r.hasBody)
}

// exchangeAs sends the request with cred's Authorization value; a 401 renews the value and
// sends the request once more (see WithCredential).
func (c *Client) exchangeAs(ctx context.Context, cred Credential, method string, u *url.URL, header http.Header, body []byte, hasBody bool) (*Exchange, error) {
	value, err := c.credentialValue(ctx, cred, method, u.Path)
	if err != nil {
		return nil, err
	}
	header.Set(HeaderAuthorization, value)
	ex, err := c.exchange(ctx, method, u, header, body, hasBody)
	if err != nil || ex.Status != http.StatusUnauthorized {
		return ex, err
	}
	renewed, renewErr := cred.Renew(ctx, value)
	switch {
	case errors.Is(renewErr, ErrNotRenewable):
		return ex, c.refusedCredential(cred, ex, renewErr)
	case renewErr != nil:
		return ex, fmt.Errorf("%w: %s %s answered 401 to the credential of %s, which could not be renewed just then: %w",
			ErrCredentialUnavailable, method, u.Path, cred.Name(), c.redactor.Error(renewErr))
	}
	c.redactor.Add(AuthorizationSecrets(renewed)...)
	c.stats.renewals.Add(1)
	header = header.Clone()
	header.Set(HeaderAuthorization, renewed)
	again, err := c.exchange(ctx, method, u, header, body, hasBody)
	if again != nil {
		again.Renewed = true
	}
	if err != nil || again.Status != http.StatusUnauthorized {
		return again, err
	}
	return again, c.refusedCredential(cred, again, nil)
}

// exchange sends one request, retrying throttling answers within the retry policy.
func (c *Client) exchange(ctx context.Context, method string, u *url.URL, header http.Header, reqBody []byte, hasBody bool) (*Exchange, error) {
	var (
		waited    time.Duration
		retriedOn []int
	)
	for attempt := 0; ; attempt++ {
		var body io.Reader
		if hasBody {
			body = bytes.NewReader(reqBody) // re-read from the start on every attempt
		}
		req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
		if err != nil {
			return nil, fmt.Errorf("build %s %s: %w", method, u.Path, err)
		}
		req.Header = header.Clone()
		ex := &Exchange{
			Method:        method,
			URL:           u.String(),
			RequestHeader: req.Header.Clone(),
			RequestBody:   reqBody,
			Retries:       attempt,
			RetryWait:     waited,
			retriedOn:     retriedOn,
			redactor:      c.redactor,
		}
		if err := c.send(ctx, req, ex); err != nil {
			return c.finish(ex, err)
		}
		wait, throttled := c.throttleWait(ex, attempt)
		if !throttled || c.retry.MaxRetries == 0 {
			return c.finish(ex, nil)
		}
		if attempt >= c.retry.MaxRetries || wait > c.retry.MaxWait-waited {
			why := fmt.Sprintf("the %d-retry limit is reached", c.retry.MaxRetries)
			if attempt < c.retry.MaxRetries {
				why = fmt.Sprintf("the next wait of %s would exceed the %s budget", wait, c.retry.MaxWait)
			}
			c.stats.throttled.Add(1)
			return c.finish(ex, fmt.Errorf("%s %s: %w: %s, waited %s; last status %d, %s",
				method, u.Redacted(), ErrThrottled, plural(attempt, "retry", "retries"), waited, ex.Status, why))
		}
		if err := c.wait(ctx, wait); err != nil {
			return c.finish(ex, fmt.Errorf("%s %s: %w: waiting %s to retry after %d: %w", method, u.Redacted(), ErrTransport, wait, ex.Status, err))
		}
		waited += wait
		c.stats.retryWait.Add(int64(wait))
		if !slices.Contains(retriedOn, ex.Status) {
			retriedOn = append(slices.Clip(retriedOn), ex.Status)
		}
	}
}

// send makes one HTTP attempt, after the rate limit allows it, and fills in ex.
func (c *Client) send(ctx context.Context, req *http.Request, ex *Exchange) error {
	if c.limiter != nil {
		if err := c.wait(ctx, c.limiter.reserve(c.now())); err != nil {
			ex.TransportError = "waiting for the client rate limit: " + err.Error()
			return fmt.Errorf("%s %s: %w: waiting for the client rate limit: %w", req.Method, req.URL.Redacted(), ErrTransport, err)
		}
	}
	if ex.Retries == 0 {
		c.stats.requests.Add(1)
	} else {
		c.stats.retries.Add(1)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		ex.Duration = time.Since(start)
		return c.transportError(ctx, ex, req, "", err)
	}
	defer resp.Body.Close()
	// Read one byte past the cap to tell "exactly the cap" from "more", and no further.
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, c.maxResponseBytes+1))
	ex.Duration = time.Since(start)
	ex.Status = resp.StatusCode
	ex.Header = resp.Header.Clone()
	ex.Body = raw
	if int64(len(raw)) > c.maxResponseBytes {
		ex.Body = raw[:c.maxResponseBytes]
		ex.TransportError = fmt.Sprintf("response body larger than %d bytes; truncated", c.maxResponseBytes)
		return fmt.Errorf("%s %s: %w: %w: more than %d bytes, stopped reading", req.Method, req.URL.Redacted(), ErrTransport, ErrResponseTooLarge, c.maxResponseBytes)
	}
	if readErr != nil {
		return c.transportError(ctx, ex, req, "reading response body: ", readErr)
	}
	return nil
}

// transportError records in ex why no complete response was read and returns the error
// for it: the caller's context ending, the per-attempt timeout, or another failure.
func (c *Client) transportError(ctx context.Context, ex *Exchange, req *http.Request, stage string, cause error) error {
	target := req.Method + " " + req.URL.Redacted()
	var netErr interface{ Timeout() bool }
	timedOut := errors.Is(cause, context.DeadlineExceeded) || (errors.As(cause, &netErr) && netErr.Timeout())
	if ctx.Err() == nil && timedOut {
		msg := "no response in time"
		if c.http.Timeout > 0 {
			msg = fmt.Sprintf("no response within %s", c.http.Timeout)
		}
		ex.TransportError = stage + msg
		return fmt.Errorf("%s: %w: %w: %s%s: %w", target, ErrTransport, ErrTimeout, stage, msg, cause)
	}
	ex.TransportError = stage + cause.Error()
	return fmt.Errorf("%s: %w: %s%w", target, ErrTransport, stage, cause)
}

// wait sleeps d (nothing if d <= 0) with the client's sleeper.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	return c.sleep(ctx, d)
}

// finish notifies the observers of the final exchange of a Do call and returns it.
func (c *Client) finish(ex *Exchange, err error) (*Exchange, error) {
	c.notify(ex)
	return ex, err
}

func (c *Client) notify(ex *Exchange) {
	for _, f := range c.observers {
		f(ex)
	}
}

// encodeQuery encodes in a stable order, keeping commas readable (include=a,b).
func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(strings.ReplaceAll(url.QueryEscape(v), "%2C", ","))
		}
	}
	return b.String()
}
