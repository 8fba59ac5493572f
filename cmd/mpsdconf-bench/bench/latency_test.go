package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLatencyProxyDelaysAndForwards(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.Path)
		_, _ = io.WriteString(w, "hello")
	}))
	defer backend.Close()
	const latency = 50 * time.Millisecond
	p, err := NewLatencyProxy(backend.URL, latency)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	resp, err := http.Get(p.URL + "/handles/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if took := time.Since(start); took < latency {
		t.Errorf("answered after %v, before the latency of %v", took, latency)
	}
	if string(body) != "hello" || resp.Header.Get("X-Path") != "/handles/x" {
		t.Errorf("forwarded answer %q, path %q", body, resp.Header.Get("X-Path"))
	}
	if _, err := NewLatencyProxy("not a url", latency); err == nil {
		t.Error("a proxy to nowhere started")
	}
}

func TestRunRequests(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"run":{"requests":{"requests":1157,"retries":0}}}`)
	if n, err := RunRequests(dir); err != nil || n != 1157 {
		t.Errorf("RunRequests = %d, %v", n, err)
	}
	write(`{"run":{}}`)
	if _, err := RunRequests(dir); err == nil {
		t.Error("a report without requests was accepted")
	}
}
