package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseOptionsDefaults(t *testing.T) {
	var stderr bytes.Buffer
	o, done, code := parseOptions(nil, &stderr)
	if done || code != 0 {
		t.Fatalf("parseOptions(nil): done %v, code %d: %s", done, code, stderr.String())
	}
	want := options{mpsdconf: "bin/mpsdconf", runs: 5, loadWorkers: 16, loadDuration: 3 * time.Second,
		handles: 100_000, memWorkers: 8, latency: 25 * time.Millisecond, latencyRuns: 1, timeout: 15 * time.Minute}
	if o != want {
		t.Errorf("defaults = %+v, want %+v", o, want)
	}
}

func TestParseOptionsRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--runs", "0"},
		{"--load-workers", "0"},
		{"--load-duration", "0s"},
		{"--handles", "-1"},
		{"--latency", "0s"},
		{"--latency-runs", "0"},
		{"--mpsdconf", ""},
		{"extra"},
		{"--no-such-flag"},
	} {
		var stderr bytes.Buffer
		_, done, code := parseOptions(args, &stderr)
		if !done || code != 2 {
			t.Errorf("parseOptions(%q): done %v, code %d; want a usage error (2)", args, done, code)
		}
	}
}

func TestRunNeedsTheBinary(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"--mpsdconf", filepath.Join(t.TempDir(), "missing")}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "make build") {
		t.Errorf("run without a binary: code %d, stderr %q; want 2 and a hint", code, stderr.String())
	}
}
