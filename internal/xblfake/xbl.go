package xblfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The Xbox Live token endpoints. Request bodies are JSON (no Content-Type is required: the
// public clients send application/json or text/plain); unknown fields are ignored, a body
// that is not JSON of the right shape answers 400. The user, device and XSTS endpoints
// require the header x-xbl-contract-version: 1 (else 400); SISU does not. Checks run in this
// order: shape (400), signature (401, device and SISU), tokens (401, empty body), sandbox
// (401 XErr), account XErr (401 XErr). XSTS does not check a Signature header.

const (
	authRelyingParty = "http://auth.xboxlive.com"
	xblRelyingParty  = "http://xboxlive.com"
	siteName         = "user.auth.xboxlive.com"
)

// xtoken is the common shape of every Xbox token answer.
type xtoken struct {
	IssueInstant  string
	NotAfter      string
	Token         string
	DisplayClaims any
}

type userClaim struct {
	UHS string `json:"uhs"`
}

type xstsClaim struct {
	UHS string `json:"uhs"`
	XID string `json:"xid"`
	GTG string `json:"gtg"`
	AGG string `json:"agg"`
	PRV string `json:"prv"`
}

type xuiClaims[T any] struct {
	XUI []T `json:"xui"`
}

type sisuAnswer struct {
	DeviceToken        string
	TitleToken         xtoken
	UserToken          xtoken
	AuthorizationToken xtoken
}

// contractV1 answers 400 unless the request carries x-xbl-contract-version: 1.
func contractV1(w http.ResponseWriter, r *http.Request) bool {
	if strings.TrimSpace(r.Header.Get("x-xbl-contract-version")) != "1" {
		badRequest(w, "the header x-xbl-contract-version: 1 is required")
		return false
	}
	return true
}

func decodeJSON(w http.ResponseWriter, body []byte, v any) bool {
	if err := json.Unmarshal(body, v); err != nil {
		badRequest(w, "the body is not valid JSON of the expected shape: "+err.Error())
		return false
	}
	return true
}

// rpsTicket strips the t= (Microsoft account) or d= (Azure) prefix of an RPS ticket.
func rpsTicket(ticket string) (string, bool) {
	if t, ok := strings.CutPrefix(ticket, "t="); ok {
		return t, true
	}
	return strings.CutPrefix(ticket, "d=")
}

// validLocked returns the account a live token of m belongs to, or nil.
func (s *Server) validLocked(m map[string]grant, token string, now time.Time) *account {
	g, ok := m[token]
	if !ok || token == "" || !now.Before(g.notAfter) {
		return nil
	}
	return s.accounts[g.xuid]
}

func (s *Server) userTokenLocked(acc *account, now time.Time) xtoken {
	tok, notAfter := xblToken(), now.Add(s.opts.UserTokenLifetime)
	s.users[tok] = grant{xuid: acc.XUID, notAfter: notAfter}
	return xtoken{xblTime(now), xblTime(notAfter), tok, xuiClaims[userClaim]{[]userClaim{{acc.uhs}}}}
}

// xsts mints an XSTS token; it runs without the lock (MintXSTS is the test's code).
func (s *Server) xsts(a Account, uhs string, now time.Time) (xtoken, error) {
	notAfter := now.Add(s.opts.XSTSLifetime)
	tok := xblToken()
	if s.opts.MintXSTS != nil {
		var err error
		if tok, err = s.opts.MintXSTS(a, uhs, notAfter); err != nil {
			return xtoken{}, err
		}
	}
	claim := xstsClaim{UHS: uhs, XID: a.XUID, GTG: a.Gamertag, AGG: "Adult", PRV: "185 254"}
	return xtoken{xblTime(now), xblTime(notAfter), tok, xuiClaims[xstsClaim]{[]xstsClaim{claim}}}, nil
}

func redirectFor(code uint32) string {
	if code == XErrNoXboxAccount {
		return "https://start.ui.xboxlive.com/CreateAccount"
	}
	return "https://start.ui.xboxlive.com/"
}

func (s *Server) handleUser(w http.ResponseWriter, r *http.Request, now time.Time, body []byte) {
	s.count(func(st *Stats) { st.UserTokens++ })
	if !contractV1(w, r) {
		return
	}
	var req struct {
		RelyingParty, TokenType string
		Properties              struct{ AuthMethod, SiteName, RpsTicket string }
	}
	if !decodeJSON(w, body, &req) {
		return
	}
	ticket, ok := rpsTicket(req.Properties.RpsTicket)
	switch {
	case req.RelyingParty != authRelyingParty:
		badRequest(w, "RelyingParty must be "+authRelyingParty)
		return
	case req.TokenType != "JWT":
		badRequest(w, "TokenType must be JWT")
		return
	case req.Properties.AuthMethod != "RPS":
		badRequest(w, "Properties.AuthMethod must be RPS")
		return
	case req.Properties.SiteName != siteName:
		badRequest(w, "Properties.SiteName must be "+siteName)
		return
	case !ok:
		badRequest(w, "Properties.RpsTicket must be t=<access token> or d=<access token>")
		return
	}
	s.mu.Lock()
	acc := s.validLocked(s.access, ticket, now)
	if acc == nil {
		s.mu.Unlock()
		unauthorized(w)
		return
	}
	ans := s.userTokenLocked(acc, now)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request, now time.Time, body []byte) {
	s.count(func(st *Stats) { st.DeviceTokens++ })
	if !contractV1(w, r) {
		return
	}
	var req struct {
		RelyingParty, TokenType string
		Properties              struct {
			AuthMethod, Id, DeviceType, Version string
			ProofKey                            json.RawMessage
		}
	}
	if !decodeJSON(w, body, &req) {
		return
	}
	p := req.Properties
	inner, braced := strings.CutPrefix(p.Id, "{")
	inner, closed := strings.CutSuffix(inner, "}")
	_, idErr := uuid.Parse(inner)
	switch {
	case req.RelyingParty != authRelyingParty:
		badRequest(w, "RelyingParty must be "+authRelyingParty)
		return
	case req.TokenType != "JWT":
		badRequest(w, "TokenType must be JWT")
		return
	case p.AuthMethod != "ProofOfPossession":
		badRequest(w, "Properties.AuthMethod must be ProofOfPossession")
		return
	case !braced || !closed || idErr != nil || len(inner) != 36:
		badRequest(w, "Properties.Id must be a GUID in braces, {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}")
		return
	case p.DeviceType == "" || p.Version == "":
		badRequest(w, "Properties.DeviceType and Properties.Version are required")
		return
	}
	key, err := parseProofKey(p.ProofKey)
	if err != nil {
		badRequest(w, "Properties."+err.Error())
		return
	}
	if err := verifySignature(r, body, key, now); err != nil {
		s.count(func(st *Stats) { st.BadSignatures++ })
		unauthorized(w)
		return
	}
	sum := sha256.Sum256([]byte(strings.ToLower(inner)))
	did := strings.ToUpper(hex.EncodeToString(sum[:8]))
	tok, notAfter := xblToken(), now.Add(s.opts.DeviceTokenLifetime)
	s.mu.Lock()
	s.devices[tok] = deviceGrant{key: key, notAfter: notAfter}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, xtoken{xblTime(now), xblTime(notAfter), tok,
		map[string]any{"xdi": map[string]string{"did": did, "dcs": "0"}}})
}

func (s *Server) handleSISU(w http.ResponseWriter, r *http.Request, now time.Time, body []byte) {
	s.count(func(st *Stats) { st.SISU++ })
	var req struct {
		AccessToken, AppId, DeviceToken, Sandbox, SiteName, RelyingParty string
		UseModernGamertag                                                bool
		ProofKey                                                         json.RawMessage
	}
	if !decodeJSON(w, body, &req) {
		return
	}
	ticket, ok := rpsTicket(req.AccessToken)
	switch {
	case !ok:
		badRequest(w, "AccessToken must be t=<access token> or d=<access token>")
		return
	case req.AppId != s.opts.ClientID:
		badRequest(w, "AppId is not a known client id")
		return
	case req.SiteName != siteName:
		badRequest(w, "SiteName must be "+siteName)
		return
	case req.RelyingParty != xblRelyingParty:
		badRequest(w, "RelyingParty must be "+xblRelyingParty)
		return
	case req.DeviceToken == "":
		badRequest(w, "DeviceToken is required")
		return
	}
	key, err := parseProofKey(req.ProofKey)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if err := verifySignature(r, body, key, now); err != nil {
		s.count(func(st *Stats) { st.BadSignatures++ })
		unauthorized(w)
		return
	}
	s.mu.Lock()
	acc := s.validLocked(s.access, ticket, now)
	dev, devOK := s.devices[req.DeviceToken]
	devOK = devOK && now.Before(dev.notAfter)
	switch {
	case acc == nil || !devOK:
		s.mu.Unlock()
		unauthorized(w)
		return
	case !dev.key.equal(key):
		s.stats.BadSignatures++
		s.mu.Unlock()
		unauthorized(w)
		return
	}
	if code := s.accountRefusal(req.Sandbox, acc); code != 0 {
		s.mu.Unlock()
		refuseXErr(w, code, "")
		return
	}
	user := s.userTokenLocked(acc, now)
	title, titleNotAfter := xblToken(), now.Add(s.opts.DeviceTokenLifetime)
	s.titles[title] = titleNotAfter
	a, uhs := acc.Account, acc.uhs
	s.mu.Unlock()
	authz, err := s.xsts(a, uhs, now)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "mint_failed", Description: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, sisuAnswer{
		DeviceToken: req.DeviceToken,
		TitleToken: xtoken{xblTime(now), xblTime(titleNotAfter), title,
			map[string]any{"xti": map[string]string{"tid": s.opts.TitleID}}},
		UserToken:          user,
		AuthorizationToken: authz,
	})
}

func (s *Server) handleXSTS(w http.ResponseWriter, r *http.Request, now time.Time, body []byte) {
	s.count(func(st *Stats) { st.XSTS++ })
	if !contractV1(w, r) {
		return
	}
	var req struct {
		RelyingParty, TokenType string
		Properties              struct {
			UserTokens              []string
			SandboxId               string
			DeviceToken, TitleToken *string
		}
	}
	if !decodeJSON(w, body, &req) {
		return
	}
	p := req.Properties
	switch {
	case req.RelyingParty != xblRelyingParty:
		badRequest(w, "RelyingParty must be "+xblRelyingParty)
		return
	case req.TokenType != "JWT":
		badRequest(w, "TokenType must be JWT")
		return
	case len(p.UserTokens) != 1:
		badRequest(w, "Properties.UserTokens must hold exactly one user token")
		return
	}
	s.mu.Lock()
	acc := s.validLocked(s.users, p.UserTokens[0], now)
	ok := acc != nil
	if p.DeviceToken != nil {
		dev, found := s.devices[*p.DeviceToken]
		ok = ok && found && now.Before(dev.notAfter)
	}
	if p.TitleToken != nil {
		notAfter, found := s.titles[*p.TitleToken]
		ok = ok && found && now.Before(notAfter)
	}
	if !ok {
		s.mu.Unlock()
		unauthorized(w)
		return
	}
	if code := s.accountRefusal(p.SandboxId, acc); code != 0 {
		s.mu.Unlock()
		refuseXErr(w, code, redirectFor(code))
		return
	}
	a, uhs := acc.Account, acc.uhs
	s.mu.Unlock()
	ans, err := s.xsts(a, uhs, now)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "mint_failed", Description: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

// accountRefusal is the XErr with which SISU and XSTS refuse acc in sandbox (the sandbox is
// not the fake's, or the account is refused), or 0 (s.mu held).
func (s *Server) accountRefusal(sandbox string, acc *account) uint32 {
	if sandbox != s.opts.Sandbox {
		return XErrSandboxMismatch
	}
	return acc.XErr
}
