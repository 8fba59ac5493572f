// Package credcmd runs an identity's external credential helper (authorizationCommand), the
// convention of kubectl exec plugins, AWS credential_process and git credential helpers: the
// command prints the Authorization value to use, either as one line "XBL3.0 x=<userhash>;<token>"
// or as JSON {"authorization": "XBL3.0 ...", "expiresAt": "RFC 3339", "xuid": "..."}. It runs
// with a timeout; its output is a secret that only the caller sees, and its stderr is shown
// only when it fails, with every secret redacted.
package credcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// Output is what a credential helper printed.
type Output struct {
	// Authorization is the header value. A secret.
	Authorization string
	// ExpiresAt is when it expires (zero: the helper did not say).
	ExpiresAt time.Time
	// XUID is the user the credential is for, if the helper said.
	XUID string
}

// Request is one run of a helper.
type Request struct {
	// Argv is the command and its arguments (no shell).
	Argv []string
	// Identity names the identity it is run for ("user1"); the helper sees it as
	// MPSDCONF_IDENTITY.
	Identity string
	// Set names the identity's set ("" for the world's own identities, "identityPools[0]");
	// the helper sees it as MPSDCONF_IDENTITY_SET.
	Set string
	// Reason says why it is run (initial, expiring, refused); the helper sees it as
	// MPSDCONF_CREDENTIAL_REASON.
	Reason string
	// Timeout bounds the run.
	Timeout time.Duration
	// Redact removes secrets from the helper's stderr before it is shown.
	Redact func(string) string
}

// maxOutput caps how much of the helper's stdout and stderr is read.
const maxOutput = 64 << 10

// xblLine is the form of an Authorization value.
var xblLine = regexp.MustCompile(`^XBL3\.0 x=[^;\s]+;\S+$`)

// Run runs the helper and parses what it printed.
func Run(ctx context.Context, req Request) (Output, error) {
	if len(req.Argv) == 0 || strings.TrimSpace(req.Argv[0]) == "" {
		return Output{}, errors.New("authorizationCommand is empty")
	}
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, req.Argv[0], req.Argv[1:]...)
	cmd.Env = append(helperEnviron(), "MPSDCONF_IDENTITY="+req.Identity, "MPSDCONF_IDENTITY_SET="+req.Set, "MPSDCONF_CREDENTIAL_REASON="+req.Reason)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &stdout, n: maxOutput}
	cmd.Stderr = &limitedWriter{w: &stderr, n: maxOutput}
	cmd.Stdin = nil
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	name := req.Argv[0]
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return Output{}, fmt.Errorf("authorizationCommand %s did not finish within %s%s", name, req.Timeout, stderrNote(req, stderr.String()))
	case err != nil:
		return Output{}, fmt.Errorf("authorizationCommand %s failed (%v)%s", name, err, stderrNote(req, stderr.String()))
	}
	out, err := parse(stdout.Bytes())
	if err != nil {
		return Output{}, fmt.Errorf("authorizationCommand %s: %v%s", name, err, stderrNote(req, stderr.String()))
	}
	return out, nil
}

// helperEnviron is this process's environment without the harness's own variables: a worker
// process carries its identities' fetched credentials in MPSDCONF_WORKER, and an emulator key
// may be in MPSD_EMULATOR_TOKEN_KEY, neither of which a helper for one identity may see.
func helperEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MPSDCONF_") && !strings.HasPrefix(kv, "MPSD_EMULATOR_TOKEN_KEY=") {
			env = append(env, kv)
		}
	}
	return env
}

// parse reads a helper's stdout: one Authorization line, or the JSON object.
func parse(raw []byte) (Output, error) {
	text := strings.TrimSpace(string(raw))
	if text == "" {
		return Output{}, errors.New("printed nothing: want one line 'XBL3.0 x=<userhash>;<token>' or JSON {\"authorization\": ..., \"expiresAt\": ..., \"xuid\": ...}")
	}
	if strings.HasPrefix(text, "{") {
		var v struct {
			Authorization string `json:"authorization"`
			ExpiresAt     string `json:"expiresAt"`
			XUID          string `json:"xuid"`
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return Output{}, fmt.Errorf("printed JSON that is not {\"authorization\", \"expiresAt\", \"xuid\"}: %v", safeJSONError(err))
		}
		out := Output{Authorization: strings.TrimSpace(v.Authorization), XUID: strings.TrimSpace(v.XUID)}
		if !xblLine.MatchString(out.Authorization) {
			return Output{}, errors.New("the JSON's authorization is not of the form 'XBL3.0 x=<userhash>;<token>'")
		}
		if v.ExpiresAt != "" {
			t, err := time.Parse(time.RFC3339, v.ExpiresAt)
			if err != nil {
				return Output{}, fmt.Errorf("expiresAt %q is not an RFC 3339 time", v.ExpiresAt)
			}
			out.ExpiresAt = t
		}
		return out, nil
	}
	if strings.Contains(text, "\n") || !xblLine.MatchString(text) {
		return Output{}, errors.New("printed something other than one line 'XBL3.0 x=<userhash>;<token>' or a JSON object")
	}
	return Output{Authorization: text}, nil
}

// safeJSONError describes a JSON decoding error without quoting the input (which may hold a
// token).
func safeJSONError(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "invalid JSON: it ends early"
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("field %s is not a %s", typ.Field, typ.Type)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return "unknown field " + strings.TrimPrefix(msg, "json: unknown field ")
	}
	return "not a JSON object"
}

// stderrNote is the helper's stderr, redacted and cut, for an error message.
func stderrNote(req Request, stderr string) string {
	stderr = strings.TrimSpace(stderr)
	if stderr == "" {
		return ""
	}
	if req.Redact != nil {
		stderr = req.Redact(stderr)
	}
	if len(stderr) > 1000 {
		stderr = stderr[len(stderr)-1000:]
	}
	return "; its stderr: " + stderr
}

// limitedWriter keeps the first n bytes written to it and discards the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

// Write keeps what fits and reports everything written, so the command never blocks.
func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		keep := p
		if len(keep) > l.n {
			keep = keep[:l.n]
		}
		n, err := l.w.Write(keep)
		l.n -= n
		if err != nil {
			return n, err
		}
	}
	return len(p), nil
}
