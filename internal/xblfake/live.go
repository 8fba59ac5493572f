package xblfake

import (
	"mime"
	"net/http"
	"net/url"
	"time"
)

// The Microsoft account OAuth endpoints (login.live.com). Requests are form-encoded; the
// fake requires Content-Type application/x-www-form-urlencoded and reads parameters from the
// body only (not the query string). A device code that has signed in is consumed: polling it
// again answers bad_verification_code like an unknown one; a device code older than
// DeviceCodeLifetime answers expired_token (RFC 8628). The fake never answers slow_down.

const (
	grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
	grantRefresh    = "refresh_token"
)

// tokenAnswer is the success answer of the token endpoint.
type tokenAnswer struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	UserID       string `json:"user_id"`
}

// deviceCodeAnswer is the success answer of the device code endpoint.
type deviceCodeAnswer struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURI string `json:"verification_uri"`
	Interval        int    `json:"interval"`
	ExpiresIn       int    `json:"expires_in"`
}

func oauthError(w http.ResponseWriter, code, description string) {
	writeJSON(w, http.StatusBadRequest, errorBody{Error: code, Description: description})
}

// parseForm returns the form of a form-encoded body, or answers invalid_request and false.
func parseForm(w http.ResponseWriter, r *http.Request, body []byte) (url.Values, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		oauthError(w, "invalid_request", "The request body must be application/x-www-form-urlencoded.")
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		oauthError(w, "invalid_request", "The request body is not a valid form.")
		return nil, false
	}
	return form, true
}

func (s *Server) handleDeviceCode(w http.ResponseWriter, r *http.Request, now time.Time, body []byte) {
	s.count(func(st *Stats) { st.DeviceCodes++ })
	form, ok := parseForm(w, r, body)
	if !ok {
		return
	}
	switch {
	case form.Get("client_id") != s.opts.ClientID:
		oauthError(w, "invalid_request", "The provided value for the input parameter 'client_id' is not valid.")
		return
	case form.Get("scope") != Scope:
		oauthError(w, "invalid_request", "The provided value for the input parameter 'scope' is not valid.")
		return
	case form.Get("response_type") != "device_code":
		oauthError(w, "invalid_request", "The provided value for the input parameter 'response_type' is not valid.")
		return
	}
	code := "CAQABAAEAAAD" + randB64(96)
	s.mu.Lock()
	s.codes[code] = &deviceCode{notAfter: now.Add(DeviceCodeLifetime)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, deviceCodeAnswer{
		UserCode:        randAlnum(8),
		DeviceCode:      code,
		VerificationURI: VerificationURI,
		Interval:        s.opts.DeviceCodeInterval,
		ExpiresIn:       int(DeviceCodeLifetime / time.Second),
	})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, now time.Time, body []byte) {
	form, ok := parseForm(w, r, body)
	if !ok {
		return
	}
	switch form.Get("grant_type") {
	case grantDeviceCode:
		s.pollDeviceCode(w, form, now)
	case grantRefresh:
		s.refreshGrant(w, form, now)
	default:
		oauthError(w, "unsupported_grant_type", "The provided value for the input parameter 'grant_type' is not valid.")
	}
}

// checkClient answers invalid_request for a missing client_id, unauthorized_client for a
// wrong one.
func (s *Server) checkClient(w http.ResponseWriter, form url.Values) bool {
	switch id := form.Get("client_id"); {
	case id == "":
		oauthError(w, "invalid_request", "The request must include the client_id parameter.")
		return false
	case id != s.opts.ClientID:
		oauthError(w, "unauthorized_client", "The client does not exist or is not enabled for consumers.")
		return false
	}
	return true
}

func (s *Server) pollDeviceCode(w http.ResponseWriter, form url.Values, now time.Time) {
	s.count(func(st *Stats) { st.DeviceCodePolls++ })
	if !s.checkClient(w, form) {
		return
	}
	code := form.Get("device_code")
	if code == "" {
		oauthError(w, "invalid_request", "The request must include the device_code parameter.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dc := s.codes[code]
	switch {
	case dc == nil:
		oauthError(w, "bad_verification_code", "The provided value for the input parameter 'device_code' is not valid.")
		return
	case !now.Before(dc.notAfter):
		delete(s.codes, code)
		oauthError(w, "expired_token", "The device code has expired.")
		return
	}
	dc.polls++
	if dc.polls <= s.opts.PendingPolls || s.approved == "" {
		oauthError(w, "authorization_pending", "The user has not yet approved the request.")
		return
	}
	delete(s.codes, code)
	acc := s.accounts[s.approved]
	writeJSON(w, http.StatusOK, s.tokensLocked(acc, s.issueRefreshLocked(acc), now))
}

func (s *Server) refreshGrant(w http.ResponseWriter, form url.Values, now time.Time) {
	s.count(func(st *Stats) { st.Refreshes++ })
	if form.Get("refresh_token") == "" {
		oauthError(w, "invalid_request", "The request must include the refresh_token parameter.")
		return
	}
	if _, present := form["scope"]; !present || form.Get("scope") != Scope {
		s.count(func(st *Stats) { st.RefreshesWithoutScope++ })
		oauthError(w, "invalid_request", "The request must include the scope parameter.")
		return
	}
	if !s.checkClient(w, form) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := form.Get("refresh_token")
	rec := s.refresh[old]
	if rec == nil || !rec.valid {
		oauthError(w, "invalid_grant", "The refresh token has expired or is invalid.")
		return
	}
	acc := s.accounts[rec.xuid]
	next := old
	if s.opts.RotateRefreshTokens {
		rec.valid = false
		next = s.issueRefreshLocked(acc)
	}
	writeJSON(w, http.StatusOK, s.tokensLocked(acc, next, now))
}

// tokensLocked issues an access token for acc and builds the token answer.
func (s *Server) tokensLocked(acc *account, refresh string, now time.Time) tokenAnswer {
	at := "EwA" + randB64(120)
	s.access[at] = grant{xuid: acc.XUID, notAfter: now.Add(s.opts.AccessTokenLifetime)}
	return tokenAnswer{
		TokenType:    "bearer",
		ExpiresIn:    int(s.opts.AccessTokenLifetime / time.Second),
		Scope:        Scope,
		AccessToken:  at,
		RefreshToken: refresh,
		UserID:       acc.userID,
	}
}

// count updates the stats under the lock.
func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}
