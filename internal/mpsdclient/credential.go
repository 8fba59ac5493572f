package mpsdclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Credential is the Authorization value of one configured identity, which may expire and be
// renewed while a run goes on (a signed-in Xbox Live user, a credential helper's output, a
// minted emulator token). The client asks it for the value to send on every request that
// carries it (WithCredential), and tells it when the target refused that value.
//
// Implementations must be safe for concurrent use.
type Credential interface {
	// Name names the identity in messages ("user2"); it is never a secret.
	Name() string
	// Authorization returns the value to send now, renewing it first when it is about to
	// expire. An error means no value can be had (the sign-in failed, the credential was
	// refused earlier in the run); the request is then not sent.
	Authorization(ctx context.Context) (string, error)
	// Renew is told that the target answered 401 to refused, and returns a renewed value to
	// send the request again with. An error wrapping ErrNotRenewable means the credential
	// cannot be renewed at all (the client then refuses it for the run); any other error is a
	// passing failure (a sign-in service that did not answer, a cancelled request): the request
	// is a harness error and the credential stays.
	Renew(ctx context.Context, refused string) (string, error)
	// Refuse records that the target refused the credential for good: the identity sends
	// nothing more in this run, and every later Authorization call returns an error wrapping
	// ErrCredentialRefused.
	Refuse(status int, cause string)
}

// ErrCredentialRefused marks a request whose identity's own credential the target refused
// (401) even after renewing it, or a request not sent because that happened earlier in the
// run. It is a harness error, never a conformance verdict: the run could not act as the
// identity (see IsHarnessError).
var ErrCredentialRefused = errors.New("credential refused")

// ErrCredentialUnavailable marks a request not sent because its identity's credential could
// not be obtained (a failed sign-in, a credential helper that failed), or one answered 401 whose
// credential could not be renewed just then. A harness error.
var ErrCredentialUnavailable = errors.New("credential unavailable")

// ErrNotRenewable is wrapped by a Credential's Renew error when the credential cannot be
// renewed at all.
var ErrNotRenewable = errors.New("cannot be renewed")

// WithCredential sends the request with cred's Authorization value (a request may not also set
// one with WithAuthorization). A 401 answer makes the
// client renew the value (Credential.Renew) and send the request once more; if the target
// refuses that too, or the value cannot be renewed, the credential is refused for the rest of
// the run and Do returns the last exchange with an error wrapping ErrCredentialRefused. Specs
// that deliberately send a missing, malformed or forged Authorization use WithAuthorization
// instead, so their 401 stays a conformance answer.
func WithCredential(cred Credential) Option {
	return func(r *request) error {
		r.cred = cred
		return nil
	}
}

// credentialValue returns the Authorization value to send for cred and registers it with the
// redactor, or an error (wrapping ErrCredentialUnavailable or
// ErrCredentialRefused) when there is none to send.
func (c *Client) credentialValue(ctx context.Context, cred Credential, method, path string) (string, error) {
	value, err := cred.Authorization(ctx)
	if err != nil {
		if errors.Is(err, ErrCredentialRefused) {
			return "", fmt.Errorf("%s %s: not sent as %s: %w", method, path, cred.Name(), c.redactor.Error(err))
		}
		return "", fmt.Errorf("%s %s: not sent as %s: %w: %w", method, path, cred.Name(), ErrCredentialUnavailable, c.redactor.Error(err))
	}
	c.redactor.Add(AuthorizationSecrets(value)...)
	return value, nil
}

// refusedCredential is what Do returns after the target refused cred's value (ex is the last
// exchange, answered 401): it records the refusal and describes it.
func (c *Client) refusedCredential(cred Credential, ex *Exchange, renewErr error) error {
	cause := FirstLine(c.redactor.String(string(ex.Body)))
	if cause == "" {
		cause = http.StatusText(ex.Status)
	}
	if renewErr != nil {
		cause += "; not renewed: " + c.redactor.String(renewErr.Error())
	} else {
		cause += "; refused again after renewing"
	}
	cred.Refuse(ex.Status, cause)
	return fmt.Errorf("%w: credential of %s refused (%d) by %s %s: %s", ErrCredentialRefused, cred.Name(), ex.Status, ex.Method, c.redactor.String(ex.path()), cause)
}

// AuthorizationSecrets returns an Authorization value and its token part, the values a
// redactor must remove.
func AuthorizationSecrets(value string) []string {
	out := []string{value}
	if _, token, ok := strings.Cut(value, ";"); ok && token != "" {
		out = append(out, token)
	}
	return out
}

// FirstLine returns the first non-empty line of s, trimmed, at most 200 bytes (cut at a UTF-8
// boundary): the line a message quotes of a response body.
func FirstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return cutUTF8(line, 200)
		}
	}
	return ""
}
