package mpsdclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
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

	redactor *Redactor
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
	fmt.Fprintf(&b, "--- request\n%s %s\n", e.Method, e.redactor.String(e.URL))
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

func writeBody(b *strings.Builder, body []byte, r *Redactor) {
	if len(body) == 0 {
		b.WriteString("(no body)\n")
		return
	}
	shown := body
	if len(shown) > maxRenderedBody {
		shown = shown[:maxRenderedBody]
	}
	var pretty bytes.Buffer
	if json.Valid(shown) && json.Indent(&pretty, shown, "", "  ") == nil {
		shown = pretty.Bytes()
	}
	b.WriteString(r.String(string(shown)))
	if len(body) > maxRenderedBody {
		fmt.Fprintf(b, "\n... (%d more bytes)", len(body)-maxRenderedBody)
	}
	b.WriteByte('\n')
}

// Redactor removes secrets from rendered text. It is immutable; With returns a new one.
type Redactor struct {
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

// NewRedactor returns a redactor that knows no secret values yet.
func NewRedactor() *Redactor { return &Redactor{} }

// With returns a redactor that also removes the given values (empty or very short ones are ignored).
func (r *Redactor) With(secrets ...string) *Redactor {
	out := &Redactor{secrets: append([]string(nil), r.secrets...)}
	for _, s := range secrets {
		if len(strings.TrimSpace(s)) >= 8 {
			out.secrets = append(out.secrets, s)
		}
	}
	// Longest first, so a secret that contains another is removed whole.
	sort.Slice(out.secrets, func(i, j int) bool { return len(out.secrets[i]) > len(out.secrets[j]) })
	return out
}

// String returns s with every known secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, Placeholder)
	}
	return s
}

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
