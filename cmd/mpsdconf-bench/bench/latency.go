// latency.go holds figure 6: how close `mpsdconf run --procs N` comes to the latency floor of
// a slow target, an emulator behind a reverse proxy that holds every request for a fixed time.

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
)

// latencyProcs are the process counts of figure 6.
var latencyProcs = []int{1, 4, 8}

// latencyTarget is the most a --procs N run (N > 1) should take over its floor.
const latencyTarget = 1.25

// LatencyFloor measures figure 6: `mpsdconf run --procs N` for N = 1, 4 and 8 against a fresh
// emulator behind a LatencyProxy adding Latency to every request, LatencyRuns times each. The
// floor of a run is requests × Latency / N: the time N processes would take if each were
// always waiting for an answer and did nothing else. It prints each run and, per N, the
// median of wall time over floor.
func (m *Measurer) LatencyFloor(ctx context.Context) error {
	ratios := map[int][]float64{}
	for i := range m.s.LatencyRuns {
		for _, n := range latencyProcs {
			wall, requests, err := m.latencyRun(ctx, n)
			if err != nil {
				return fmt.Errorf("--procs %d: %w", n, err)
			}
			floor := time.Duration(requests) * m.s.Latency / time.Duration(n)
			ratio := wall.Seconds() / floor.Seconds()
			ratios[n] = append(ratios[n], ratio)
			fmt.Fprintf(m.s.Out, "round %d: --procs %d: %d requests, wall %.2fs, floor %.2fs, ratio %.2f\n",
				i+1, n, requests, wall.Seconds(), floor.Seconds(), ratio)
		}
	}
	for _, n := range latencyProcs {
		f := Figure{Name: fmt.Sprintf("--procs %d wall / (requests x %s / %d)", n, m.s.Latency, n), Value: Median(ratios[n]),
			Unit: "x", Decimals: 2, Note: fmt.Sprintf("median of %d; %d cores", m.s.LatencyRuns, DescribeMachine().Cores)}
		if n > 1 {
			f.Target = Target{AtMost, latencyTarget}
		}
		m.add(f)
	}
	return nil
}

// latencyRun runs the suite (seed 1) in n processes against a fresh emulator behind a
// LatencyProxy and returns the process's wall time and the requests the run sent.
func (m *Measurer) latencyRun(ctx context.Context, n int) (time.Duration, int64, error) {
	key, err := emulator.NewKey()
	if err != nil {
		return 0, 0, err
	}
	srv, err := m.serveEmulator(key)
	if err != nil {
		return 0, 0, err
	}
	defer srv.Close()
	proxy, err := NewLatencyProxy(srv.URL, m.s.Latency)
	if err != nil {
		return 0, 0, err
	}
	defer proxy.Close()
	dir := m.reportDir()
	res, err := m.runPassed(ctx, nil, m.s.Binary,
		m.runArgs(dir, "--target", proxy.URL, "--emulator-token-key", key, "--procs", strconv.Itoa(n))...)
	if err != nil {
		return 0, 0, err
	}
	requests, err := RunRequests(dir)
	return res.Wall, requests, err
}

// LatencyProxy is a reverse proxy on a free loopback port that holds every request for a
// fixed latency before it forwards it: a slow target, as a real MPSD across the internet is.
type LatencyProxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT.
	URL string
	srv *http.Server
}

// NewLatencyProxy serves a LatencyProxy in front of target that adds latency to every
// request. The caller closes it.
func NewLatencyProxy(target string, latency time.Duration) (*LatencyProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("latency proxy: bad target %q", target)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64 // one connection per concurrent caller, kept open
	rp.Transport = tr
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("latency proxy: %w", err)
	}
	srv := &http.Server{ReadHeaderTimeout: time.Minute, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(latency):
			rp.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	return &LatencyProxy{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// Close stops the proxy.
func (p *LatencyProxy) Close() error { return p.srv.Close() }

// RunRequests returns run.requests.requests from the report.json a `mpsdconf run` wrote into
// reportDir: the HTTP requests the run sent, retries included.
func RunRequests(reportDir string) (int64, error) {
	raw, err := os.ReadFile(filepath.Join(reportDir, "report.json"))
	if err != nil {
		return 0, fmt.Errorf("read run report: %w", err)
	}
	var rep struct {
		Run struct {
			Requests struct {
				Requests int64 `json:"requests"`
			} `json:"requests"`
		} `json:"run"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return 0, fmt.Errorf("decode run report: %w", err)
	}
	if rep.Run.Requests.Requests <= 0 {
		return 0, errors.New("run report counts no requests")
	}
	return rep.Run.Requests.Requests, nil
}
