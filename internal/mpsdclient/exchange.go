package mpsdclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Exchange is one request and its response, as sent and received.
type Exchange struct {
	Method        string
	URL           string
	RequestHeader http.Header
	RequestBody   []byte

	// Status is 0 when no response arrived (see TransportError).
	Status   int
	Header   http.Header
	Body     []byte
	Duration time.Duration
	// TransportError says why no complete response was read, if so.
	TransportError string

	// Retries counts the attempts before this one that the target throttled (429, or
	// 503 with Retry-After); the response above is the last attempt's.
	Retries int
	// RetryWait is the total time waited before those retries.
	RetryWait time.Duration
	// Renewed is true when this is the request sent again with a renewed credential after
	// the target answered 401 to the first value (WithCredential).
	Renewed bool

	retriedOn []int // distinct statuses that caused a retry, in order
	redactor  *Redactor
}

// ContentType returns the response's media type without parameters, lower-cased.
func (e *Exchange) ContentType() string {
	ct := e.Header.Get("Content-Type")
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// DecodeJSON decodes the response body into v.
func (e *Exchange) DecodeJSON(v any) error {
	dec := json.NewDecoder(bytes.NewReader(e.Body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("response body of %s %s is not the expected JSON: %w", e.Method, e.path(), err)
	}
	return nil
}

// Object decodes the response body as a JSON object.
func (e *Exchange) Object() (map[string]any, error) {
	var m map[string]any
	if err := e.DecodeJSON(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("response body of %s %s is null, not a JSON object", e.Method, e.path())
	}
	return m, nil
}

// Redacted returns s with the secrets of the exchange's client redacted.
func (e *Exchange) Redacted(s string) string { return e.redactor.String(s) }

// Summary is a one-line description: method, path and status.
func (e *Exchange) Summary() string {
	status := "no response"
	if e.Status != 0 {
		status = fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("%s %s -> %s", e.Method, e.redactor.String(e.path()), status)
}

func (e *Exchange) path() string {
	if i := strings.Index(e.URL, "://"); i >= 0 {
		rest := e.URL[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
	}
	return e.URL
}

// maxRenderedBody caps how much of a body a transcript shows.
const maxRenderedBody = 4096

// String renders the whole exchange for a failure message: request line, headers and body,
// response status, headers and body. Secrets are redacted.
func (e *Exchange) String() string {
	var b strings.Builder
	b.WriteString("--- request")
	if e.Retries > 0 {
		statuses := make([]string, len(e.retriedOn))
		for i, s := range e.retriedOn {
			statuses[i] = strconv.Itoa(s)
		}
		fmt.Fprintf(&b, " (after %s on %s, waited %s)", plural(e.Retries, "retry", "retries"), strings.Join(statuses, "/"), e.RetryWait)
	}
	if e.Renewed {
		b.WriteString(" (sent again with a renewed credential after a 401)")
	}
	fmt.Fprintf(&b, "\n%s %s\n", e.Method, e.redactor.String(e.URL))
	writeHeaders(&b, e.RequestHeader, e.redactor)
	writeBody(&b, e.RequestBody, e.redactor)
	fmt.Fprintf(&b, "--- response (%s)\n", e.Duration.Round(time.Millisecond))
	if e.Status == 0 {
		fmt.Fprintf(&b, "no response: %s\n", e.redactor.String(e.TransportError))
		return b.String()
	}
	fmt.Fprintf(&b, "%d %s\n", e.Status, http.StatusText(e.Status))
	writeHeaders(&b, e.Header, e.redactor)
	writeBody(&b, e.Body, e.redactor)
	if e.TransportError != "" {
		fmt.Fprintf(&b, "(%s)\n", e.redactor.String(e.TransportError))
	}
	return b.String()
}

func writeHeaders(b *strings.Builder, h http.Header, r *Redactor) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\n", k, r.Header(k, v))
		}
	}
}

// maxRenderedBinary caps how much of a body that is not text a transcript shows, escaped.
const maxRenderedBinary = 1024

// writeBody renders a body: JSON indented, text as is, anything else (invalid UTF-8,
// control characters) escaped; long bodies are cut. Secrets are removed before cutting,
// so none is shown in part.
func writeBody(b *strings.Builder, body []byte, r *Redactor) {
	if len(body) == 0 {
		b.WriteString("(no body)\n")
		return
	}
	text := r.String(string(body))
	if !isPrintableText(text) {
		shown := cutUTF8(text, maxRenderedBinary)
		fmt.Fprintf(b, "(%d bytes, not UTF-8 text; shown escaped)\n%s", len(body), strconv.Quote(shown))
		writeMore(b, len(text)-len(shown))
		return
	}
	if len(text) > maxRenderedBody {
		shown := cutUTF8(text, maxRenderedBody)
		b.WriteString(shown)
		writeMore(b, len(text)-len(shown))
		return
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(text), "", "  ") == nil {
		text = pretty.String()
	}
	b.WriteString(text)
	b.WriteByte('\n')
}

func writeMore(b *strings.Builder, n int) {
	if n > 0 {
		fmt.Fprintf(b, "\n... (%d more bytes)", n)
	}
	b.WriteByte('\n')
}

// isPrintableText reports whether s is valid UTF-8 without control characters other than
// tab, newline and carriage return.
func isPrintableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(c rune) bool {
		return unicode.IsControl(c) && c != '\t' && c != '\n' && c != '\r'
	})
}

// cutUTF8 returns at most n bytes of s, not splitting a UTF-8 sequence when it can help it.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := n; i > n-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i]
		}
	}
	return s[:n]
}

// plural renders n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Redactor removes secrets from rendered text: the values it was given (With, Add) and
// anything shaped like an Xbox Live Authorization value ("XBL3.0 x=<userhash>;<token>"), which
// no report may show whoever issued it. Credentials renewed while a run goes on are added as
// they appear, so a Redactor is safe for concurrent use, and every exchange rendered later
// sees them.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// Placeholder replaces every secret.
const Placeholder = "<redacted>"

// sensitiveHeaders are always redacted, whatever their value.
var sensitiveHeaders = map[string]bool{
	"Authorization":       true,
	"Signature":           true,
	"Proxy-Authorization": true,
	"Cookie":              true,
	"Set-Cookie":          true,
}

// xblValue matches an Xbox Live Authorization value in any text: the scheme, the user hash
// and the token up to the next space, quote or separator.
var xblValue = regexp.MustCompile(`(?i)XBL3\.0 x=[^;\s"']*;[^\s"',]+`)

// minSecretLength is the shortest value a redactor removes: shorter ones would match
// ordinary words.
const minSecretLength = 8

// NewRedactor returns a redactor that knows no secret values yet.
func NewRedactor() *Redactor { return &Redactor{} }

// With returns a new redactor that removes r's secrets and the given values (empty or very
// short ones are ignored).
func (r *Redactor) With(secrets ...string) *Redactor {
	out := &Redactor{}
	r.mu.RLock()
	out.secrets = append(out.secrets, r.secrets...)
	r.mu.RUnlock()
	out.Add(secrets...)
	return out
}

// Add makes r remove the given values too (empty or very short ones are ignored).
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	added := false
	for _, s := range secrets {
		if len(strings.TrimSpace(s)) >= minSecretLength && !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
			added = true
		}
	}
	if added {
		// Longest first, so a secret that contains another is removed whole.
		sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	}
}

// String returns s with every known secret, and every Xbox Live Authorization value, replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, Placeholder)
	}
	r.mu.RUnlock()
	if strings.Contains(s, "3.0 x=") || strings.Contains(s, "3.0 X=") { // cheap test before the expression
		s = xblValue.ReplaceAllString(s, "XBL3.0 "+Placeholder)
	}
	return s
}

// Error returns err with its message redacted; the result still unwraps to err, so errors.Is
// and errors.As see through it. nil stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.String(err.Error()), err: err}
}

// redactedError shows an error's message with the secrets redacted, and unwraps to it.
type redactedError struct {
	msg string
	err error
}

// Error returns the redacted message.
func (e *redactedError) Error() string { return e.msg }

// Unwrap returns the original error.
func (e *redactedError) Unwrap() error { return e.err }

// Header returns the value to show for a header: sensitive headers keep only their scheme.
func (r *Redactor) Header(name, value string) string {
	if sensitiveHeaders[http.CanonicalHeaderKey(name)] {
		if scheme, _, ok := strings.Cut(value, " "); ok && len(scheme) < 16 {
			return scheme + " " + Placeholder
		}
		return Placeholder
	}
	return r.String(value)
}
