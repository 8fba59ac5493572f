package xblauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// Scope is what Xbox Live user sign-in asks of a Microsoft account. Microsoft requires it on
// the device-code request and on every refresh.
const Scope = "service::user.auth.xboxlive.com::MBI_SSL"

// oauth2Config is the Microsoft account (Live) OAuth client of the test title: a public
// client (no secret), whose client id goes in the form.
func (c *Client) oauth2Config() *oauth2.Config {
	live := strings.TrimRight(c.cfg.Endpoints.Live, "/")
	return &oauth2.Config{
		ClientID: c.cfg.ClientID,
		Scopes:   []string{Scope},
		Endpoint: oauth2.Endpoint{
			AuthURL:       live + "/oauth20_authorize.srf",
			TokenURL:      live + "/oauth20_token.srf",
			DeviceAuthURL: live + "/oauth20_connect.srf",
			AuthStyle:     oauth2.AuthStyleInParams,
		},
	}
}

// oauthContext carries the client's HTTP client to golang.org/x/oauth2, with the one
// adaptation Microsoft needs: a scope on refresh requests.
func (c *Client) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.oauthHTTP)
}

// scopeOnRefresh adds the scope to refresh-token requests that lack it. golang.org/x/oauth2
// sends grant_type, refresh_token and client_id only, and Microsoft refuses a refresh without
// the scope (Sandertv/gophertunnel minecraft/auth/live.go works around the same gap).
type scopeOnRefresh struct{ base http.RoundTripper }

// RoundTrip sends req, with the scope added to the form of a refresh request.
func (t scopeOnRefresh) RoundTrip(req *http.Request) (*http.Response, error) {
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if req.Method != http.MethodPost || req.Body == nil || mt != "application/x-www-form-urlencoded" {
		return t.base.RoundTrip(req)
	}
	raw, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	_ = req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read token request: %w", err)
	}
	if form, err := url.ParseQuery(string(raw)); err == nil && form.Get("grant_type") == "refresh_token" && form.Get("scope") == "" {
		form.Set("scope", Scope)
		raw = []byte(form.Encode())
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(raw))
	out.ContentLength = int64(len(raw))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
	return t.base.RoundTrip(out)
}

// refreshAccess exchanges a refresh token for a Microsoft account access token; the token it
// returns carries the refresh token to keep (a rotated one, or the same).
func (c *Client) refreshAccess(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	if strings.TrimSpace(refreshToken) == "" {
		return nil, fmt.Errorf("%w: no refresh token is stored", ErrSignInRequired)
	}
	tok, err := c.oauth2Config().TokenSource(c.oauthContext(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, oauthError("Microsoft account refresh", err)
	}
	c.secret(tok.AccessToken, tok.RefreshToken)
	return tok, nil
}

// DeviceCode starts the device-code sign-in a person completes in a browser: the answer holds
// the URL to open and the code to enter.
func (c *Client) DeviceCode(ctx context.Context) (*oauth2.DeviceAuthResponse, error) {
	da, err := c.oauth2Config().DeviceAuth(c.oauthContext(ctx), oauth2.SetAuthURLParam("response_type", "device_code"))
	if err != nil {
		return nil, oauthError("Microsoft account device code", err)
	}
	c.secret(da.DeviceCode)
	return da, nil
}

// AwaitDeviceCode polls until the person has signed in with the device code (or it expires,
// or ctx ends) and returns the Microsoft account token, whose RefreshToken is what a run
// signs in with.
func (c *Client) AwaitDeviceCode(ctx context.Context, da *oauth2.DeviceAuthResponse) (*oauth2.Token, error) {
	tok, err := c.oauth2Config().DeviceAccessToken(c.oauthContext(ctx), da)
	if err != nil {
		return nil, oauthError("Microsoft account device-code sign-in", err)
	}
	c.secret(tok.AccessToken, tok.RefreshToken)
	return tok, nil
}

// oauthError describes a failed Microsoft account request by its OAuth error code, never by
// its body: a refresh token Microsoft no longer takes wraps ErrSignInRequired, a refused
// client wraps ErrRefused.
func oauthError(step string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("%s: %w", step, err)
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	what := re.ErrorCode
	if re.ErrorDescription != "" {
		what += ": " + re.ErrorDescription
	}
	if what == "" {
		what = http.StatusText(status)
	}
	switch re.ErrorCode {
	case "invalid_grant", "expired_token", "bad_verification_code", "access_denied":
		return fmt.Errorf("%s answered %d (%s): %w", step, status, what, ErrSignInRequired)
	case "unauthorized_client", "invalid_client", "invalid_request", "invalid_scope", "unsupported_grant_type":
		return fmt.Errorf("%s answered %d (%s; check xboxLive.clientId): %w", step, status, what, ErrRefused)
	}
	return fmt.Errorf("%s answered %d (%s)", step, status, what)
}
