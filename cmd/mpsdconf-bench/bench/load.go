// load.go holds the closed-loop HTTP load generator of figure 4 (Load), its client, the
// mixed handles workload and the bare net/http handler it is compared with.

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

// LoadResult is what a closed-loop load run achieved.
type LoadResult struct {
	// Requests is how many requests got an answer the workload accepted.
	Requests int64
	// Errors is how many cycles ended in an error (transport failure or unexpected status).
	Errors int64
	// Elapsed is the measured duration.
	Elapsed time.Duration
	// FirstError is the first error seen, for diagnosis.
	FirstError error
}

// Rate is requests per second.
func (r LoadResult) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Workload is what each load worker does: Setup once, then Cycle until the time is up.
// Both report how many requests they completed.
type Workload interface {
	Setup(ctx context.Context, worker int) error
	Cycle(ctx context.Context, worker int) (requests int, err error)
}

// Load runs workers closed-loop workers of w for d (after every worker's Setup) and counts
// the requests their cycles complete. A cycle that fails is counted in Errors and the worker
// goes on; a failing Setup ends the run with an error.
func Load(ctx context.Context, w Workload, workers int, d time.Duration) (LoadResult, error) {
	if workers < 1 {
		return LoadResult{}, fmt.Errorf("load: %d workers; need at least 1", workers)
	}
	for k := range workers {
		if err := w.Setup(ctx, k); err != nil {
			return LoadResult{}, fmt.Errorf("load: worker %d setup: %w", k, err)
		}
	}
	var (
		requests, errs atomic.Int64
		firstErr       error
		errOnce        sync.Once
		wg             sync.WaitGroup
	)
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	for k := range workers {
		wg.Go(func() {
			for runCtx.Err() == nil {
				n, err := w.Cycle(runCtx, k)
				if err != nil && runCtx.Err() != nil {
					return // cut off by the end of the run: neither counted nor an error
				}
				requests.Add(int64(n))
				if err != nil {
					errs.Add(1)
					errOnce.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	return LoadResult{Requests: requests.Load(), Errors: errs.Load(), Elapsed: time.Since(start), FirstError: firstErr}, nil
}

// NewLoadClient returns an HTTP client that keeps a pooled connection per worker, so a
// closed loop does not churn through loopback ports.
func NewLoadClient(workers int) *http.Client {
	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return &http.Client{Timeout: 30 * time.Second}
	}
	tr = tr.Clone()
	tr.Proxy = nil
	tr.MaxIdleConns = 2 * workers
	tr.MaxIdleConnsPerHost = 2 * workers
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// LoadXUIDBase is the first XUID of the load and memory workloads' users, far from the
// default world's and its parallel workers' XUIDs.
const LoadXUIDBase = 2_900_000_000_000_000

// MintUser returns an Authorization value for a user with the given XUID in env's title,
// signed with key.
func MintUser(key []byte, env fixtures.Environment, xuid uint64) (string, error) {
	tok, err := xbltoken.Mint(key, xbltoken.Claims{XUID: strconv.FormatUint(xuid, 10), TitleID: env.TitleID}, time.Now())
	if err != nil {
		return "", fmt.Errorf("mint token for %d: %w", xuid, err)
	}
	return tok, nil
}

// MixedHandles is the mixed handles workload. Worker k acts as its own user (XUID
// LoadXUIDBase+k), joins session "load-k" in Setup and then, per cycle: sets an activity
// handle for that session, queries activities by its XUID, reads the handle, reads the
// handle's session and deletes the handle (5 requests). Any 2xx answer is accepted, so the
// same workload runs against a bare handler. Create it with NewMixedHandles.
type MixedHandles struct {
	client  *http.Client
	baseURL string
	cv      string
	tokens  []string
	bodies  []mixedBodies
}

// mixedBodies are one worker's request bodies, rendered once.
type mixedBodies struct {
	join, activity, query []byte
	session               string
}

// NewMixedHandles prepares the workload for workers workers against baseURL: it mints each
// worker's token with key and renders its request bodies for the world env.
func NewMixedHandles(client *http.Client, baseURL string, env fixtures.Environment, key []byte, workers int) (*MixedHandles, error) {
	m := &MixedHandles{
		client:  client,
		baseURL: strings.TrimRight(baseURL, "/"),
		cv:      strconv.Itoa(env.ContractVersion),
		tokens:  make([]string, workers),
		bodies:  make([]mixedBodies, workers),
	}
	for k := range workers {
		xuid := uint64(LoadXUIDBase + k)
		tok, err := MintUser(key, env, xuid)
		if err != nil {
			return nil, err
		}
		m.tokens[k] = tok
		name := "load-" + strconv.Itoa(k)
		x := strconv.FormatUint(xuid, 10)
		b := mixedBodies{session: fmt.Sprintf("/serviceconfigs/%s/sessionTemplates/%s/sessions/%s", env.SCID, env.Templates.Primary, name)}
		if b.join, err = fixtures.Body("session-join", map[string]any{"XUID": x, "RUN_ID": "bench"}); err != nil {
			return nil, fmt.Errorf("mixed workload: %w", err)
		}
		if b.activity, err = fixtures.Body("activity-handle", map[string]any{"SCID": env.SCID, "TEMPLATE": env.Templates.Primary, "SESSION": name}); err != nil {
			return nil, fmt.Errorf("mixed workload: %w", err)
		}
		if b.query, err = fixtures.Body("query-activity-xuids", map[string]any{"SCID": env.SCID, "XUIDS": []string{x}}); err != nil {
			return nil, fmt.Errorf("mixed workload: %w", err)
		}
		m.bodies[k] = b
	}
	return m, nil
}

// Setup joins the worker's session.
func (m *MixedHandles) Setup(ctx context.Context, worker int) error {
	if worker < 0 || worker >= len(m.tokens) {
		return fmt.Errorf("mixed workload: worker %d out of range 0..%d", worker, len(m.tokens)-1)
	}
	b := m.bodies[worker]
	_, err := m.send(ctx, worker, http.MethodPut, b.session, b.join)
	return err
}

// Cycle runs the five requests of one cycle.
func (m *MixedHandles) Cycle(ctx context.Context, worker int) (int, error) {
	b := m.bodies[worker]
	body, err := m.send(ctx, worker, http.MethodPost, "/handles", b.activity)
	if err != nil {
		return 0, err
	}
	var h struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &h); err != nil || h.ID == "" {
		return 1, fmt.Errorf("POST /handles: no handle id in the answer (%v)", err)
	}
	steps := []struct{ method, path string }{
		{http.MethodGet, "/handles/" + h.ID},
		{http.MethodGet, "/handles/" + h.ID + "/session"},
		{http.MethodDelete, "/handles/" + h.ID},
	}
	if _, err := m.send(ctx, worker, http.MethodPost, "/handles/query", b.query); err != nil {
		return 1, err
	}
	for i, s := range steps {
		if _, err := m.send(ctx, worker, s.method, s.path, nil); err != nil {
			return 2 + i, err
		}
	}
	return 5, nil
}

// send makes one request as the worker's user and returns the body of a 2xx answer.
func (m *MixedHandles) send(ctx context.Context, worker int, method, path string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.baseURL+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", m.tokens[worker])
	req.Header.Set("X-Xbl-Contract-Version", m.cv)
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(out))
	}
	return out, nil
}

// BareHandleBody is the fixed answer of BareHandler: a small handle document.
const BareHandleBody = `{"version":1,"type":"activity","id":"6ed1d40f-2c2f-4c3f-8f84-7d1f2f5b6a11",` +
	`"sessionRef":{"scid":"7492baca-c1b4-440d-a391-b7ef4d40c1f4","templateName":"LobbySession","name":"load-0"},` +
	`"titleId":"1934211234","ownerXuid":"2900000000000000","createTime":"2026-03-14T09:26:53.5897932Z"}`

// BareHandler is the reference for the load figure: a bare net/http handler that drains the
// request body and answers 200 with BareHandleBody, whatever the request.
func BareHandler() http.Handler {
	body := []byte(BareHandleBody)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
}
