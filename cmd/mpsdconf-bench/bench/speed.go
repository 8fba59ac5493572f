// speed.go holds figures 3 and 4: the speed-up of `mpsdconf run --procs N` and the
// emulator's throughput on a mixed handles workload against a bare net/http handler.

package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mpsdconf/mpsdconf/emulator"
)

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
// BareHandler, both served in this process over loopback HTTP by the same server code
// (emulator.NewServer), so that the two rates differ only in the handler.
func (m *Measurer) Throughput(ctx context.Context) error {
	key, err := emulator.NewKey()
	if err != nil {
		return err
	}
	rates := map[string]float64{}
	for _, target := range []struct {
		name string
		wrap []func(http.Handler) http.Handler
	}{{"bare net/http handler", []func(http.Handler) http.Handler{instead(BareHandler())}}, {"emulator", nil}} {
		srv, err := m.serveEmulator(key, target.wrap...)
		if err != nil {
			return err
		}
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

// instead is a middleware that answers every request with h, bypassing the handler behind it.
func instead(h http.Handler) func(http.Handler) http.Handler {
	return func(http.Handler) http.Handler { return h }
}
