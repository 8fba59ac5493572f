// measure.go holds the Measurer, which takes the whole-run measurements of `make bench` and
// collects their figures, its Settings, and the helpers its measurements share (timed
// mpsdconf runs, emulators served with emulator.NewServer). The measurements themselves are
// in replay_ratio.go (figure 2), speed.go (figures 3 and 4), memory.go (figure 5) and
// latency.go (figure 6).

package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
)

// Settings configure a Measurer.
type Settings struct {
	// Binary is the mpsdconf binary measured.
	Binary string
	// TempDir receives report directories; the caller removes it.
	TempDir string
	// Runs is how many times each timed run is repeated (medians are reported).
	Runs int
	// LoadWorkers is how many closed-loop workers each load run has.
	LoadWorkers int
	// LoadDuration is how long each load run lasts.
	LoadDuration time.Duration
	// Handles is how many handles the emulator holds for the memory figure.
	Handles int
	// HandleWorkers is how many concurrent clients create those handles.
	HandleWorkers int
	// Latency is what the proxy of the latency-floor figure adds to every request.
	Latency time.Duration
	// LatencyRuns is how many times each run of the latency-floor figure is repeated.
	LatencyRuns int
	// Out receives the per-run details and each figure's line.
	Out io.Writer
	// Replayer is the command (program and arguments) that replays a recorded log from its own
	// process (see ReplayFile), so that the bare client, like the harness, talks to the
	// emulator from another process; empty replays in this process.
	Replayer []string
}

// Measurer takes the whole-run measurements and collects their figures.
type Measurer struct {
	s       Settings
	env     fixtures.Environment
	figures []Figure
	n       int // report directories handed out
}

// NewMeasurer returns a Measurer for s.
func NewMeasurer(s Settings) *Measurer {
	return &Measurer{s: s, env: fixtures.DefaultEnvironment()}
}

// Figures returns the figures measured so far, in order.
func (m *Measurer) Figures() []Figure { return append([]Figure(nil), m.figures...) }

// add records a figure and prints its line.
func (m *Measurer) add(f Figure) {
	m.figures = append(m.figures, f)
	line := f.Line()
	if f.Note != "" {
		line += "  [" + f.Note + "]"
	}
	fmt.Fprintln(m.s.Out, line)
}

// reportDir returns a fresh report directory.
func (m *Measurer) reportDir() string {
	m.n++
	return filepath.Join(m.s.TempDir, fmt.Sprintf("reports-%d", m.n))
}

// runArgs are the arguments of one timed `mpsdconf run` (seed 1, so every run has the same
// spec order).
func (m *Measurer) runArgs(dir string, extra ...string) []string {
	return append([]string{"run", "--report-dir", dir, "--no-color", "--seed", "1"}, extra...)
}

// runPassed runs mpsdconf with args and fails unless it exits 0 (every spec passed).
func (m *Measurer) runPassed(ctx context.Context, env []string, name string, args ...string) (ProcResult, error) {
	res, err := RunProcess(ctx, env, name, args...)
	if err != nil {
		return res, err
	}
	if res.ExitCode != 0 {
		return res, fmt.Errorf("%s %s exited %d:\n%s", filepath.Base(name), strings.Join(args, " "), res.ExitCode, Tail(res.Output, 15))
	}
	return res, nil
}

// serveEmulator serves a fresh emulator with the default world, signing tokens with key, on
// a free loopback port (emulator.NewServer), behind the middlewares wrap if any. The caller
// closes it.
func (m *Measurer) serveEmulator(key string, wrap ...func(http.Handler) http.Handler) (*emulator.Server, error) {
	srv, err := emulator.NewServer(emulator.ConfigFromEnvironment(m.env, []byte(key)), "", wrap...)
	if err != nil {
		return nil, fmt.Errorf("serve emulator: %w", err)
	}
	return srv, nil
}
