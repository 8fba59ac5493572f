package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/internal/xblauth"
)

// Token is what a credential source produces.
type Token struct {
	// Authorization is the header value. A secret.
	Authorization string
	// IssuedAt and ExpiresAt bound the value's life; zero when the source does not know.
	IssuedAt, ExpiresAt time.Time
	// XUID and Gamertag are whom the source says the value is for (sign-in claims), if it
	// knows.
	XUID, Gamertag string
}

// Reasons a source is asked for a value.
const (
	ReasonInitial  = "initial"
	ReasonExpiring = "expiring"
	ReasonRefused  = "refused"
)

// Kinds of credential source (Source.Kind).
const (
	// KindStatic is a ready value: authorization or authorizationEnv.
	KindStatic = "static"
	// KindMinted is a token minted with an emulator's key.
	KindMinted = "minted"
	// KindCommand is an external credential helper: authorizationCommand.
	KindCommand = "command"
	// KindXboxLive is the Xbox Live sign-in from a stored refresh token: xboxLive.
	KindXboxLive = "xboxLive"
)

// Source produces an identity's Authorization value.
type Source interface {
	// Kind is one of KindStatic, KindMinted, KindCommand, KindXboxLive.
	Kind() string
	// Fetch returns a value; reason is one of ReasonInitial, ReasonExpiring, ReasonRefused.
	Fetch(ctx context.Context, reason string) (Token, error)
	// Renewable reports whether fetching again can give another value.
	Renewable() bool
	// Describe names the source in messages ("authorizationEnv MPSD_USER1_AUTH"), without
	// any secret.
	Describe() string
}

// Refusal records that a credential failed the run: the target refused it for good (Status
// 401), or it expired and could not be renewed (Status 0).
type Refusal struct {
	// Identity is the identity's name.
	Identity string `json:"identity"`
	// Source describes its credential source.
	Source string `json:"source"`
	// Status is the HTTP status of the refusal (401), or 0 for a credential that expired and
	// could not be renewed.
	Status int `json:"status"`
	// Cause is what the target said and why the credential was not renewed.
	Cause string `json:"cause"`
	// At is when it happened.
	At time.Time `json:"at"`
}

// String is the one line that says what happened.
func (r Refusal) String() string {
	if r.Status == 0 {
		return fmt.Sprintf("credential of %s (%s) expired at %s and could not be renewed: %s; requests as %s were not sent",
			r.Identity, r.Source, r.At.UTC().Format(time.TimeOnly), r.Cause, r.Identity)
	}
	return fmt.Sprintf("credential of %s (%s) refused (%d) at %s: %s; nothing more was sent as %s",
		r.Identity, r.Source, r.Status, r.At.UTC().Format(time.TimeOnly), r.Cause, r.Identity)
}

// Credential is one identity's Authorization value over a run: fetched from its source on
// first use, renewed shortly before it expires and once when the target refuses it (where the
// source can renew), and refused for good after that. It implements mpsdclient.Credential.
type Credential struct {
	name     string
	source   Source
	now      func() time.Time
	onSecret func(...string)
	timeout  time.Duration // bounds each fetch

	mu        sync.Mutex
	tok       Token
	fetched   bool
	refusal   *Refusal // the target refused it for good
	lapsed    *Refusal // it expired and could not be renewed
	failedAt  time.Time
	lastError error
}

// fetchBackoff is how long after a failed fetch the source is not asked again: a sign-in
// service that is down, or a helper that fails, costs one attempt per half minute, not one per
// request.
const fetchBackoff = 30 * time.Second

var _ mpsdclient.Credential = (*Credential)(nil)

// newCredential returns the credential of identity name from source; each fetch is bounded
// by timeout (DefaultFetchTimeout when 0).
func newCredential(name string, source Source, now func() time.Time, onSecret func(...string), timeout time.Duration) *Credential {
	if now == nil {
		now = time.Now
	}
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	return &Credential{name: name, source: source, now: now, onSecret: onSecret, timeout: timeout}
}

// DefaultFetchTimeout bounds one fetch (a sign-in, a helper run) when no other is set.
const DefaultFetchTimeout = time.Minute

// Name returns the identity's name.
func (c *Credential) Name() string { return c.name }

// Source describes the credential's source.
func (c *Credential) Source() string { return c.source.Describe() }

// Kind is the kind of the credential's source (KindStatic, ...).
func (c *Credential) Kind() string { return c.source.Kind() }

// RenewMargin is how long before a value's ExpiresAt it is renewed: a fifth of its lifetime,
// at most five minutes (a 16-hour XSTS token is renewed 5 minutes early, a 1-minute token 12
// seconds early); five minutes when the lifetime is not known.
func RenewMargin(issued, expires time.Time) time.Duration {
	const most = 5 * time.Minute
	if issued.IsZero() || !expires.After(issued) {
		return most
	}
	return min(most, expires.Sub(issued)/5)
}

// Authorization returns the value to send now: fetched on first use, renewed when it is
// within its renewal margin. A renewal that fails keeps the old value while it has not expired;
// once it has, the credential is recorded as lapsed (a problem of the run, see Refusal) and the
// source is asked again at most every fetchBackoff. An error wraps
// mpsdclient.ErrCredentialRefused once the target refused the credential for good, else
// mpsdclient.ErrCredentialUnavailable.
func (c *Credential) Authorization(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusal != nil {
		return "", fmt.Errorf("%w: the credential of %s was refused (%d) earlier in this run (%s)",
			mpsdclient.ErrCredentialRefused, c.name, c.refusal.Status, c.refusal.Cause)
	}
	if !c.fetched {
		if err := c.fetch(ctx, ReasonInitial); err != nil {
			return "", err
		}
		return c.tok.Authorization, nil
	}
	if c.tok.ExpiresAt.IsZero() || !c.source.Renewable() {
		return c.tok.Authorization, nil
	}
	now := c.now()
	if now.Before(c.tok.ExpiresAt.Add(-RenewMargin(c.tok.IssuedAt, c.tok.ExpiresAt))) {
		return c.tok.Authorization, nil
	}
	err := c.fetch(ctx, ReasonExpiring)
	if err == nil || now.Before(c.tok.ExpiresAt) {
		return c.tok.Authorization, nil // renewed, or the old value still works
	}
	if c.lapsed == nil {
		c.lapsed = &Refusal{Identity: c.name, Source: c.source.Describe(), Cause: firstLine(err), At: c.tok.ExpiresAt.UTC()}
	}
	return "", err
}

// Renew returns a renewed value after the target answered 401 to refused. If the value was
// renewed meanwhile, the new one is returned without asking the source. An error wrapping
// mpsdclient.ErrNotRenewable means the credential cannot be renewed at all (the source cannot
// renew, gave the same value, or refuses for good: a Microsoft account that must be signed in
// again, an account Xbox Live refuses); any other error is a passing failure.
func (c *Credential) Renew(ctx context.Context, refused string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusal != nil {
		return "", fmt.Errorf("%w: refused earlier in this run", mpsdclient.ErrNotRenewable)
	}
	if c.fetched && c.tok.Authorization != refused {
		return c.tok.Authorization, nil
	}
	if !c.source.Renewable() {
		return "", fmt.Errorf("%w: its source (%s) cannot renew it", mpsdclient.ErrNotRenewable, c.source.Describe())
	}
	if err := c.fetch(ctx, ReasonRefused); err != nil {
		if permanent(err) {
			return "", fmt.Errorf("%w: %w", mpsdclient.ErrNotRenewable, err)
		}
		return "", err
	}
	if c.tok.Authorization == refused {
		return "", fmt.Errorf("%w: its source (%s) gave the same value again", mpsdclient.ErrNotRenewable, c.source.Describe())
	}
	return c.tok.Authorization, nil
}

// permanent reports whether a source's error means asking again cannot help.
func permanent(err error) bool {
	return errors.Is(err, xblauth.ErrSignInRequired) || errors.Is(err, xblauth.ErrRefused)
}

// Refuse records that the target refused the credential for good.
func (c *Credential) Refuse(status int, cause string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusal == nil {
		c.refusal = &Refusal{Identity: c.name, Source: c.source.Describe(), Status: status, Cause: cause, At: c.now().UTC()}
	}
}

// Refusal returns what failed the run about the credential, if anything: the target's
// refusal, else a lapse (it expired and could not be renewed).
func (c *Credential) Refusal() (Refusal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.refusal != nil:
		return *c.refusal, true
	case c.lapsed != nil:
		return *c.lapsed, true
	}
	return Refusal{}, false
}

// Token returns the value fetched last (the zero Token before the first fetch).
func (c *Credential) Token() Token {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok
}

// seed sets a value fetched elsewhere (by the parent of a multi-process run).
func (c *Credential) seed(tok Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setToken(tok)
}

// fetch asks the source for a value (c.mu held), within the fetch timeout. After a failure the
// source is not asked again for fetchBackoff: the failure is returned again meanwhile.
func (c *Credential) fetch(ctx context.Context, reason string) error {
	if c.lastError != nil && c.now().Before(c.failedAt.Add(fetchBackoff)) {
		return c.lastError
	}
	fctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	tok, err := c.source.Fetch(fctx, reason)
	if err == nil && tok.Authorization == "" {
		err = errors.New("it gave an empty value")
	}
	if err != nil {
		err = &fetchError{identity: c.name, source: c.source.Describe(), err: err}
		if ctx.Err() == nil { // a caller giving up is not the source failing
			c.lastError, c.failedAt = err, c.now()
		}
		return err
	}
	c.lastError, c.lapsed = nil, nil
	c.setToken(tok)
	return nil
}

// fetchError is a source's failure to give a credential: "user1 (source): why". It is
// mpsdclient.ErrCredentialUnavailable (errors.Is), and unwraps to the source's error.
type fetchError struct {
	identity, source string
	err              error
}

// Error names the identity and its source, then says why.
func (e *fetchError) Error() string { return fmt.Sprintf("%s (%s): %v", e.identity, e.source, e.err) }

// Unwrap returns the source's error.
func (e *fetchError) Unwrap() error { return e.err }

// Is makes the error mpsdclient.ErrCredentialUnavailable.
func (e *fetchError) Is(target error) bool { return target == mpsdclient.ErrCredentialUnavailable }

// firstLine is the first line of an error's message.
func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// setToken keeps tok and hands its secrets to the redactor (c.mu held). A value whose source
// gave its expiry but not its issue time is taken as issued now, so its renewal margin is a
// fifth of what is left of it.
func (c *Credential) setToken(tok Token) {
	if tok.IssuedAt.IsZero() && !tok.ExpiresAt.IsZero() {
		tok.IssuedAt = c.now()
	}
	c.tok, c.fetched = tok, true
	if c.onSecret != nil {
		c.onSecret(tokenSecrets(tok.Authorization)...)
	}
}

// tokenSecrets returns an Authorization value and its token part.
func tokenSecrets(value string) []string { return mpsdclient.AuthorizationSecrets(value) }
