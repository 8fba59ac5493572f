package xblauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// RefreshTokenStore keeps one account's Microsoft account refresh token, which Microsoft may
// rotate on every use.
type RefreshTokenStore interface {
	// Rotate calls refresh with the refresh token to use now and keeps the one refresh returns
	// (rotated, or the same). A store shared with other processes (a token file) serializes
	// Rotate across them and reads the newest token first. An error of refresh is returned
	// and nothing is kept.
	Rotate(ctx context.Context, refresh func(current string) (next string, err error)) error
}

// MemoryStore keeps a refresh token in memory only (one given by an environment variable):
// a rotated token lasts as long as the process.
type MemoryStore struct {
	mu    sync.Mutex
	token string
}

// NewMemoryStore returns a store holding refreshToken.
func NewMemoryStore(refreshToken string) *MemoryStore { return &MemoryStore{token: refreshToken} }

// Rotate calls refresh with the token and keeps the one it returns.
func (m *MemoryStore) Rotate(_ context.Context, refresh func(string) (string, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	next, err := refresh(m.token)
	if err != nil {
		return err
	}
	if next != "" {
		m.token = next
	}
	return nil
}

// Set replaces the token (with a newer one another process rotated to).
func (m *MemoryStore) Set(refreshToken string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.token = refreshToken
}

// Current returns the newest refresh token.
func (m *MemoryStore) Current() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.token
}

// Token is a signed-in user's credential for MPSD.
type Token struct {
	// Authorization is the header value: "XBL3.0 x=<user hash>;<XSTS token>". A secret.
	Authorization string
	// NotAfter is when the XSTS token expires.
	NotAfter time.Time
	// IssuedAt is when it was issued (zero if the answer did not say).
	IssuedAt time.Time
	// XUID, Gamertag and UserHash are the token's claims.
	XUID, Gamertag, UserHash string
}

// Session is one account's sign-in: it turns the stored refresh token into XSTS tokens and
// keeps the access and user tokens of the chain for as long as they are valid. It is safe for concurrent use;
// one request at a time goes to the services.
type Session struct {
	c     *Client
	store RefreshTokenStore

	mu     sync.Mutex
	access *oauth2.Token // Microsoft account access token
	user   *xtoken       // user token (flow user)
}

// NewSession starts the sign-in of the account whose refresh token store holds.
func (c *Client) NewSession(store RefreshTokenStore) *Session {
	return &Session{c: c, store: store}
}

// Token signs the account in again and returns a new XSTS credential. The Microsoft account
// access token (and for the user flow the user token) is reused while it is valid; the caller
// caches the XSTS token and asks again before its NotAfter, or when the target refused it.
func (s *Session) Token(ctx context.Context) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signIn(ctx)
}

// signIn gets a new XSTS token. A step refused with 401 (and no XErr: the account itself is
// fine) is retried once with a freshly refreshed access token, since Microsoft may have
// revoked the one the session held.
func (s *Session) signIn(ctx context.Context) (Token, error) {
	tok, err := s.chain(ctx, false)
	if err == nil || !retryableRefusal(err) {
		return tok, err
	}
	return s.chain(ctx, true)
}

// chain runs the flow once: the access token (refreshed when asked, missing or expiring),
// then the Xbox Live tokens.
func (s *Session) chain(ctx context.Context, fresh bool) (Token, error) {
	access, err := s.accessToken(ctx, fresh)
	if err != nil {
		return Token{}, err
	}
	var xt *xtoken
	if s.c.cfg.Flow == FlowUser {
		if fresh || !s.user.valid(s.c.serviceNow().Add(5*time.Minute)) {
			if s.user, err = s.c.userToken(ctx, access); err != nil {
				return Token{}, err
			}
		}
		xt, err = s.c.xsts(ctx, s.user)
	} else {
		var d *device
		if d, err = s.c.deviceToken(ctx, fresh); err != nil {
			return Token{}, err
		}
		xt, err = s.c.sisu(ctx, access, d)
	}
	if err != nil {
		return Token{}, err
	}
	return tokenOf(xt, s.c.clockSkew())
}

// accessToken returns a Microsoft account access token, refreshing it (and rotating the
// stored refresh token) when asked, missing or about to expire.
func (s *Session) accessToken(ctx context.Context, fresh bool) (string, error) {
	if !fresh && s.access != nil && s.access.AccessToken != "" &&
		(s.access.Expiry.IsZero() || s.c.now().Add(time.Minute).Before(s.access.Expiry)) {
		return s.access.AccessToken, nil
	}
	var tok *oauth2.Token
	err := s.store.Rotate(ctx, func(current string) (string, error) {
		var err error
		tok, err = s.c.refreshAccess(ctx, current)
		if err != nil {
			return "", err
		}
		return tok.RefreshToken, nil
	})
	if err != nil {
		return "", err
	}
	s.access = tok
	return tok.AccessToken, nil
}

// retryableRefusal reports whether a failed step may succeed with fresh tokens: an answer
// that is neither an account refusal nor a definite refusal of the request.
func retryableRefusal(err error) bool {
	return !errors.Is(err, ErrRefused) && !errors.Is(err, ErrSignInRequired) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, context.DeadlineExceeded)
}

// tokenOf builds the MPSD credential of an XSTS token, its times turned from the services'
// clock (skew ahead of ours) into ours, against which the caller renews it.
func tokenOf(xt *xtoken, skew time.Duration) (Token, error) {
	if len(xt.DisplayClaims.Users) == 0 {
		return Token{}, errors.New("XSTS: the token shows no user (DisplayClaims.xui is empty)")
	}
	u := xt.DisplayClaims.Users[0]
	if u.UserHash == "" {
		return Token{}, errors.New("XSTS: the token shows no user hash (DisplayClaims.xui[0].uhs)")
	}
	if xt.NotAfter.IsZero() {
		return Token{}, errors.New("XSTS: the token has no NotAfter")
	}
	return Token{
		Authorization: fmt.Sprintf("XBL3.0 x=%s;%s", u.UserHash, xt.Token),
		NotAfter:      xt.NotAfter.Add(-skew), IssuedAt: xt.IssueInstant.Add(-skew),
		XUID: u.XUID, Gamertag: u.Gamertag, UserHash: u.UserHash,
	}, nil
}
