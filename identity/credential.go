package identity

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
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

// Refusal records that the target refused an identity's credential for good.
type Refusal struct {
	// Identity is the identity's name.
	Identity string `json:"identity"`
	// Source describes its credential source.
	Source string `json:"source"`
	// Status is the HTTP status of the refusal (401).
	Status int `json:"status"`
	// Cause is what the target said and why the credential was not renewed.
	Cause string `json:"cause"`
	// At is when it happened.
	At time.Time `json:"at"`
}

// String is the one line that says what happened.
func (r Refusal) String() string {
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

	mu      sync.Mutex
	tok     Token
	fetched bool
	refusal *Refusal
}

var _ mpsdclient.Credential = (*Credential)(nil)

// newCredential returns the credential of identity name from source.
func newCredential(name string, source Source, now func() time.Time, onSecret func(...string)) *Credential {
	if now == nil {
		now = time.Now
	}
	return &Credential{name: name, source: source, now: now, onSecret: onSecret}
}

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
// within its renewal margin (a renewal that fails keeps the old value while it has not
// expired). An error wraps mpsdclient.ErrCredentialRefused once the target refused the
// credential for good.
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
	if err := c.fetch(ctx, ReasonExpiring); err != nil && !now.Before(c.tok.ExpiresAt) {
		return "", err
	}
	return c.tok.Authorization, nil
}

// Renew returns a renewed value after the target answered 401 to refused. If the value was
// renewed meanwhile, the new one is returned without asking the source.
func (c *Credential) Renew(ctx context.Context, refused string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusal != nil {
		return "", fmt.Errorf("%w: refused earlier in this run", mpsdclient.ErrCredentialRefused)
	}
	if c.fetched && c.tok.Authorization != refused {
		return c.tok.Authorization, nil
	}
	if !c.source.Renewable() {
		return "", fmt.Errorf("its source (%s) cannot renew it", c.source.Describe())
	}
	if err := c.fetch(ctx, ReasonRefused); err != nil {
		return "", err
	}
	if c.tok.Authorization == refused {
		return "", fmt.Errorf("its source (%s) gave the same value again", c.source.Describe())
	}
	return c.tok.Authorization, nil
}

// Refuse records that the target refused the credential for good.
func (c *Credential) Refuse(status int, cause string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusal == nil {
		c.refusal = &Refusal{Identity: c.name, Source: c.source.Describe(), Status: status, Cause: cause, At: c.now().UTC()}
	}
}

// Refusal returns the refusal, if the target refused the credential.
func (c *Credential) Refusal() (Refusal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusal == nil {
		return Refusal{}, false
	}
	return *c.refusal, true
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

// fetch asks the source for a value (c.mu held).
func (c *Credential) fetch(ctx context.Context, reason string) error {
	tok, err := c.source.Fetch(ctx, reason)
	if err != nil {
		return fmt.Errorf("%w: %s (%s): %w", mpsdclient.ErrCredentialUnavailable, c.name, c.source.Describe(), err)
	}
	if tok.Authorization == "" {
		return fmt.Errorf("%w: %s (%s) gave an empty value", mpsdclient.ErrCredentialUnavailable, c.name, c.source.Describe())
	}
	c.setToken(tok)
	return nil
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
func tokenSecrets(value string) []string {
	out := []string{value}
	if _, token, ok := strings.Cut(value, ";"); ok && token != "" {
		out = append(out, token)
	}
	return out
}
