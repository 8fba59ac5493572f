package xblauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ErrSignInRequired marks a refresh token that Microsoft no longer accepts (expired, revoked,
// issued to another client id) or that is missing: a person must sign the account in again
// with `mpsdconf login`.
var ErrSignInRequired = errors.New("the Microsoft account must be signed in again")

// ErrRefused marks an answer of a sign-in service that refuses the request for good: renewing
// cannot help (an account problem, a wrong client id or sandbox).
var ErrRefused = errors.New("refused by Xbox Live sign-in")

// AccountError is an Xbox Live sign-in service refusing an account with an XErr code (a 401
// whose body or X-Err header carries it): the account has no Xbox profile, is a child
// account, is banned, and so on. It wraps ErrRefused.
type AccountError struct {
	// Service is the step that refused ("XSTS", "SISU").
	Service string
	// Status is the HTTP status of the answer.
	Status int
	// XErr is the code.
	XErr uint32
}

// Error names the step, the code and what the code means.
func (e *AccountError) Error() string {
	return fmt.Sprintf("%s refused the account (%d, XErr %d): %s", e.Service, e.Status, e.XErr, XErrMeaning(e.XErr))
}

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *AccountError) Unwrap() error { return ErrRefused }

// xerrMeanings are the XErr codes public clients know (prismarine-auth src/common/Constants.js,
// df-mc/go-xsapi xal/sisu).
var xerrMeanings = map[uint32]string{
	2148916227: "the account is banned from Xbox Live",
	2148916229: "a guardian has restricted online play for this account",
	2148916233: "the Microsoft account has no Xbox profile: sign in once at https://www.xbox.com to create one",
	2148916234: "the account has not accepted the Xbox Live terms of use",
	2148916235: "Xbox Live is not available in the account's country or region",
	2148916236: "the account needs age verification",
	2148916237: "the account has reached the playtime limit a guardian set",
	2148916238: "the account belongs to a child and must be added to a family group",
}

// XErrMeaning says what an XErr code means, or that it is not a known one.
func XErrMeaning(code uint32) string {
	if m, ok := xerrMeanings[code]; ok {
		return m
	}
	return fmt.Sprintf("code 0x%X, not one public clients document (check xboxLive.sandbox and xboxLive.clientId: test accounts sign in only to their development sandbox)", code)
}

// refusal builds the error of a non-200 answer of a sign-in step: an *AccountError when the
// answer carries an XErr, else an error wrapping ErrRefused for statuses renewing cannot
// change (400, 403) and a plain error otherwise.
func refusal(service string, resp *http.Response, body []byte) error {
	code := xerrOf(resp.Header.Get("X-Err"), body)
	if code != 0 {
		return &AccountError{Service: service, Status: resp.StatusCode, XErr: code}
	}
	msg := fmt.Sprintf("%s answered %d %s", service, resp.StatusCode, http.StatusText(resp.StatusCode))
	if www := resp.Header.Get("WWW-Authenticate"); www != "" {
		msg += " (WWW-Authenticate: " + www + ")"
	}
	if detail := describeBody(body); detail != "" {
		msg += ": " + detail
	}
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusForbidden:
		return fmt.Errorf("%w: %s", ErrRefused, msg)
	}
	return errors.New(msg)
}

// xerrOf reads the XErr code of an answer from its X-Err header or its JSON body.
func xerrOf(header string, body []byte) uint32 {
	if n, err := strconv.ParseUint(strings.TrimSpace(header), 10, 32); err == nil && n != 0 {
		return uint32(n)
	}
	var b struct {
		XErr json.Number `json:"XErr"`
	}
	if json.Unmarshal(body, &b) == nil {
		if n, err := strconv.ParseUint(b.XErr.String(), 10, 32); err == nil {
			return uint32(n)
		}
	}
	return 0
}

// describeBody is a short, safe description of an error body: the OAuth error fields or the
// Message of a sign-in service, never the whole body (which may echo a token).
func describeBody(body []byte) string {
	var b struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"Message"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	parts := []string{}
	for _, p := range []string{b.Error, b.Description, b.Message} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	out := strings.Join(parts, ": ")
	if len(out) > 200 {
		out = out[:200] + "..."
	}
	return out
}
