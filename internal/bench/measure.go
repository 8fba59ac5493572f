package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// LoadWorkers and LoadDuration shape each load run.
	LoadWorkers  int
	LoadDuration time.Duration
	// Handles is how many handles the emulator holds for the memory figure, created by
	// HandleWorkers concurrent clients.
	Handles       int
	HandleWorkers int
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

// newKey returns a random emulator token key.
func newKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// newEmulator returns an emulator with the default world signing with key.
func (m *Measurer) newEmulator(key string) (*emulator.Emulator, error) {
	emu, err := emulator.New(emulator.ConfigFromEnvironment(m.env, []byte(key)))
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	return emu, nil
}

// ReplayRatio measures figure 2. Each repetition serves a fresh in-process emulator behind a
// Recorder over loopback HTTP and runs `mpsdconf run --target URL` against it (the token key
// in MPSD_EMULATOR_TOKEN_KEY) to learn the run's requests; then times the same run (same
// seed, so the same requests in the same order) against a fresh emulator served the same way
// without the Recorder, whose copying would otherwise count as harness time; then replays the
// recorded requests with a bare http.Client against another fresh emulator, from a separate
// process (Settings.Replayer) as the harness is one. The figure is the median over the
// repetitions of the timed run's run.durationSeconds (report.json) / replay time; beside it
// are the ratio to a replay from this (the emulator's) process and the whole-process wall
// time over the replay time.
func (m *Measurer) ReplayRatio(ctx context.Context) error {
	var specRatios, wallRatios, localRatios, specs, walls, replays []float64
	requests := 0
	for i := range m.s.Runs {
		var rec *Recorder
		res, _, key, err := m.runAgainst(ctx, func(emu http.Handler) http.Handler { rec = NewRecorder(emu); return rec })
		if err != nil {
			return err
		}
		var spec float64
		log := rec.Log()
		if len(log) == 0 {
			return ErrNoRecording
		}
		if res, spec, _, err = m.runAgainst(ctx, nil); err != nil {
			return err
		}
		replay, err := m.replay(ctx, key, log)
		if err != nil {
			return err
		}
		local := replay
		if len(m.s.Replayer) > 0 {
			if local, err = m.replayHere(ctx, key, log); err != nil {
				return err
			}
		}
		localRatios = append(localRatios, spec/local.Duration.Seconds())
		rs := replay.Duration.Seconds()
		fmt.Fprintf(m.s.Out, "run %d: %d requests; spec time %.3fs, process wall %.3fs, bare replay %.3fs, %d status mismatches\n",
			i+1, len(log), spec, res.Wall.Seconds(), rs, len(replay.Mismatches))
		for j, mm := range replay.Mismatches {
			if j == 5 {
				fmt.Fprintf(m.s.Out, "  ... and %d more\n", len(replay.Mismatches)-j)
				break
			}
			fmt.Fprintf(m.s.Out, "  mismatch %s\n", mm)
		}
		requests = len(log)
		specs, walls, replays = append(specs, spec), append(walls, res.Wall.Seconds()), append(replays, rs)
		specRatios = append(specRatios, spec/rs)
		wallRatios = append(wallRatios, res.Wall.Seconds()/rs)
	}
	fmt.Fprintf(m.s.Out, "medians of %d: spec time %.3fs, process wall %.3fs, bare replay %.3fs (%d requests)\n",
		m.s.Runs, Median(specs), Median(walls), Median(replays), requests)
	m.add(Figure{Name: "whole-run ratio (spec time / bare replay)", Value: Median(specRatios), Unit: "x", Decimals: 2,
		Target: Target{AtMost, 1.5}, Note: "median of per-run ratios; spec time is report.json run.durationSeconds"})
	m.add(Figure{Name: "whole-run ratio vs a replay from the emulator's own process", Value: Median(localRatios), Unit: "x", Decimals: 2,
		Note: "informational: that replay skips the cross-process hop every harness request makes"})
	m.add(Figure{Name: "whole-process ratio (process wall / bare replay)", Value: Median(wallRatios), Unit: "x", Decimals: 2,
		Note: "informational: includes process start, emulator check-up and report writing"})
	return nil
}

// runAgainst runs the suite (seed 1) against a fresh emulator served over loopback HTTP by
// this process, behind wrap if it is not nil, and returns the process result, the run's
// report.json durationSeconds and the emulator's token key.
func (m *Measurer) runAgainst(ctx context.Context, wrap func(http.Handler) http.Handler) (ProcResult, float64, string, error) {
	key, err := newKey()
	if err != nil {
		return ProcResult{}, 0, "", err
	}
	emu, err := m.newEmulator(key)
	if err != nil {
		return ProcResult{}, 0, "", err
	}
	var h http.Handler = emu
	if wrap != nil {
		h = wrap(emu)
	}
	srv := httptest.NewServer(h)
	dir := m.reportDir()
	res, err := m.runPassed(ctx, []string{"MPSD_EMULATOR_TOKEN_KEY=" + key}, m.s.Binary, m.runArgs(dir, "--target", srv.URL)...)
	srv.Close()
	if err != nil {
		return res, 0, key, err
	}
	spec, err := RunDurationSeconds(dir)
	return res, spec, key, err
}

// replay replays log against a fresh emulator signing with key, over loopback HTTP: from the
// Replayer process when one is set (the same topology as the timed run), else from here.
func (m *Measurer) replay(ctx context.Context, key string, log []Recorded) (ReplayResult, error) {
	emu, err := m.newEmulator(key)
	if err != nil {
		return ReplayResult{}, err
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	if len(m.s.Replayer) == 0 {
		return replayFrom(ctx, srv.URL, log)
	}
	logFile := filepath.Join(m.s.TempDir, "replay-log.json")
	raw, err := json.Marshal(log)
	if err != nil {
		return ReplayResult{}, fmt.Errorf("encode recorded log: %w", err)
	}
	if err := os.WriteFile(logFile, raw, 0o600); err != nil {
		return ReplayResult{}, fmt.Errorf("write recorded log: %w", err)
	}
	args := append(append([]string(nil), m.s.Replayer[1:]...), logFile, srv.URL)
	res, err := RunProcess(ctx, nil, m.s.Replayer[0], args...)
	if err != nil {
		return ReplayResult{}, err
	}
	if res.ExitCode != 0 {
		return ReplayResult{}, fmt.Errorf("replayer exited %d:\n%s", res.ExitCode, Tail(res.Output, 15))
	}
	var out ReplayResult
	if err := json.Unmarshal(res.Output, &out); err != nil {
		return ReplayResult{}, fmt.Errorf("replayer output: %w", err)
	}
	return out, nil
}

// replayHere replays log against a fresh emulator from this process (the emulator's own).
func (m *Measurer) replayHere(ctx context.Context, key string, log []Recorded) (ReplayResult, error) {
	emu, err := m.newEmulator(key)
	if err != nil {
		return ReplayResult{}, err
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	return replayFrom(ctx, srv.URL, log)
}

// replayFrom replays log against baseURL with a bare http.Client.
func replayFrom(ctx context.Context, baseURL string, log []Recorded) (ReplayResult, error) {
	client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	return Replay(ctx, client, baseURL, log)
}

// ReplayFile replays the recorded log in logFile against baseURL with a bare http.Client and
// writes the ReplayResult as JSON to out: the body of the Replayer process.
func ReplayFile(ctx context.Context, logFile, baseURL string, out io.Writer) error {
	raw, err := os.ReadFile(logFile)
	if err != nil {
		return fmt.Errorf("recorded log: %w", err)
	}
	var log []Recorded
	if err := json.Unmarshal(raw, &log); err != nil {
		return fmt.Errorf("recorded log %s: %w", logFile, err)
	}
	res, err := replayFrom(ctx, baseURL, log)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(res)
}

// Speedup measures figure 3: the wall time of `mpsdconf run --procs N` (embedded emulator)
// for N = 1, 2, 4, interleaved, Runs times each; it prints the medians and the speed-ups.
func (m *Measurer) Speedup(ctx context.Context) error {
	procs := []int{1, 2, 4}
	walls := map[int][]float64{}
	for i := range m.s.Runs {
		var line []string
		for _, p := range procs {
			res, err := m.runPassed(ctx, nil, m.s.Binary, m.runArgs(m.reportDir(), "--procs", strconv.Itoa(p))...)
			if err != nil {
				return err
			}
			walls[p] = append(walls[p], res.Wall.Seconds())
			line = append(line, fmt.Sprintf("procs %d %.3fs", p, res.Wall.Seconds()))
		}
		fmt.Fprintf(m.s.Out, "round %d: %s\n", i+1, strings.Join(line, ", "))
	}
	t := map[int]float64{}
	for _, p := range procs {
		t[p] = Median(walls[p])
		m.add(Figure{Name: fmt.Sprintf("run wall time, --procs %d", p), Value: t[p], Unit: "s", Decimals: 3,
			Note: fmt.Sprintf("median of %d", m.s.Runs)})
	}
	note := fmt.Sprintf("no target; this machine has %d cores", DescribeMachine().Cores)
	m.add(Figure{Name: "speed-up t1/t2", Value: t[1] / t[2], Unit: "x", Decimals: 2, Note: note})
	m.add(Figure{Name: "speed-up t1/t4", Value: t[1] / t[4], Unit: "x", Decimals: 2, Note: note})
	return nil
}

// Throughput measures figure 4: the MixedHandles workload with LoadWorkers closed-loop
// workers for LoadDuration against the emulator and, with the same generator, against
// BareHandler, both served in this process over loopback HTTP.
func (m *Measurer) Throughput(ctx context.Context) error {
	key, err := newKey()
	if err != nil {
		return err
	}
	emu, err := m.newEmulator(key)
	if err != nil {
		return err
	}
	rates := map[string]float64{}
	for _, target := range []struct {
		name    string
		handler http.Handler
	}{{"bare net/http handler", BareHandler()}, {"emulator", emu}} {
		srv := httptest.NewServer(target.handler)
		client := NewLoadClient(m.s.LoadWorkers)
		w, err := NewMixedHandles(client, srv.URL, m.env, []byte(key), m.s.LoadWorkers)
		if err != nil {
			srv.Close()
			return err
		}
		res, err := Load(ctx, w, m.s.LoadWorkers, m.s.LoadDuration)
		client.CloseIdleConnections()
		srv.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", target.name, err)
		}
		if res.Errors > 0 {
			return fmt.Errorf("%s: %d failed cycles; first: %w", target.name, res.Errors, res.FirstError)
		}
		rates[target.name] = res.Rate()
		fmt.Fprintf(m.s.Out, "%s: %d requests in %.2fs = %.0f requests/s (%d workers)\n",
			target.name, res.Requests, res.Elapsed.Seconds(), res.Rate(), m.s.LoadWorkers)
	}
	m.add(Figure{Name: "emulator throughput / bare handler", Value: rates["emulator"] / rates["bare net/http handler"], Unit: "x", Decimals: 2,
		Target: Target{AtLeast, 0.5}, Note: "mixed: create activity, query, get handle, get handle session, delete"})
	return nil
}

// kibToMB converts KiB to MB (10^6 bytes).
func kibToMB(kib int64) float64 { return float64(kib) * 1024 / 1e6 }

// RunMemory measures figure 5a: the peak RSS of one `mpsdconf run` (--procs 1, so the
// embedded emulator runs inside the measured process), from /usr/bin/time -v when it exists,
// else from the child's rusage.
func (m *Measurer) RunMemory(ctx context.Context) error {
	const gnuTime = "/usr/bin/time"
	args := m.runArgs(m.reportDir())
	var (
		kib    int64
		source string
	)
	if _, err := os.Stat(gnuTime); err == nil {
		res, err := m.runPassed(ctx, nil, gnuTime, append([]string{"-v", m.s.Binary}, args...)...)
		if err != nil {
			return err
		}
		n, ok := TimeMaxRSSKB(res.Output)
		if !ok {
			return errors.New("/usr/bin/time -v printed no maximum resident set size")
		}
		kib, source = n, "/usr/bin/time -v"
	} else {
		res, err := m.runPassed(ctx, nil, m.s.Binary, args...)
		if err != nil {
			return err
		}
		kib, source = res.MaxRSSKB, "rusage ru_maxrss"
	}
	m.add(Figure{Name: "peak RSS, mpsdconf run (embedded emulator)", Value: kibToMB(kib), Unit: "MB", Decimals: 1,
		Target: Target{LessThan, 150}, Note: source})
	return nil
}

// HandlesMemory measures figure 5b: it starts `mpsdconf emulate`, creates Handles invite
// handles over HTTP (one user may send any number of invites; activity handles would need a
// session and a user each), and reads the process's VmHWM from /proc while it runs; the
// rusage peak after it stops is printed too.
func (m *Measurer) HandlesMemory(ctx context.Context) error {
	key, err := newKey()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, m.s.Binary, "emulate", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "MPSD_EMULATOR_TOKEN_KEY="+key)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("emulate: %w", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start emulate: %w", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	base, err := awaitListening(stdout, 10*time.Second)
	if err != nil {
		return fmt.Errorf("emulate: %w: %s", err, Tail(stderr.Bytes(), 5))
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	start := time.Now()
	if err := m.createInvites(ctx, base, key); err != nil {
		return err
	}
	took := time.Since(start)
	mem, memErr := ReadProcMemory(cmd.Process.Pid)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return fmt.Errorf("stop emulate: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		err = <-done
	}
	stopped = true
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return fmt.Errorf("wait for emulate: %w", err)
	}
	peak := MaxRSSKB(cmd.ProcessState)
	fmt.Fprintf(m.s.Out, "created %d invite handles in %.2fs (%.0f/s, %d clients); rusage peak %.1f MB",
		m.s.Handles, took.Seconds(), float64(m.s.Handles)/took.Seconds(), m.s.HandleWorkers, kibToMB(peak))
	source := "rusage ru_maxrss after stop"
	if memErr == nil {
		fmt.Fprintf(m.s.Out, "; /proc VmHWM %.1f MB, VmRSS %.1f MB", kibToMB(mem.HWM), kibToMB(mem.RSS))
		peak, source = mem.HWM, "/proc/PID/status VmHWM"
	}
	fmt.Fprintln(m.s.Out)
	m.add(Figure{Name: fmt.Sprintf("peak RSS, mpsdconf emulate with %d handles", m.s.Handles), Value: kibToMB(peak), Unit: "MB", Decimals: 1,
		Target: Target{LessThan, 300}, Note: source})
	return nil
}

// awaitListening reads the emulator's first output line and returns its base URL.
func awaitListening(r io.Reader, limit time.Duration) (string, error) {
	type result struct {
		url string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if u, ok := ListenURL(line); ok {
			ch <- result{url: u}
			return
		}
		ch <- result{err: fmt.Errorf("unexpected first output line %q (%v)", line, err)}
	}()
	select {
	case res := <-ch:
		return res.url, res.err
	case <-time.After(limit):
		return "", fmt.Errorf("no %q line within %s", "listening on", limit)
	}
}

// ListenURL returns the base URL from an emulator's first output line,
// "listening on http://HOST:PORT".
func ListenURL(line string) (string, bool) {
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(u, "http://") || len(u) == len("http://") {
		return "", false
	}
	return u, true
}

// createInvites posts Handles invite handles as user1, HandleWorkers at a time. Invites go
// to 100 handles per session name and each to its own invitee.
func (m *Measurer) createInvites(ctx context.Context, base, key string) error {
	id := m.env.Identities[fixtures.User1]
	xuid, err := strconv.ParseUint(id.XUID, 10, 64)
	if err != nil {
		return fmt.Errorf("user1 XUID: %w", err)
	}
	token, err := MintUser([]byte(key), m.env, xuid)
	if err != nil {
		return err
	}
	client := NewLoadClient(m.s.HandleWorkers)
	defer client.CloseIdleConnections()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for range m.s.HandleWorkers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(m.s.Handles) || ctx.Err() != nil {
					return
				}
				body, err := fixtures.Body("invite-handle", map[string]any{
					"SCID": m.env.SCID, "TEMPLATE": m.env.Templates.Primary, "SESSION": fmt.Sprintf("mem-%d", i/100),
					"INVITED_XUID": strconv.FormatInt(LoadXUIDBase+i, 10), "TITLE_ID": m.env.TitleID,
				})
				if err != nil {
					fail(fmt.Errorf("render invite body: %w", err))
					return
				}
				if err := postHandle(ctx, client, base, token, m.env.ContractVersion, body); err != nil {
					fail(fmt.Errorf("invite %d: %w", i, err))
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// postHandle sends one POST /handles and requires 201.
func postHandle(ctx context.Context, client *http.Client, base, token string, cv int, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/handles", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("POST /handles: %w", err)
	}
	req.Header.Set("Authorization", token)
	req.Header.Set("X-Xbl-Contract-Version", strconv.Itoa(cv))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("POST /handles: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("POST /handles: read body: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /handles: status %d: %s", resp.StatusCode, bytes.TrimSpace(out))
	}
	return nil
}
