// decisions_request.go holds the decision points every request and response goes
// through: authentication, the contract version, path matching, the request Content-Type,
// and the shape of the response (content types, error wording, compression, locations,
// extra fields, the contract version of session documents).
//
// Decision points. The reference logic (serve.go, validate_*.go, handlers_*.go,
// model_*.go, render.go) asks small named methods wherever the contract leaves a choice (a
// variant may answer differently) or a fault breaks a rule. Each says what the reference
// behaviour is and which variants and faults change it, so the rest of the package reads as
// the reference implementation. They live in decisions_request.go (every request),
// decisions_handle.go (the handle endpoints), decisions_query.go (POST /handles/query) and
// decisions_session.go (session reads and writes). Every fault is checked in exactly one of
// them.

package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

// tokenFailure decides a request whose Authorization did not verify (err, from
// xbltoken.Parse). Reference: the request is refused, err is returned and the request is
// answered 401 with WWW-Authenticate. Faults: accept-missing-authorization serves a request
// without the header as an anonymous caller (zero claims); malformed-authorization-400
// answers a malformed header 400 (an *apiError); accept-forged-token accepts a token whose
// signature does not verify when its claims can still be decoded.
func (e *Emulator) tokenFailure(auth string, err error) (xbltoken.Claims, error) {
	switch {
	case errors.Is(err, xbltoken.ErrMissing) && e.fault(faultAcceptMissingAuthorization):
		return xbltoken.Claims{}, nil
	case errors.Is(err, xbltoken.ErrMalformed) && e.fault(faultMalformedAuthorization400):
		return xbltoken.Claims{}, badRequest("bad request: %v", err)
	case errors.Is(err, xbltoken.ErrSignature) && e.fault(faultAcceptForgedToken):
		return unverifiedClaims(auth)
	}
	return xbltoken.Claims{}, err
}

// requestContractVersion is the contract version of a request. Reference:
// X-Xbl-Contract-Version must be 104, 105 or 107 (contractVersion), otherwise the request is
// refused with contractVersionErrorStatus. Faults: reject-contract-version-104 refuses 104
// too; skip-contract-version-check serves every request, as contract 107.
func (e *Emulator) requestContractVersion(h http.Header) (int, error) {
	cv, err := contractVersion(h)
	if err == nil && cv == 104 && e.fault(faultRejectContractVersion104) {
		err = errors.New("missing or unsupported X-Xbl-Contract-Version header: 104 is not supported (supported: 105, 107)")
	}
	switch {
	case err == nil:
		return cv, nil
	case e.fault(faultSkipContractVersionCheck):
		return lenientContractVersion, nil
	}
	return 0, errorf(e.contractVersionErrorStatus(), "%v", err)
}

// contractVersionErrorStatus is the status of a missing, non-numeric or unsupported
// X-Xbl-Contract-Version: 400; 406 with the contract-version-406 variant or the
// contract-version-error-406 fault.
func (e *Emulator) contractVersionErrorStatus() int {
	if e.variant(variantContractVersion406) || e.fault(faultContractVersionError406) {
		return http.StatusNotAcceptable
	}
	return http.StatusBadRequest
}

// pathLiteralsExactCase reports whether the literals of a path (handles, serviceconfigs,
// sessionTemplates, ...) must be spelt exactly as documented: no, they match
// case-insensitively; yes with the case-sensitive-path-literals fault.
func (e *Emulator) pathLiteralsExactCase() bool { return e.fault(faultCaseSensitivePathLiterals) }

// unsupportedContentTypeStatus is the status of a request body whose Content-Type is not
// application/json: 400; 415 with the unsupported-content-type-415 fault.
func (e *Emulator) unsupportedContentTypeStatus() int {
	if e.fault(faultUnsupportedContentType415) {
		return http.StatusUnsupportedMediaType
	}
	return http.StatusBadRequest
}

// charsetRequirement is the error for an application/json Content-Type ct the emulator
// still refuses: none (any parameters are accepted); with the reject-json-without-charset
// fault every spelling but "application/json; charset=utf-8" is a 400.
func (e *Emulator) charsetRequirement(ct string) error {
	if e.fault(faultRejectJSONWithoutCharset) && ct != "application/json; charset=utf-8" {
		return badRequest("Content-Type %q is not supported; request bodies must be application/json; charset=utf-8", ct)
	}
	return nil
}

// shapeReply is the reply as it is sent, before the response-wide headers: the handler's
// reply itself. Faults: json-served-as-text-plain declares JSON bodies text/plain,
// empty-403-body sends 403 errors without a body.
func (e *Emulator) shapeReply(rp reply) reply {
	if e.fault(faultJSONServedAsTextPlain) && !rp.text && rp.body != nil {
		rp = rp.with("Content-Type", contentTypeText)
	}
	if e.fault(faultEmpty403Body) && rp.text && rp.status == http.StatusForbidden {
		rp = emptyReply(http.StatusForbidden)
	}
	return rp
}

// jsonContentType is the Content-Type of JSON bodies: application/json; with the
// json-charset variant application/json; charset=utf-8.
func (e *Emulator) jsonContentType() string {
	if e.variant(variantJSONCharset) {
		return contentTypeJSON + "; charset=utf-8"
	}
	return contentTypeJSON
}

// errorMessage is the wording of a text/plain error message: msg itself; with the
// error-charset variant prefixed "MPSD: ".
func (e *Emulator) errorMessage(msg string) string {
	if e.variant(variantErrorCharset) {
		return "MPSD: " + msg
	}
	return msg
}

// compresses reports whether the response body to r is gzip-compressed: never; with the gzip
// variant when the request's Accept-Encoding lists gzip.
func (e *Emulator) compresses(r *http.Request) bool {
	if !e.variant(variantGzip) {
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// locationFor is the value of a Location or Content-Location header naming a created handle's
// path: the path itself; with the absolute-locations variant the absolute URL of path on the
// request's host.
func (e *Emulator) locationFor(r *http.Request, path string) string {
	if !e.variant(variantAbsoluteLocations) {
		return path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// sessionLocation is the Content-Location of session s: its path, with the sessionTemplates
// literal in lower case with the lowercase-session-literal variant. It stays a path under the
// absolute-locations variant: the official client splits it on / and fails on an absolute URL
// (HSG-CONTENT-LOCATION).
func (e *Emulator) sessionLocation(s *session) string {
	literal := "sessionTemplates"
	if e.variant(variantLowercaseSessionLiteral) {
		literal = "sessiontemplates"
	}
	return s.location(literal)
}

// extension is the extra member the extra-fields variant adds to every JSON response
// object; nil (no extra members) by default.
func (e *Emulator) extension() map[string]any {
	if !e.variant(variantExtraFields) {
		return nil
	}
	return map[string]any{"note": "emulator variant extra-fields"}
}

// extraHandleFields are the members appended to a handle document in a response: none; with
// the extra-fields variant "extension".
func (e *Emulator) extraHandleFields() []field {
	if ext := e.extension(); ext != nil {
		return []field{{"extension", ext}}
	}
	return nil
}

// handleJSON is handle h's document as a response body, with the extra fields of the
// extra-fields variant and the given members (relatedInfo, customProperties) appended.
func (e *Emulator) handleJSON(h *handle, extra ...field) (json.RawMessage, error) {
	return h.documentWith(append(extra, e.extraHandleFields()...)...)
}

// extend adds the extra-fields variant's members to a response object (a no-op by default).
func (e *Emulator) extend(doc map[string]any) map[string]any {
	if ext := e.extension(); ext != nil {
		doc["extension"] = ext
	}
	return doc
}

// documentContractVersion is the contract version a session document is rendered for: the
// request's; with the upgrade-contract-107 variant a 105 request gets a 107 document (as
// templates upgrade 105 writes to 107).
func (e *Emulator) documentContractVersion(cv int) int {
	if cv == 105 && e.variant(variantUpgradeContract107) {
		return 107
	}
	return cv
}
