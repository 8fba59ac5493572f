// Package mpsdclient is the harness's one HTTP helper. Every request the suites send goes
// through Client.Do, configured with functional options, and comes back as an Exchange: the
// request and response as sent and received, which renders itself (with secrets redacted)
// for failure messages and reports.
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
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the underlying *http.Client (transport, TLS, timeouts).
func WithHTTPClient(h *http.Client) ClientOption { return func(c *Client) { c.http = h } }

// WithDefaultContractVersion sets the X-Xbl-Contract-Version sent unless a request overrides it.
func WithDefaultContractVersion(v int) ClientOption {
	return func(c *Client) { c.contractVersion = strconv.Itoa(v) }
}

// WithSecrets registers values that must never appear in a rendered exchange.
func WithSecrets(secrets ...string) ClientOption {
	return func(c *Client) { c.redactor = c.redactor.With(secrets...) }
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
		http:             &http.Client{Timeout: 30 * time.Second},
		contractVersion:  "107",
		maxResponseBytes: DefaultMaxResponseBytes,
		redactor:         NewRedactor(),
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

// ErrTransport marks failures to get any HTTP response from the target.
var ErrTransport = errors.New("no HTTP response from target")

// Do sends one request and returns the exchange. A transport failure returns the partial
// exchange (request only) and an error wrapping ErrTransport.
func (c *Client) Do(ctx context.Context, method, path string, opts ...Option) (*Exchange, error) {
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

	var body io.Reader
	if r.hasBody {
		body = bytes.NewReader(r.body)
		if r.contentType != "" {
			r.header.Set("Content-Type", r.contentType)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	for k, vs := range r.header {
		if !r.removed[k] {
			req.Header[k] = vs
		}
	}
	ex := &Exchange{
		Method:        method,
		URL:           u.String(),
		RequestHeader: req.Header.Clone(),
		RequestBody:   r.body,
		redactor:      c.redactor,
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		ex.Duration = time.Since(start)
		ex.TransportError = err.Error()
		c.notify(ex)
		return ex, fmt.Errorf("%s %s: %w: %v", method, u.Redacted(), ErrTransport, err)
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, c.maxResponseBytes+1))
	ex.Duration = time.Since(start)
	ex.Status = resp.StatusCode
	ex.Header = resp.Header.Clone()
	ex.Body = raw
	if int64(len(raw)) > c.maxResponseBytes {
		ex.Body = raw[:c.maxResponseBytes]
		ex.TransportError = fmt.Sprintf("response body larger than %d bytes; truncated", c.maxResponseBytes)
		c.notify(ex)
		return ex, fmt.Errorf("%s %s: %w: %s", method, u.Redacted(), ErrTransport, ex.TransportError)
	}
	if readErr != nil {
		ex.TransportError = "reading response body: " + readErr.Error()
		c.notify(ex)
		return ex, fmt.Errorf("%s %s: %w: %v", method, u.Redacted(), ErrTransport, readErr)
	}
	c.notify(ex)
	return ex, nil
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
