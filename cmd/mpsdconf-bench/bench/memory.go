// memory.go holds figure 5, the peak memory of a whole `mpsdconf run` and of `mpsdconf
// emulate` holding many handles, with the helpers that start emulate and fill it with
// invites.

package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
)

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
	key, err := emulator.NewKey()
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
