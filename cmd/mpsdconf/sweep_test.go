package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestSweepUsageErrorsExit2(t *testing.T) {
	t.Setenv("MPSD_EMULATOR_TOKEN_KEY", "")
	cases := map[string]struct {
		args []string
		want string
	}{
		"missing target":        {[]string{"sweep", "--run-id", "r1", "--emulator-token-key", "k"}, "--target"},
		"missing run ID":        {[]string{"sweep", "--target", "http://127.0.0.1:1", "--emulator-token-key", "k"}, "--run-id"},
		"invalid run ID":        {[]string{"sweep", "--target", "http://127.0.0.1:1", "--run-id", "Run_1", "--emulator-token-key", "k"}, `"Run_1"`},
		"unexpected argument":   {[]string{"sweep", "--target", "http://127.0.0.1:1", "--run-id", "r1", "extra"}, "unexpected arguments"},
		"unknown flag":          {[]string{"sweep", "--no-such-flag"}, "no-such-flag"},
		"bad target URL":        {[]string{"sweep", "--target", "ftp://example", "--run-id", "r1", "--emulator-token-key", "k"}, "target URL"},
		"no identities":         {[]string{"sweep", "--target", "http://127.0.0.1:1", "--run-id", "r1"}, "authorization"},
		"missing config file":   {[]string{"sweep", "--target", "http://127.0.0.1:1", "--run-id", "r1", "--config", "/nonexistent/c.yaml"}, "config file"},
		"missing journal":       {[]string{"sweep", "--target", "http://127.0.0.1:1", "--run-id", "r1", "--emulator-token-key", "k", "--journal", "/nonexistent/j"}, "journal"},
		"bad request timeout":   {[]string{"sweep", "--target", "http://127.0.0.1:1", "--run-id", "r1", "--request-timeout", "0s"}, "--request-timeout"},
		"unreachable target":    {[]string{"sweep", "--target", "http://127.0.0.1:1", "--run-id", "r1", "--emulator-token-key", "k", "--request-timeout", "2s"}, "problems"},
		"malformed journal run": {[]string{"sweep", "--target", "http://127.0.0.1:1", "--run-id", "r1", "--emulator-token-key", "k", "--journal", writeFile(t, "bad.journal", "{\n{}\n")}, ":1:"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not mention %q:\n%s", tc.want, stderr)
			}
		})
	}
}

// TestSweepEmulatorProcess sweeps a separately started emulator: with nothing to sweep the
// command exits 0; with the wrong key every request is refused and it exits 2.
func TestSweepEmulatorProcess(t *testing.T) {
	t.Setenv("MPSD_EMULATOR_TOKEN_KEY", "")
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const key = "sweep-process-test-key"
	url, stop := startEmulatorProcess(t, ctx, bin, key)
	defer stop()
	journal := writeFile(t, "empty.journal", "")

	out, err := exec.CommandContext(ctx, bin, "sweep", "--target", url, "--run-id", "20260102t030405-a1b2c3",
		"--journal", journal, "--emulator-token-key", key).CombinedOutput()
	if err != nil {
		t.Fatalf("sweep of an empty emulator: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "0 handles deleted, 0 memberships left, 0 already gone, 0 problems") {
		t.Errorf("sweep output has no summary line:\n%s", out)
	}

	cmd := exec.CommandContext(ctx, bin, "sweep", "--target", url, "--run-id", "20260102t030405-a1b2c3")
	cmd.Env = append(cmd.Environ(), "MPSD_EMULATOR_TOKEN_KEY=wrong-key")
	out, err = cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("sweep with the wrong key: %v, want exit 2\n%s", err, out)
	}
	if !strings.Contains(string(out), "401") || strings.Contains(string(out), "mpsdemu.v1.") {
		t.Errorf("the refused queries are not reported, or a token is shown:\n%s", out)
	}
}
