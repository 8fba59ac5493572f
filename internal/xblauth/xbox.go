package xblauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Relying parties of the Xbox Live token services.
const (
	// RelyingPartyAuth is the relying party of user and device tokens.
	RelyingPartyAuth = "http://auth.xboxlive.com"
	// RelyingPartyXboxLive is the relying party of the XSTS token every Xbox Live service,
	// MPSD included, accepts.
	RelyingPartyXboxLive = "http://xboxlive.com"
)

// xtoken is a token of the Xbox Live token services (user, device, title, XSTS).
type xtoken struct {
	IssueInstant  time.Time     `json:"IssueInstant"`
	NotAfter      time.Time     `json:"NotAfter"`
	Token         string        `json:"Token"`
	DisplayClaims displayClaims `json:"DisplayClaims"`
}

// displayClaims are the claims a token shows: the users (xui) of user and XSTS tokens.
type displayClaims struct {
	Users []userClaims `json:"xui"`
}

// userClaims are one user's claims: user hash, and in XSTS tokens the XUID and gamertag.
type userClaims struct {
	UserHash string `json:"uhs"`
	XUID     string `json:"xid"`
	Gamertag string `json:"gtg"`
}

// valid reports whether the token is there and has not expired at now.
func (t *xtoken) valid(now time.Time) bool {
	return t != nil && t.Token != "" && now.Before(t.NotAfter)
}

// userToken asks user.auth.xboxlive.com for a user token for a Microsoft account access token.
func (c *Client) userToken(ctx context.Context, accessToken string) (*xtoken, error) {
	body := map[string]any{
		"RelyingParty": RelyingPartyAuth,
		"TokenType":    "JWT",
		"Properties": map[string]any{
			"AuthMethod": "RPS",
			"SiteName":   "user.auth.xboxlive.com",
			"RpsTicket":  "t=" + accessToken,
		},
	}
	var tok xtoken
	if err := c.send(ctx, "user token", c.cfg.Endpoints.UserAuth, "/user/authenticate", body, nil, &tok); err != nil {
		return nil, err
	}
	if len(tok.DisplayClaims.Users) == 0 || tok.DisplayClaims.Users[0].UserHash == "" {
		return nil, fmt.Errorf("user token: the answer has no user hash (DisplayClaims.xui[0].uhs)")
	}
	c.secret(tok.Token)
	return &tok, nil
}

// xsts asks xsts.auth.xboxlive.com for the XSTS token of a user token, for http://xboxlive.com
// in the configured sandbox.
func (c *Client) xsts(ctx context.Context, user *xtoken) (*xtoken, error) {
	body := map[string]any{
		"RelyingParty": RelyingPartyXboxLive,
		"TokenType":    "JWT",
		"Properties":   map[string]any{"UserTokens": []string{user.Token}, "SandboxId": c.cfg.Sandbox},
	}
	var tok xtoken
	if err := c.send(ctx, "XSTS", c.cfg.Endpoints.XSTS, "/xsts/authorize", body, nil, &tok); err != nil {
		return nil, err
	}
	c.secret(tok.Token)
	return &tok, nil
}

// device is this process's Xbox Live device: a proof key and the device token issued for it.
type device struct {
	key   proofKey
	token *xtoken
}

// deviceToken returns the process's device token, authenticating a new device (with a new
// proof key) when there is none or it expired. Device tokens are rate-limited, so one serves
// every user of the process.
func (c *Client) deviceToken(ctx context.Context, fresh bool) (*device, error) {
	c.deviceMu.Lock()
	defer c.deviceMu.Unlock()
	if !fresh && c.device != nil && c.device.token.valid(c.serviceNow().Add(time.Minute)) {
		return c.device, nil
	}
	key, err := newProofKeyPair()
	if err != nil {
		return nil, err
	}
	id := "{" + strings.ToUpper(uuid.NewString()) + "}"
	body := map[string]any{
		"RelyingParty": RelyingPartyAuth,
		"TokenType":    "JWT",
		"Properties": map[string]any{
			"AuthMethod": "ProofOfPossession",
			"Id":         id,
			"DeviceType": c.cfg.DeviceType,
			"Version":    c.cfg.DeviceVersion,
			"ProofKey":   key.jwk,
		},
	}
	d := &device{key: key}
	var tok xtoken
	if err := c.send(ctx, "device token", c.cfg.Endpoints.DeviceAuth, "/device/authenticate", body, d, &tok); err != nil {
		return nil, err
	}
	if tok.Token == "" {
		return nil, fmt.Errorf("device token: the answer has no Token")
	}
	c.secret(tok.Token)
	d.token = &tok
	c.device = d
	return d, nil
}

// sisuAnswer is the answer of sisu.xboxlive.com/authorize.
type sisuAnswer struct {
	DeviceToken        string  `json:"DeviceToken"`
	TitleToken         *xtoken `json:"TitleToken"`
	UserToken          *xtoken `json:"UserToken"`
	AuthorizationToken *xtoken `json:"AuthorizationToken"`
}

// sisu asks sisu.xboxlive.com for the user, title and XSTS tokens of a Microsoft account
// access token on the process's device, in one signed request.
func (c *Client) sisu(ctx context.Context, accessToken string, d *device) (*xtoken, error) {
	body := map[string]any{
		"AccessToken":       "t=" + accessToken,
		"AppId":             c.cfg.ClientID,
		"DeviceToken":       d.token.Token,
		"Sandbox":           c.cfg.Sandbox,
		"SiteName":          "user.auth.xboxlive.com",
		"RelyingParty":      RelyingPartyXboxLive,
		"UseModernGamertag": true,
		"ProofKey":          d.key.jwk,
	}
	var ans sisuAnswer
	if err := c.send(ctx, "SISU", c.cfg.Endpoints.SISU, "/authorize", body, d, &ans); err != nil {
		return nil, err
	}
	if ans.AuthorizationToken == nil || ans.AuthorizationToken.Token == "" {
		return nil, fmt.Errorf("SISU: the answer has no AuthorizationToken")
	}
	for _, t := range []*xtoken{ans.TitleToken, ans.UserToken, ans.AuthorizationToken} {
		if t != nil {
			c.secret(t.Token)
		}
	}
	return ans.AuthorizationToken, nil
}

// maxAnswerBytes caps how much of a sign-in service's answer is read.
const maxAnswerBytes = 1 << 20

// send sends body as JSON to base+path (x-xbl-contract-version 1), signed with the device's
// proof key when d is not nil, and decodes a 200 answer into out; any other answer is a
// refusal (see refusal). A signed request refused while the service's clock (its Date header)
// is far from ours is sent once more with the clock corrected.
func (c *Client) send(ctx context.Context, service, base, path string, body any, d *device, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", service, err)
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%s: %w", service, err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("x-xbl-contract-version", "1")
		skewBefore := c.clockSkew()
		if d != nil {
			if err := Sign(req, raw, d.key.private, c.now().Add(skewBefore)); err != nil {
				return fmt.Errorf("%s: %w", service, err)
			}
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %w", service, err)
		}
		answer, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		_ = resp.Body.Close()
		c.observeClock(resp.Header.Get("Date"))
		if readErr != nil {
			return fmt.Errorf("%s: reading the answer: %w", service, readErr)
		}
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(answer, out); err != nil {
				return fmt.Errorf("%s: the answer is not the expected JSON: %v", service, err)
			}
			return nil
		}
		skewed := d != nil && attempt == 0 && absDuration(c.clockSkew()-skewBefore) > time.Minute
		if skewed && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			continue // signed with a clock the service does not share: sign again with its time
		}
		return refusal(service, resp, answer)
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
