// server.go holds Server, the emulator served over HTTP on a local address, and NewKey, a
// random token key for it.

package emulator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"time"
)

// DefaultListenAddr is where NewServer listens when given no address: a free loopback port.
const DefaultListenAddr = "127.0.0.1:0"

// Server is an Emulator served over HTTP, in the shape of httptest.Server: URL is its base URL
// and Close stops it. Every place that serves the emulator (mpsdconf run and its workers,
// mpsdconf emulate, the self-test, the benchmarks) uses it.
type Server struct {
	// URL is the base URL, http://HOST:PORT, with no trailing slash.
	URL string
	// Emulator is the emulator being served (its Inventory tells what a run left behind).
	Emulator *Emulator

	srv *http.Server
}

// NewServer starts an emulator configured by cfg on addr (DefaultListenAddr when empty).
// Each of wrap, if any is given, is put in front of the emulator, the first outermost: a
// middleware that sees every request and response (cmd/mpsdconf-bench records the traffic
// so).
func NewServer(cfg Config, addr string, wrap ...func(http.Handler) http.Handler) (*Server, error) {
	emu, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	if addr == "" {
		addr = DefaultListenAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start emulator: listen on %s: %w", addr, err)
	}
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		Emulator: emu,
		srv:      &http.Server{Handler: wrapped(emu, wrap), ReadHeaderTimeout: 10 * time.Second},
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// wrapped puts the middlewares wrap in front of h, the first outermost.
func wrapped(h http.Handler, wrap []func(http.Handler) http.Handler) http.Handler {
	for i := len(wrap) - 1; i >= 0; i-- {
		h = wrap[i](h)
	}
	return h
}

// Close stops the server, letting requests in flight finish for up to five seconds.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// NewKey returns a new random key for signing test tokens (Config.TokenKey), as 64 hex
// characters, for an emulator whose tokens only the process that made the key will mint.
func NewKey() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate emulator key: %w", err)
	}
	return hex.EncodeToString(raw), nil
}
