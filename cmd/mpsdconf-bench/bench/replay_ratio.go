// replay_ratio.go holds figure 2, the whole-run ratio: the suite's spec time against an
// emulator over the time a bare client takes to replay the same requests, and the replayer
// process's entry point (ReplayFile).

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
)

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
	key, err := emulator.NewKey()
	if err != nil {
		return ProcResult{}, 0, "", err
	}
	var wraps []func(http.Handler) http.Handler
	if wrap != nil {
		wraps = append(wraps, wrap)
	}
	srv, err := m.serveEmulator(key, wraps...)
	if err != nil {
		return ProcResult{}, 0, "", err
	}
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
	srv, err := m.serveEmulator(key)
	if err != nil {
		return ReplayResult{}, err
	}
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
	srv, err := m.serveEmulator(key)
	if err != nil {
		return ReplayResult{}, err
	}
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
	if err := json.NewEncoder(out).Encode(res); err != nil {
		return fmt.Errorf("write replay result: %w", err)
	}
	return nil
}
