// serve.go holds the request pipeline every MPSD request goes through: authentication,
// contract version, routing, body limit and Content-Type, the handler, then the response is
// shaped and written. It also holds the panic recovery around it.

package emulator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

// serve is the request pipeline: auth, contract version, routing, body limit, handler, then
// the response is shaped (content types, wording, compression) and written. The opt-in
// inventory endpoint (Config.Inventory) is answered before any of it.
func (e *Emulator) serve(w http.ResponseWriter, r *http.Request) {
	if e.inventory && r.URL.Path == InventoryPath {
		e.serveInventory(w, r)
		return
	}
	e.send(w, r, e.dispatch(w, r))
}

// dispatch authenticates and routes the request and returns the handler's reply, or the
// error reply of the first check that fails.
func (e *Emulator) dispatch(w http.ResponseWriter, r *http.Request) reply {
	claims, err := e.authenticate(r.Header.Get("Authorization"))
	if err != nil {
		return unauthorizedReply(err)
	}
	cv, err := e.requestContractVersion(r.Header)
	if err != nil {
		return errorReply(err)
	}
	rt, params := match(r.URL.Path, e.pathLiteralsExactCase())
	if rt == nil {
		return errorReply(notFound("no resource at %s", r.URL.Path))
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		return errorReply(errorf(http.StatusMethodNotAllowed, "method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, rt.allow)).
			with("Allow", rt.allow)
	}
	c := &call{r: r, claims: claims, cv: cv, params: params}
	if r.Method == http.MethodPut || r.Method == http.MethodPost {
		if c.body, err = e.requestBody(w, r); err != nil {
			return errorReply(err)
		}
	}
	return h(e, c)
}

// authenticate returns the caller's claims from the Authorization header value auth. A
// token that does not verify is refused (see tokenFailure for the faults that let some
// through).
func (e *Emulator) authenticate(auth string) (xbltoken.Claims, error) {
	claims, err := xbltoken.Parse(e.tokenKey, auth, e.now())
	if err == nil {
		return claims, nil
	}
	return e.tokenFailure(auth, err)
}

// unauthorizedReply answers a request authenticate refused: 401 with WWW-Authenticate, or
// the *apiError a fault made of the refusal.
func unauthorizedReply(err error) reply {
	if _, ok := err.(*apiError); ok {
		return errorReply(err)
	}
	return errorReply(errorf(http.StatusUnauthorized, "unauthorized: %v", err)).with("WWW-Authenticate", xbltoken.Scheme)
}

// unverifiedClaims decodes the claims of an emulator token without checking its signature.
// Only the accept-forged-token fault uses it.
func unverifiedClaims(header string) (xbltoken.Claims, error) {
	_, token, _ := strings.Cut(strings.TrimSpace(header), ";")
	payload, _, _ := strings.Cut(strings.TrimPrefix(token, "mpsdemu.v1."), ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return xbltoken.Claims{}, xbltoken.ErrSignature
	}
	var c xbltoken.Claims
	if err := json.Unmarshal(raw, &c); err != nil || c.Validate() != nil {
		return xbltoken.Claims{}, xbltoken.ErrSignature
	}
	return c, nil
}

// Contract versions the emulator accepts.
var supportedContractVersions = map[int]bool{104: true, 105: true, 107: true}

// lenientContractVersion is used when the contract version check is faulted off.
const lenientContractVersion = 107

// contractVersion reads and checks X-Xbl-Contract-Version.
func contractVersion(h http.Header) (int, error) {
	raw := strings.TrimSpace(h.Get("X-Xbl-Contract-Version"))
	const msg = "missing or unsupported X-Xbl-Contract-Version header: "
	if raw == "" {
		return 0, errors.New(msg + "the header is required (supported: 104, 105, 107)")
	}
	v, err := strconv.Atoi(raw)
	if err != nil || !isDigits(raw) {
		return 0, fmt.Errorf(msg+"%q is not a number (supported: 104, 105, 107)", raw)
	}
	if !supportedContractVersions[v] {
		return 0, fmt.Errorf(msg+"%d is not supported (supported: 104, 105, 107)", v)
	}
	return v, nil
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// requestBody reads the body of a PUT or POST within the configured limit and checks its
// Content-Type.
func (e *Emulator) requestBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := e.readBody(w, r)
	if err != nil {
		return nil, err
	}
	if err := e.checkContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	return body, nil
}

// readBody reads the request body within the configured limit: 413 above it.
func (e *Emulator) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	tooLarge := func() error {
		return errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", e.maxBody)
	}
	if r.ContentLength > e.maxBody {
		return nil, tooLarge()
	}
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge()
		}
		return nil, badRequest("could not read the request body: %v", err)
	}
	return body, nil
}

// checkContentType accepts a request body's Content-Type: none (the body is read as JSON:
// clients in production send none) or application/json with any parameters. Anything else is
// refused with unsupportedContentTypeStatus.
func (e *Emulator) checkContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return errorf(e.unsupportedContentTypeStatus(), "Content-Type %q is not supported; request bodies must be application/json", ct)
	}
	return e.charsetRequirement(ct)
}

// send shapes the reply (the response-wide decision points: content types, error wording,
// compression) and writes it.
func (e *Emulator) send(w http.ResponseWriter, r *http.Request, rp reply) {
	rp = e.shapeReply(rp)
	if rp.text {
		rp.body = []byte(e.errorMessage(string(rp.body)))
	}
	header, body := rp.render()
	if !rp.text && body != nil && header.Get("Content-Type") == contentTypeJSON {
		header.Set("Content-Type", e.jsonContentType())
	}
	if len(body) > 0 && e.compresses(r) {
		if gz, err := gzipBytes(body); err == nil {
			body = gz
			header.Set("Content-Encoding", "gzip")
			header.Add("Vary", "Accept-Encoding")
		}
	}
	writeResponse(w, rp.status, header, body)
}

// withRecover turns a panic into a 500 text/plain response. It is a last resort: the tests
// (including fuzzing) show ordinary input never reaches it.
func withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(rec)
			}
			writeError(w, http.StatusInternalServerError, fmt.Sprintf("internal emulator error: %v", rec))
		}()
		next.ServeHTTP(w, r)
	})
}
