// record.go holds the Recorder, a middleware that logs the suite's HTTP traffic, and
// Replay, which sends a recorded log again with a bare client, mapping server-invented ids.

package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Recorded is one request a Recorder saw, in arrival order, with the answer it got.
type Recorded struct {
	// Method and URI (the request-target: path and raw query, as sent) of the request.
	Method, URI string
	// Header is the request's header as received (Host is in Host, not here).
	Header http.Header
	// Body is the request body as received.
	Body []byte
	// Status is the answer's status code.
	Status int
	// ResponseHeader is the answer's header.
	ResponseHeader http.Header
	// ResponseBody is the answer's body.
	ResponseBody []byte
}

// Recorder is middleware that logs every request passing through it to next, with its
// response, in the order the requests arrived. It is safe for concurrent use.
type Recorder struct {
	next http.Handler
	mu   sync.Mutex
	seq  int
	log  map[int]Recorded
}

// NewRecorder returns a Recorder in front of next.
func NewRecorder(next http.Handler) *Recorder {
	return &Recorder{next: next, log: map[int]Recorded{}}
}

// ServeHTTP reads the whole request body, hands the request to the next handler and logs
// request and response.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	n := rec.seq
	rec.seq++
	rec.mu.Unlock()

	var body []byte
	if r.Body != nil {
		// A body that cannot be read whole is passed on as far as it was read, and the
		// handler sees the same truncated body the recording holds.
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	cw := &captureWriter{ResponseWriter: w}
	rec.next.ServeHTTP(cw, r)
	if cw.status == 0 {
		cw.status = http.StatusOK
		cw.header = w.Header().Clone()
	}
	entry := Recorded{
		Method:         r.Method,
		URI:            r.RequestURI,
		Header:         r.Header.Clone(),
		Body:           body,
		Status:         cw.status,
		ResponseHeader: cw.header,
		ResponseBody:   cw.body.Bytes(),
	}
	rec.mu.Lock()
	rec.log[n] = entry
	rec.mu.Unlock()
}

// Log returns the requests answered so far, in arrival order. A request still being
// served is left out.
func (rec *Recorder) Log() []Recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	keys := make([]int, 0, len(rec.log))
	for k := range rec.log {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Recorded, len(keys))
	for i, k := range keys {
		out[i] = rec.log[k]
	}
	return out
}

// captureWriter keeps a copy of the status, header and body written through it.
type captureWriter struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

// WriteHeader keeps the first status and the header as sent, and passes them on.
func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
		c.header = c.ResponseWriter.Header().Clone()
	}
	c.ResponseWriter.WriteHeader(status)
}

// Write keeps a copy of the body bytes and passes them on.
func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	c.body.Write(p)
	return c.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the underlying writer.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Mismatch is a replayed request whose status differs from the recorded one (Replayed 0:
// no response, see Err).
type Mismatch struct {
	// Index is the request's position in the log.
	Index int
	// Method and URI are the recorded request's.
	Method, URI string
	// Recorded and Replayed are the two statuses.
	Recorded, Replayed int
	// Err says why the replay got no response, if so.
	Err string
}

// String renders the mismatch on one line.
func (m Mismatch) String() string {
	s := fmt.Sprintf("#%d %s %s: recorded %d, replayed %d", m.Index, m.Method, m.URI, m.Recorded, m.Replayed)
	if m.Err != "" {
		s += " (" + m.Err + ")"
	}
	return s
}

// ReplayResult is the outcome of a Replay.
type ReplayResult struct {
	// Duration is the wall time of the whole replay.
	Duration time.Duration
	// Requests is how many requests were sent.
	Requests int
	// Statuses are the replayed statuses, in order (0: no response).
	Statuses []int
	// Mismatches lists the requests whose status differs from the recording.
	Mismatches []Mismatch
}

// headersNotReplayed are set by the transport (or must not be copied across servers).
var headersNotReplayed = map[string]bool{
	"Host": true, "Content-Length": true, "Connection": true, "Transfer-Encoding": true,
	"Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true, "Upgrade": true,
}

// Replay sends the recorded requests to baseURL one after the other with client, with the
// same methods, URIs, headers and bodies, and times the whole sequence.
//
// Identifiers the server invents (handle ids, session branches and correlation ids, ETags)
// differ between the recording and the replay, so a later request that quotes one (GET
// /handles/{id}, If-Match) would miss. Replay therefore pairs, in order, the GUIDs and
// 32-digit hex tokens of each recorded answer with those of the replayed answer, and rewrites
// them in the requests that follow (keeping upper case where the recording used it). The
// rewriting is part of the timed work; it is small next to a round trip.
//
// A request that gets no response is reported as a Mismatch, not as an error; err is non-nil
// only when a request cannot be built or ctx ends.
func Replay(ctx context.Context, client *http.Client, baseURL string, log []Recorded) (ReplayResult, error) {
	base := strings.TrimRight(baseURL, "/")
	ids := map[string]string{} // lower-case recorded token -> lower-case replayed token
	res := ReplayResult{Statuses: make([]int, 0, len(log))}
	start := time.Now()
	for i, rec := range log {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("replay stopped at request %d: %w", i, err)
		}
		uri := rewrite(rec.URI, ids)
		req, err := http.NewRequestWithContext(ctx, rec.Method, base+uri, bytes.NewReader(rewriteBytes(rec.Body, ids)))
		if err != nil {
			return res, fmt.Errorf("replay request %d (%s %s): %w", i, rec.Method, rec.URI, err)
		}
		for k, vs := range rec.Header {
			if headersNotReplayed[k] {
				continue
			}
			out := make([]string, len(vs))
			for j, v := range vs {
				out[j] = rewrite(v, ids)
			}
			req.Header[k] = out
		}
		res.Requests++
		status, header, body, err := roundTrip(client, req)
		res.Statuses = append(res.Statuses, status)
		if err != nil || status != rec.Status {
			m := Mismatch{Index: i, Method: rec.Method, URI: rec.URI, Recorded: rec.Status, Replayed: status}
			if err != nil {
				m.Err = err.Error()
			}
			res.Mismatches = append(res.Mismatches, m)
		}
		if err == nil {
			pairTokens(ids, answerTokens(rec.ResponseHeader, rec.ResponseBody), answerTokens(header, body))
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// roundTrip sends req and reads the whole answer.
func roundTrip(client *http.Client, req *http.Request) (int, http.Header, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, resp.Header, body, fmt.Errorf("read body: %w", err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// tokenPattern matches the identifiers a server invents: GUIDs and 32-digit hex strings
// (the emulator's ETags).
var tokenPattern = regexp.MustCompile(`(?i)\b(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})\b`)

// answerHeaders are the response headers that carry invented identifiers, in a fixed order.
var answerHeaders = []string{"Location", "Content-Location", "ETag"}

// answerTokens lists the identifier tokens of an answer, in order: headers, then body.
func answerTokens(h http.Header, body []byte) []string {
	var out []string
	for _, k := range answerHeaders {
		for _, v := range h.Values(k) {
			out = append(out, tokenPattern.FindAllString(v, -1)...)
		}
	}
	for _, t := range tokenPattern.FindAll(body, -1) {
		out = append(out, string(t))
	}
	return out
}

// pairTokens records recorded[i] -> replayed[i] for differing tokens when both answers carry
// the same number of tokens (otherwise their order cannot be trusted to correspond).
func pairTokens(ids map[string]string, recorded, replayed []string) {
	if len(recorded) != len(replayed) {
		return
	}
	for i, r := range recorded {
		from, to := strings.ToLower(r), strings.ToLower(replayed[i])
		if from != to {
			ids[from] = to
		}
	}
}

// rewrite replaces every known recorded token in s by its replayed counterpart.
func rewrite(s string, ids map[string]string) string {
	if len(ids) == 0 {
		return s
	}
	return tokenPattern.ReplaceAllStringFunc(s, func(t string) string {
		to, ok := ids[strings.ToLower(t)]
		if !ok {
			return t
		}
		if t != strings.ToLower(t) && t == strings.ToUpper(t) {
			return strings.ToUpper(to)
		}
		return to
	})
}

// rewriteBytes is rewrite for a body.
func rewriteBytes(b []byte, ids map[string]string) []byte {
	if len(ids) == 0 || len(b) == 0 {
		return b
	}
	return []byte(rewrite(string(b), ids))
}

// ErrNoRecording is returned when there is nothing to replay.
var ErrNoRecording = errors.New("no requests were recorded")
