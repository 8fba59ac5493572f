// Package xbltoken implements the emulator's signed test tokens.
//
// Real Xbox Live calls carry `Authorization: XBL3.0 x=<userhash>;<token>` where the token is an
// encrypted XSTS token. The emulator cannot read those, so it uses its own scheme with the same
// outer shape: the token part is
//
//	mpsdemu.v1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "mpsdemu.v1." + payload))>
//
// and carries the caller's XUID, title id and whether the caller is a server principal. Anyone
// holding the key (the emulator, and a harness started with --emulator-token-key) can mint
// tokens; without it a token cannot be forged.
package xbltoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scheme is the authorization scheme every Xbox Live call uses.
const Scheme = "XBL3.0"

const tokenPrefix = "mpsdemu.v1."

// Errors returned by Parse. They are distinct so the emulator can say what was wrong.
var (
	ErrMissing   = errors.New("no Authorization header")
	ErrMalformed = errors.New("authorization header is not of the form 'XBL3.0 x=<userhash>;<token>'")
	ErrToken     = errors.New("token is not an emulator token")
	ErrSignature = errors.New("token signature does not verify")
	ErrExpired   = errors.New("token has expired")
	ErrClaims    = errors.New("token claims are invalid")
)

// Claims are what a token says about its caller.
type Claims struct {
	// XUID is the caller's Xbox user id as a decimal string; empty for a pure server principal.
	XUID string `json:"xid,omitempty"`
	// TitleID is the calling title as a decimal uint32 string.
	TitleID string `json:"tid"`
	// Server is true when the caller is a server (service) principal.
	Server bool `json:"srv,omitempty"`
	// Gamertag is informational; the emulator copies it into member records.
	Gamertag string `json:"gtg,omitempty"`
	// UserHash is the value after "x=" in the header; it must match the header.
	UserHash string `json:"uhs"`
	// IssuedAt and ExpiresAt are Unix seconds.
	IssuedAt  int64 `json:"iat"`
	ExpiresAt int64 `json:"exp"`
}

// Validate checks that the claims are well formed.
func (c Claims) Validate() error {
	if c.XUID == "" && !c.Server {
		return fmt.Errorf("%w: a user token needs a XUID", ErrClaims)
	}
	if c.XUID != "" {
		if _, err := strconv.ParseUint(c.XUID, 10, 64); err != nil || strings.HasPrefix(c.XUID, "+") {
			return fmt.Errorf("%w: XUID %q is not a decimal uint64", ErrClaims, c.XUID)
		}
	}
	if _, err := strconv.ParseUint(c.TitleID, 10, 32); err != nil || strings.HasPrefix(c.TitleID, "+") {
		return fmt.Errorf("%w: title id %q is not a decimal uint32", ErrClaims, c.TitleID)
	}
	if c.UserHash == "" || strings.ContainsAny(c.UserHash, "; \t") {
		return fmt.Errorf("%w: user hash %q is empty or has separators", ErrClaims, c.UserHash)
	}
	return nil
}

// Mint returns a complete Authorization header value for claims, signed with key.
// Zero IssuedAt/ExpiresAt are filled in from now with a 24 hour lifetime.
func Mint(key []byte, c Claims, now time.Time) (string, error) {
	if len(key) == 0 {
		return "", errors.New("mint token: empty signing key")
	}
	if c.UserHash == "" {
		c.UserHash = defaultUserHash(c)
	}
	if c.IssuedAt == 0 {
		c.IssuedAt = now.Unix()
	}
	if c.ExpiresAt == 0 {
		c.ExpiresAt = now.Add(24 * time.Hour).Unix()
	}
	if err := c.Validate(); err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(raw)
	sig := sign(key, payload)
	return fmt.Sprintf("%s x=%s;%s%s.%s", Scheme, c.UserHash, tokenPrefix, payload, sig), nil
}

// Parse verifies an Authorization header value and returns its claims.
func Parse(key []byte, header string, now time.Time) (Claims, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return Claims{}, ErrMissing
	}
	scheme, rest, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, Scheme) {
		return Claims{}, ErrMalformed
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "x=") {
		return Claims{}, ErrMalformed
	}
	userHash, token, ok := strings.Cut(rest[2:], ";")
	if !ok || userHash == "" || token == "" {
		return Claims{}, ErrMalformed
	}
	if !strings.HasPrefix(token, tokenPrefix) {
		return Claims{}, ErrToken
	}
	payload, sig, ok := strings.Cut(token[len(tokenPrefix):], ".")
	if !ok || payload == "" || sig == "" {
		return Claims{}, ErrToken
	}
	if len(key) == 0 || !hmac.Equal([]byte(sig), []byte(sign(key, payload))) {
		return Claims{}, ErrSignature
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload is not base64url", ErrToken)
	}
	var c Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		return Claims{}, fmt.Errorf("%w: payload is not JSON", ErrToken)
	}
	if err := c.Validate(); err != nil {
		return Claims{}, err
	}
	if c.UserHash != userHash {
		return Claims{}, fmt.Errorf("%w: user hash in header does not match the token", ErrClaims)
	}
	if c.ExpiresAt != 0 && now.Unix() >= c.ExpiresAt {
		return Claims{}, ErrExpired
	}
	return c, nil
}

func sign(key []byte, payload string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(tokenPrefix))
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// defaultUserHash derives a stable, opaque user hash so minted headers look like real ones.
func defaultUserHash(c Claims) string {
	sum := sha256.Sum256([]byte(c.XUID + "/" + c.TitleID + "/" + strconv.FormatBool(c.Server)))
	return fmt.Sprintf("%x", sum[:10])
}
