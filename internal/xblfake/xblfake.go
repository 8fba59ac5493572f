// Package xblfake is a local, strict fake of the public Xbox Live sign-in services, for tests
// of the conformance harness only.
//
// The harness signs test users in from a stored Microsoft-account refresh token and renews
// their tokens. Tests never reach the internet, so this fake serves all five services the
// harness talks to on one plain-HTTP [httptest.Server] on 127.0.0.1:
//
//	login.live.com            POST /oauth20_connect.srf  (device code)
//	                          POST /oauth20_token.srf    (token: device_code and refresh_token grants)
//	user.auth.xboxlive.com    POST /user/authenticate    (user token)
//	device.auth.xboxlive.com  POST /device/authenticate  (device token, signed request)
//	sisu.xboxlive.com         POST /authorize            (SISU authorization, signed request)
//	xsts.auth.xboxlive.com    POST /xsts/authorize       (XSTS token)
//
// It follows the public wire protocol as used by the public clients
// PrismarineJS/prismarine-auth, df-mc/go-xsapi xal/, OpenXbox/xbox-webapi-python (field
// names, header names, the request-signing scheme, token shapes) and is deliberately strict:
// it refuses what the real services refuse (for example a refresh_token grant without the
// scope parameter, or a signed request whose Signature header does not verify), so a test
// that passes against the fake proves the client is right. No code is taken from those
// projects.
//
// Tokens it issues are random opaque strings (the XSTS token can be minted by the test with
// [Options.MintXSTS]) and they expire on the fake's clock ([Options.Now] plus
// [Options.ClockSkew]); an expired token is refused like an unknown one. Every answer carries
// a Date header from that clock.
//
// Choices the public protocol leaves open are documented on the names they concern and in
// the handler files: JSON endpoints do not require a Content-Type (one public client sends
// text/plain), form endpoints require application/x-www-form-urlencoded, 400 answers of the
// Xbox endpoints carry {"error":"invalid_request","error_description":...}, XSTS does not
// check a Signature header, and the XErr 2148916230 ([XErrSandboxMismatch]) used for a wrong
// sandbox is not from the public list.
package xblfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Protocol constants shared by the fake and its users.
const (
	// Scope is the only OAuth scope the fake accepts (the Xbox Live RPS scope).
	Scope = "service::user.auth.xboxlive.com::MBI_SSL"
	// DefaultClientID is the client id accepted when Options.ClientID is empty.
	DefaultClientID = "00000000441cc96b"
	// DefaultTitleID is the title id used when Options.TitleID is empty.
	DefaultTitleID = "1934211234"
	// DefaultSandbox is the sandbox accepted when Options.Sandbox is empty.
	DefaultSandbox = "RETAIL"
	// VerificationURI is the verification_uri of every device-code answer.
	VerificationURI = "https://www.microsoft.com/link"
	// DeviceCodeLifetime is the expires_in of a device code; a poll after it answers expired_token.
	DeviceCodeLifetime = 900 * time.Second
	// MaxSignatureSkew is how far a Signature header's timestamp may be from the fake's clock.
	MaxSignatureSkew = 5 * time.Minute
	// MaxBodyBytes is the largest request body the fake reads; a larger one answers 413.
	MaxBodyBytes = 64 << 10

	// XErrNoXboxAccount is the public XErr for a Microsoft account without an Xbox profile.
	XErrNoXboxAccount uint32 = 2148916233
	// XErrSandboxMismatch is the XErr the fake answers when the sandbox is not Options.Sandbox.
	// It is NOT in the public list of XErr codes; the fake only needs some distinct code.
	XErrSandboxMismatch uint32 = 2148916230
)

// Options configure a fake; zero values get the defaults in brackets.
type Options struct {
	// ClientID is the only accepted client_id / AppId ["00000000441cc96b"].
	ClientID string
	// TitleID is the tid in title tokens ["1934211234"].
	TitleID string
	// Sandbox is the accepted sandbox ["RETAIL"].
	Sandbox string
	// AccessTokenLifetime is how long a Microsoft access token works [1h]. UserTokenLifetime
	// [14*24h], DeviceTokenLifetime [14*24h] and XSTSLifetime [16h] set the NotAfter of the
	// user, device and XSTS tokens. A title token (SISU) lives DeviceTokenLifetime.
	AccessTokenLifetime, UserTokenLifetime, DeviceTokenLifetime, XSTSLifetime time.Duration
	// RotateRefreshTokens makes each refresh return a new refresh token; the old one stops working.
	RotateRefreshTokens bool
	// PendingPolls is how many polls of a device code answer authorization_pending before
	// success [1]; a negative value means none.
	PendingPolls int
	// DeviceCodeInterval is the interval field (seconds) of the device code answer [1].
	DeviceCodeInterval int
	// MintXSTS returns the Token part of an XSTS token for account a, user hash uhs, expiring
	// at notAfter. Tests use it to issue tokens a target accepts. nil: an opaque random token.
	// An error makes the XSTS or SISU request answer 500.
	MintXSTS func(a Account, uhs string, notAfter time.Time) (string, error)
	// Now is the base of the fake's clock [time.Now]. It must be safe for concurrent use.
	Now func() time.Time
	// ClockSkew is how far the fake's clock runs ahead of Now (Date header, signature check,
	// token issue and expiry).
	ClockSkew time.Duration
}

// Account is a Microsoft account with an Xbox profile.
type Account struct {
	// XUID is the Xbox user id (decimal string); it identifies the account in the fake.
	XUID string
	// Gamertag is the gtg display claim.
	Gamertag string
	// XErr, when non-zero, makes XSTS and SISU refuse the account with this XErr
	// (e.g. 2148916233, no Xbox profile).
	XErr uint32
}

// Stats counts requests that reached each endpoint with a POST, whatever the answer.
// RefreshesWithoutScope (a subset of Refreshes) counts refresh_token grants refused because
// scope was missing or not [Scope]. BadSignatures counts requests refused because the
// Signature header was missing, malformed, outside [MaxSignatureSkew], did not verify, or (at
// SISU) was made with a key other than the device token's.
type Stats struct {
	DeviceCodes, DeviceCodePolls, Refreshes, RefreshesWithoutScope, UserTokens, DeviceTokens, SISU, XSTS, BadSignatures int
}

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port) of every service; append the paths above.
	URL string

	ts   *httptest.Server
	opts Options

	mu       sync.Mutex
	accounts map[string]*account // by XUID
	refresh  map[string]*refreshRec
	access   map[string]grant       // access token -> account
	users    map[string]grant       // user token -> account
	devices  map[string]deviceGrant // device token -> proof key
	titles   map[string]time.Time   // title token -> NotAfter
	codes    map[string]*deviceCode // device_code -> state
	approved string                 // XUID that device codes sign in, "" for none
	stats    Stats
}

type account struct {
	Account
	uhs     string // user hash, stable per account
	userID  string // user_id of the OAuth answers
	current string // the refresh token issued last that still works, "" if none
}

type refreshRec struct {
	xuid  string
	valid bool
}

type grant struct {
	xuid     string
	notAfter time.Time
}

type deviceGrant struct {
	key      proofKey
	notAfter time.Time
}

type deviceCode struct {
	polls    int
	notAfter time.Time
}

// New starts a fake on a new httptest server; Close stops it.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.TitleID == "" {
		opts.TitleID = DefaultTitleID
	}
	if opts.Sandbox == "" {
		opts.Sandbox = DefaultSandbox
	}
	if opts.AccessTokenLifetime <= 0 {
		opts.AccessTokenLifetime = time.Hour
	}
	if opts.UserTokenLifetime <= 0 {
		opts.UserTokenLifetime = 14 * 24 * time.Hour
	}
	if opts.DeviceTokenLifetime <= 0 {
		opts.DeviceTokenLifetime = 14 * 24 * time.Hour
	}
	if opts.XSTSLifetime <= 0 {
		opts.XSTSLifetime = 16 * time.Hour
	}
	switch {
	case opts.PendingPolls == 0:
		opts.PendingPolls = 1
	case opts.PendingPolls < 0:
		opts.PendingPolls = 0
	}
	if opts.DeviceCodeInterval <= 0 {
		opts.DeviceCodeInterval = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:     opts,
		accounts: make(map[string]*account),
		refresh:  make(map[string]*refreshRec),
		access:   make(map[string]grant),
		users:    make(map[string]grant),
		devices:  make(map[string]deviceGrant),
		titles:   make(map[string]time.Time),
		codes:    make(map[string]*deviceCode),
	}
	s.ts = httptest.NewServer(s.routes())
	s.URL = s.ts.URL
	return s
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.ts.Close() }

// AddAccount registers a signed-in account and returns its first refresh token. For an
// account that exists already it updates Gamertag and XErr and returns an additional refresh
// token (a second sign-in); earlier tokens keep working. It panics on an empty XUID.
func (s *Server) AddAccount(a Account) (refreshToken string) {
	if a.XUID == "" {
		panic("xblfake: AddAccount with an empty XUID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := s.accounts[a.XUID]
	if acc == nil {
		acc = s.newAccountLocked(a)
	} else {
		acc.Gamertag, acc.XErr = a.Gamertag, a.XErr
	}
	return s.issueRefreshLocked(acc)
}

// RevokeRefreshTokens makes every refresh token of the account stop working (access tokens
// already issued keep working until they expire, as with the real service). It panics for
// an unknown XUID.
func (s *Server) RevokeRefreshTokens(xuid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := s.mustAccountLocked(xuid)
	for _, rec := range s.refresh {
		if rec.xuid == xuid {
			rec.valid = false
		}
	}
	acc.current = ""
}

// SetXErr makes XSTS and SISU refuse the account with code from now on, or with 0 accept it
// again. It panics for an unknown XUID.
func (s *Server) SetXErr(xuid string, code uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustAccountLocked(xuid).XErr = code
}

// ApproveDeviceCodes makes device codes polled from now on (past their PendingPolls) sign a
// in. The account is added if new; an existing account is left as it is.
func (s *Server) ApproveDeviceCodes(a Account) {
	if a.XUID == "" {
		panic("xblfake: ApproveDeviceCodes with an empty XUID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.accounts[a.XUID] == nil {
		s.newAccountLocked(a)
	}
	s.approved = a.XUID
}

// CurrentRefreshToken returns the refresh token of the account that works now (the one
// issued last, after rotations), or "" if none works or the account is unknown.
func (s *Server) CurrentRefreshToken(xuid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if acc := s.accounts[xuid]; acc != nil {
		return acc.current
	}
	return ""
}

// Secrets returns every token and code the fake has issued so far (refresh, access, user,
// device and title tokens, device codes; XSTS tokens are the test's own with MintXSTS), for
// tests that prove none reaches a report.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t := range s.refresh {
		out = append(out, t)
	}
	for t := range s.access {
		out = append(out, t)
	}
	for t := range s.users {
		out = append(out, t)
	}
	for t := range s.devices {
		out = append(out, t)
	}
	for t := range s.titles {
		out = append(out, t)
	}
	for t := range s.codes {
		out = append(out, t)
	}
	return out
}

// UserHash returns the (stable) user hash of the account, as found in uhs claims.
func UserHash(xuid string) string {
	sum := sha256.Sum256([]byte("xblfake uhs " + xuid))
	n := binary.BigEndian.Uint64(sum[:8])%9_000_000_000_000_000_000 + 1_000_000_000_000_000_000
	return strconv.FormatUint(n, 10) // always 19 digits
}

// Stats returns the request counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// now is the fake's clock.
func (s *Server) now() time.Time { return s.opts.Now().Add(s.opts.ClockSkew) }

func (s *Server) newAccountLocked(a Account) *account {
	sum := sha256.Sum256([]byte("xblfake cid " + a.XUID))
	acc := &account{Account: a, uhs: UserHash(a.XUID), userID: hex.EncodeToString(sum[:8])}
	s.accounts[a.XUID] = acc
	return acc
}

func (s *Server) mustAccountLocked(xuid string) *account {
	acc := s.accounts[xuid]
	if acc == nil {
		panic(fmt.Sprintf("xblfake: unknown account %q", xuid))
	}
	return acc
}

func (s *Server) issueRefreshLocked(acc *account) string {
	tok := "M.C5" + "_BAY.0.U." + randB64(120)
	s.refresh[tok] = &refreshRec{xuid: acc.XUID, valid: true}
	acc.current = tok
	return tok
}

// randB64 returns n base64url characters (no padding) of fresh randomness; n%4 == 0.
func randB64(n int) string {
	b := make([]byte, n/4*3)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// randAlnum returns n characters of an unambiguous upper-case alphabet (user codes).
func randAlnum(n int) string {
	const alphabet = "BCDFGHJKLMNPQRSTVWXZ23456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}

// xblToken returns a new opaque token shaped like the real (JWE) ones.
func xblToken() string {
	return "eyJlbmMiOiJBMTI4Q0JDK0hTMjU2IiwiYWxnIjoiUlNBLU9BRVAifQ." + randB64(256)
}

// xblTime formats t as the Xbox services do: RFC 3339, UTC, seven fractional digits.
func xblTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// httpDate formats t for a Date header.
func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
