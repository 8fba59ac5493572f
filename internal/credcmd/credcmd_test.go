package credcmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helper writes a shell script that behaves as a credential helper.
func helper(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "helper.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, argv []string) (Output, error) {
	t.Helper()
	return Run(context.Background(), Request{Argv: argv, Identity: "user1", Set: "identityPools[0]", Reason: "initial", Timeout: 5 * time.Second,
		Redact: func(s string) string { return strings.ReplaceAll(s, "sekret-token", "<redacted>") }})
}

func TestHelperOutputs(t *testing.T) {
	line, err := run(t, []string{helper(t, `echo "XBL3.0 x=123;sekret-token"`)})
	if err != nil || line.Authorization != "XBL3.0 x=123;sekret-token" || !line.ExpiresAt.IsZero() {
		t.Errorf("one line: %+v %v", line, err)
	}
	js, err := run(t, []string{helper(t, `printf '{"authorization": "XBL3.0 x=1;sekret-token", "expiresAt": "2030-01-02T03:04:05Z", "xuid": "2535400000000001"}'`)})
	if err != nil || js.XUID != "2535400000000001" || js.ExpiresAt.Year() != 2030 || js.Authorization != "XBL3.0 x=1;sekret-token" {
		t.Errorf("JSON: %+v %v", js, err)
	}
	t.Setenv("MPSDCONF_WORKER", "credentials: {user2: {authorization: XBL3.0 x=2;other-users-token}}")
	t.Setenv("MPSD_EMULATOR_TOKEN_KEY", "emulator-key-0123456789")
	env, err := run(t, []string{helper(t, `echo "XBL3.0 x=$MPSDCONF_IDENTITY;$MPSDCONF_CREDENTIAL_REASON-$MPSDCONF_IDENTITY_SET-[$MPSDCONF_WORKER$MPSD_EMULATOR_TOKEN_KEY]"`)})
	if err != nil || env.Authorization != "XBL3.0 x=user1;initial-identityPools[0]-[]" {
		t.Errorf("the helper must see its identity, set and reason, and none of the harness's secrets: %+v %v", env, err)
	}
}

func TestHelperProblemsNeverShowItsOutput(t *testing.T) {
	cases := map[string]struct{ script, want string }{
		"fails":             {`echo "denied for sekret-token" >&2; exit 3`, "failed (exit status 3); its stderr: denied for <redacted>"},
		"prints nothing":    {`true`, "printed nothing"},
		"prints prose":      {`echo "here is sekret-token"`, "something other than one line"},
		"two lines":         {`echo "XBL3.0 x=1;sekret-token"; echo "XBL3.0 x=2;sekret-token"`, "something other than one line"},
		"bad JSON":          {`echo '{"authorization": "XBL3.0 x=1;sekret-token",'`, "invalid JSON"},
		"unknown JSON key":  {`echo '{"authorization": "XBL3.0 x=1;sekret-token", "token": "sekret-token"}'`, "unknown field"},
		"bad expiresAt":     {`echo '{"authorization": "XBL3.0 x=1;sekret-token", "expiresAt": "tomorrow"}'`, "RFC 3339"},
		"bad authorization": {`echo '{"authorization": "Bearer sekret-token"}'`, "not of the form"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, []string{helper(t, tc.script)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "sekret-token") {
				t.Errorf("the error shows the helper's secret: %v", err)
			}
		})
	}
}

func TestHelperTimeout(t *testing.T) {
	start := time.Now()
	_, err := Run(context.Background(), Request{Argv: []string{helper(t, "sleep 30")}, Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "did not finish within 300ms") || time.Since(start) > 10*time.Second {
		t.Errorf("a hanging helper: %v after %s", err, time.Since(start))
	}
	if _, err := Run(context.Background(), Request{Argv: []string{"/no/such/helper"}, Timeout: time.Second}); err == nil {
		t.Error("a missing helper succeeded")
	}
}
