package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/mpsdconf/mpsdconf/internal/credcmd"
	"github.com/mpsdconf/mpsdconf/internal/xblauth"
	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

// staticSource is a ready Authorization value (authorization, authorizationEnv): it cannot be
// renewed, and its lifetime is not known.
type staticSource struct {
	value string
	from  string
}

// Fetch returns the value.
func (s staticSource) Fetch(context.Context, string) (Token, error) {
	return Token{Authorization: s.value}, nil
}

// Kind is KindStatic.
func (s staticSource) Kind() string { return KindStatic }

// Renewable is false: the value is what it is.
func (s staticSource) Renewable() bool { return false }

// Describe names where the value came from.
func (s staticSource) Describe() string { return s.from }

// DefaultMintLifetime is how long a minted emulator token lives.
const DefaultMintLifetime = 24 * time.Hour

// mintedSource mints emulator tokens with the emulator's key: renewable at will.
type mintedSource struct {
	key      []byte
	claims   xbltoken.Claims
	lifetime time.Duration
	now      func() time.Time
}

// Fetch mints a new token.
func (m mintedSource) Fetch(context.Context, string) (Token, error) {
	now := m.now()
	c := m.claims
	c.IssuedAt, c.ExpiresAt = now.Unix(), now.Add(m.lifetime).Unix()
	value, err := xbltoken.Mint(m.key, c, now)
	if err != nil {
		return Token{}, err
	}
	return Token{Authorization: value, IssuedAt: time.Unix(c.IssuedAt, 0), ExpiresAt: time.Unix(c.ExpiresAt, 0),
		XUID: c.XUID, Gamertag: c.Gamertag}, nil
}

// Kind is KindMinted.
func (m mintedSource) Kind() string { return KindMinted }

// Renewable is true: a new token can always be minted.
func (m mintedSource) Renewable() bool { return true }

// Describe says the token is minted.
func (m mintedSource) Describe() string { return "minted with the emulator token key" }

// commandSource runs an external credential helper (authorizationCommand).
type commandSource struct {
	identity string // the identity's name
	set      string // its identity set ("" for the world's own)
	argv     []string
	timeout  time.Duration
	redact   func(string) string
}

// Fetch runs the helper.
func (c commandSource) Fetch(ctx context.Context, reason string) (Token, error) {
	out, err := credcmd.Run(ctx, credcmd.Request{Argv: c.argv, Identity: c.identity, Set: c.set, Reason: reason, Timeout: c.timeout, Redact: c.redact})
	if err != nil {
		return Token{}, err
	}
	return Token{Authorization: out.Authorization, ExpiresAt: out.ExpiresAt, XUID: out.XUID}, nil
}

// Kind is KindCommand.
func (c commandSource) Kind() string { return KindCommand }

// Renewable is true: the helper is run again.
func (c commandSource) Renewable() bool { return true }

// Describe names the helper.
func (c commandSource) Describe() string { return fmt.Sprintf("authorizationCommand %s", c.argv[0]) }

// xboxLiveSource signs the identity in to Xbox Live from its stored refresh token.
type xboxLiveSource struct {
	session *xblauth.Session
	memory  *xblauth.MemoryStore // the refresh token, when it came from an environment variable
	from    string
}

// Fetch signs in again.
func (x xboxLiveSource) Fetch(ctx context.Context, _ string) (Token, error) {
	t, err := x.session.Token(ctx)
	if err != nil {
		return Token{}, err
	}
	return Token{Authorization: t.Authorization, IssuedAt: t.IssuedAt, ExpiresAt: t.NotAfter, XUID: t.XUID, Gamertag: t.Gamertag}, nil
}

// Kind is KindXboxLive.
func (x xboxLiveSource) Kind() string { return KindXboxLive }

// Renewable is true.
func (x xboxLiveSource) Renewable() bool { return true }

// Describe names the sign-in and where its refresh token is kept.
func (x xboxLiveSource) Describe() string { return "Xbox Live sign-in, refresh token from " + x.from }
