package xblfake

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// endpoint is a handler that gets the fake's clock reading for the request and its body,
// already read (at most MaxBodyBytes).
type endpoint func(w http.ResponseWriter, r *http.Request, now time.Time, body []byte)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/oauth20_connect.srf", s.wrap(s.handleDeviceCode))
	mux.Handle("/oauth20_token.srf", s.wrap(s.handleToken))
	mux.Handle("/user/authenticate", s.wrap(s.handleUser))
	mux.Handle("/device/authenticate", s.wrap(s.handleDevice))
	mux.Handle("/authorize", s.wrap(s.handleSISU))
	mux.Handle("/xsts/authorize", s.wrap(s.handleXSTS))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", httpDate(s.now()))
		writeJSON(w, http.StatusNotFound, errorBody{Error: "not_found", Description: "no such endpoint on the fake: " + r.URL.Path})
	})
	return mux
}

// wrap adds what every endpoint shares: the Date header from the fake's clock, POST only
// (else 405), the body limit (else 413) and recovery from a panic (500, never a crash).
func (s *Server) wrap(h endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := s.now()
		w.Header().Set("Date", httpDate(now))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeJSON(w, http.StatusInternalServerError, errorBody{Error: "internal_error", Description: "xblfake: handler panicked"})
			}
		}()
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "method_not_allowed", Description: "only POST is allowed"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: "request_too_large", Description: "the body exceeds " + strconv.Itoa(MaxBodyBytes) + " bytes"})
				return
			}
			writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid_request", Description: "cannot read the body"})
			return
		}
		h(w, r, now, body)
	})
}

// errorBody is the JSON error answer of the OAuth endpoints (and the 400 answers of the Xbox
// endpoints, whose real bodies are not specified).
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// xerrBody is the JSON of an XErr refusal by XSTS or SISU.
type xerrBody struct {
	Identity string
	XErr     uint32
	Message  string
	Redirect string
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen with the fake's own types
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal_error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// unauthorized answers 401 with an empty body, as the Xbox services do for a bad token.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

// refuseXErr answers 401 with the X-Err header and the XErr JSON body.
func refuseXErr(w http.ResponseWriter, code uint32, redirect string) {
	w.Header().Set("X-Err", strconv.FormatUint(uint64(code), 10))
	writeJSON(w, http.StatusUnauthorized, xerrBody{Identity: "0", XErr: code, Redirect: redirect})
}

// badRequest answers 400 for a malformed Xbox request.
func badRequest(w http.ResponseWriter, why string) {
	writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid_request", Description: why})
}
