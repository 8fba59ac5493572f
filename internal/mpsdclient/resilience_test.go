package mpsdclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// hijackServer runs handle on the raw connection of every request, counting requests.
func hijackServer(t *testing.T, handle func(conn net.Conn)) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		handle(conn)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// stallServer answers nothing (or only headers and part of the body, if partial) until
// the client goes away or the test ends.
func stallServer(t *testing.T, partial bool) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if partial {
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, `{"a":`)
			_ = http.NewResponseController(w).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	// Cleanups run last-in first-out: unblock the handler, then close the server.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv
}

func TestStalledTargetTimesOut(t *testing.T) {
	h, err := NewHTTPClient(NetworkOptions{RequestTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		partial bool
		want    string
	}{
		{"no answer", false, "no response within 100ms"},
		{"body stalls", true, "reading response body: no response within 100ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := New(stallServer(t, tc.partial).URL, WithHTTPClient(h))
			ex, err := c.Do(t.Context(), http.MethodGet, "/handles/h1")
			if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrTransport) || !IsHarnessError(err) {
				t.Fatalf("want ErrTimeout and ErrTransport, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) || ex.TransportError != tc.want {
				t.Errorf("error %q / exchange %q: want %q", err, ex.TransportError, tc.want)
			}
		})
	}
}

func TestCallerDeadlineIsNotATargetTimeout(t *testing.T) {
	srv := newScriptedServer(t)
	c, _ := New(srv.URL)
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := c.Do(ctx, http.MethodGet, "/handles/h1")
	if !errors.Is(err, ErrTransport) || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Errorf("expired caller context: want ErrTransport wrapping DeadlineExceeded, not ErrTimeout; got %v", err)
	}
}

func TestConnectionDroppedWithoutResponse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		handle func(net.Conn)
		cause  error
	}{
		{"closed", func(conn net.Conn) { _ = conn.Close() }, io.EOF},
		{"reset", func(conn net.Conn) {
			_ = conn.(*net.TCPConn).SetLinger(0) // close sends RST
			_ = conn.Close()
		}, syscall.ECONNRESET},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, attempts := hijackServer(t, tc.handle)
			var observed int
			c, _ := New(srv.URL, WithObserver(func(*Exchange) { observed++ }))
			ex, err := c.Do(t.Context(), http.MethodGet, "/handles/h1")
			if !errors.Is(err, ErrTransport) || !errors.Is(err, tc.cause) || errors.Is(err, ErrTimeout) {
				t.Fatalf("want ErrTransport wrapping %v, got %v", tc.cause, err)
			}
			if ex.Status != 0 || ex.TransportError == "" || observed != 1 {
				t.Errorf("exchange: status %d, transport error %q, observed %d", ex.Status, ex.TransportError, observed)
			}
			if n := attempts.Load(); n != 1 {
				t.Errorf("%d attempts: transport failures must not be retried", n)
			}
		})
	}
}

func TestBodyCutOff(t *testing.T) {
	srv, _ := hijackServer(t, func(conn net.Conn) {
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"+`{"partial":`)
		_ = conn.Close()
	})
	c, _ := New(srv.URL)
	ex, err := c.Do(t.Context(), http.MethodGet, "/handles/h1")
	if !errors.Is(err, ErrTransport) || !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("want ErrTransport wrapping io.ErrUnexpectedEOF, got %v", err)
	}
	if !strings.Contains(err.Error(), "reading response body: unexpected EOF") || ex.TransportError != "reading response body: unexpected EOF" {
		t.Errorf("error %q, exchange %q", err, ex.TransportError)
	}
	if ex.Status != 200 || string(ex.Body) != `{"partial":` {
		t.Errorf("want the status and the part of the body received, got %d %q", ex.Status, ex.Body)
	}
	if !strings.Contains(ex.String(), "(reading response body: unexpected EOF)") {
		t.Errorf("transcript does not say the body was cut off:\n%s", ex)
	}
}

func TestHugeBodyStopsAtTheCap(t *testing.T) {
	const total = 256 << 20
	type result struct {
		written  int
		writeErr error
	}
	done := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		var res result
		for res.written < total && res.writeErr == nil {
			var n int
			n, res.writeErr = w.Write(chunk)
			res.written += n
		}
		done <- res
	}))
	srv.Config.ErrorLog = quietLog
	defer srv.Close()
	c, _ := New(srv.URL, WithMaxResponseBytes(1024))
	ex, err := c.Do(t.Context(), http.MethodGet, "/handles")
	if !errors.Is(err, ErrResponseTooLarge) || !errors.Is(err, ErrTransport) || !IsHarnessError(err) {
		t.Fatalf("want ErrResponseTooLarge and ErrTransport, got %v", err)
	}
	if ex.Status != 200 || len(ex.Body) != 1024 || !strings.Contains(ex.TransportError, "larger than 1024 bytes") {
		t.Errorf("exchange: status %d, body %d bytes, %q", ex.Status, len(ex.Body), ex.TransportError)
	}
	// The client closed the connection after the cap, so the server could not send it all.
	if res := <-done; res.writeErr == nil || res.written >= total {
		t.Errorf("server wrote %d of %d bytes without error: the client read the whole stream", res.written, total)
	}
}

func TestMalformedResponsesAreReturnedForJudging(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body, wantType, wantErr string
	}{
		{"truncated JSON", "application/json", `{"a":`, "application/json", "is not the expected JSON: unexpected EOF"},
		{"HTML", "text/html; charset=utf-8", "<html>oops</html>", "text/html", "is not the expected JSON: invalid character '<'"},
		{"null", "application/json", "null", "application/json", "is null, not a JSON object"},
		{"array", "application/json", "[1]", "application/json", "cannot unmarshal array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c, _ := New(srv.URL)
			ex, err := c.Do(t.Context(), http.MethodGet, "/handles/h1")
			if err != nil || IsHarnessError(err) {
				t.Fatalf("a malformed answer is the target's fault, not a Do error: %v", err)
			}
			if ex.ContentType() != tc.wantType {
				t.Errorf("ContentType = %q, want %q", ex.ContentType(), tc.wantType)
			}
			_, err = ex.Object()
			if err == nil || !strings.Contains(err.Error(), "GET /handles/h1") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Object error %v: want it to name the request and contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestIsHarnessError(t *testing.T) {
	for err, want := range map[error]bool{
		nil:                          false,
		errors.New("status 400"):     false,
		ErrTransport:                 true,
		ErrThrottled:                 true,
		errors.Join(ErrTimeout):      false, // only ever returned together with ErrTransport
		errWrap(ErrResponseTooLarge): false,
	} {
		if got := IsHarnessError(err); got != want {
			t.Errorf("IsHarnessError(%v) = %v, want %v", err, got, want)
		}
	}
}

func errWrap(err error) error { return &wrapped{err} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "wrapped: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

func TestTranscriptRendersAnyBodySafely(t *testing.T) {
	render := func(body []byte) string {
		ex := &Exchange{Method: "GET", URL: "http://t/handles", Status: 200, Header: http.Header{}, Body: body,
			redactor: NewRedactor().With(secret)}
		return ex.String()
	}

	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	out := render(binary)
	if !utf8.ValidString(out) || strings.ContainsRune(out, 0) || strings.ContainsRune(out, '\x1b') {
		t.Errorf("binary body rendered raw:\n%q", out)
	}
	if !strings.Contains(out, "(256 bytes, not UTF-8 text; shown escaped)") || !strings.Contains(out, `\x00\x01`) {
		t.Errorf("binary body not marked and escaped:\n%s", out)
	}

	big := []byte(strings.Repeat("a", 1<<20))
	out = render(big)
	if len(out) > 8<<10 || !strings.Contains(out, "... (1044480 more bytes)") {
		t.Errorf("1 MiB body rendered as %d bytes, want it cut to 4 KiB with a count of the rest", len(out))
	}

	cutRune := []byte("a" + strings.Repeat("é", 3000))
	out = render(cutRune)
	if !utf8.ValidString(out) || strings.Contains(out, "not UTF-8") || !strings.Contains(out, "... (") {
		t.Errorf("cutting a long text body split a character:\n%q", out[len(out)-60:])
	}

	straddle := []byte(strings.Repeat("a", maxRenderedBody-6) + secret + strings.Repeat("b", 100))
	if out = render(straddle); strings.Contains(out, secret[:6]) {
		t.Errorf("a secret cut by the length limit is partly shown:\n%s", out[len(out)-80:])
	}
	if out = render([]byte("\xff\xfe" + secret)); strings.Contains(out, "abc123") {
		t.Errorf("a secret in a binary body is shown:\n%s", out)
	}
}
