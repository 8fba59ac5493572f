// reply.go holds reply, a complete response computed under the store lock, its
// constructors, the response headers every answer gets, and the writing of it to the network.

package emulator

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/google/uuid"
)

// Content types and cache directives the emulator answers with (as the real service does).
const (
	contentTypeJSON   = "application/json"
	contentTypeText   = "text/plain; charset=utf-8"
	cacheNoStore      = "no-cache, no-store"
	cacheRevalidate   = "max-age=0, must-revalidate"
	headerCorrelation = "X-XblCorrelationId"
)

// reply is a complete response computed under the store lock and written after it is released.
type reply struct {
	status int
	header http.Header
	body   []byte
	text   bool // body is a text/plain error message
}

// errorReply turns err into a text/plain reply; errors that are not *apiError become 500s
// (they indicate an emulator defect, never bad input).
func errorReply(err error) reply {
	if ae, ok := err.(*apiError); ok {
		return reply{status: ae.status, body: []byte(ae.msg), text: true}
	}
	return reply{status: http.StatusInternalServerError, body: []byte("internal emulator error: " + err.Error()), text: true}
}

// jsonReply encodes v as the JSON body of a reply with status.
func jsonReply(status int, v any) reply {
	raw, err := json.Marshal(v)
	if err != nil {
		return errorReply(fmt.Errorf("encode response: %w", err))
	}
	return reply{status: status, body: raw, header: http.Header{}}
}

// rawJSONReply is a JSON reply with an already encoded body.
func rawJSONReply(status int, raw []byte) reply {
	return reply{status: status, body: raw, header: http.Header{}}
}

// emptyReply is a reply without a body (204, 304, bare 412).
func emptyReply(status int) reply { return reply{status: status, header: http.Header{}} }

// with sets a response header on the reply and returns it.
func (rp reply) with(key, value string) reply {
	if rp.header == nil {
		rp.header = http.Header{}
	}
	rp.header.Set(key, value)
	return rp
}

// render returns the reply's final headers and body bytes: a text reply becomes a text/plain
// message, a JSON reply gets its Content-Type and Cache-Control defaults.
func (rp reply) render() (http.Header, []byte) {
	h := http.Header{}
	for k, v := range rp.header {
		h[k] = append([]string(nil), v...)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(headerCorrelation, uuid.NewString())
	if rp.text {
		h.Set("Content-Type", contentTypeText)
		h.Set("Cache-Control", cacheNoStore)
		return h, []byte(string(rp.body) + "\n")
	}
	if rp.body != nil {
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", contentTypeJSON)
		}
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", cacheNoStore)
		}
	}
	return h, rp.body
}

// writeError writes a text/plain error response outside the request pipeline (the panic
// recovery and the inventory endpoint).
func writeError(w http.ResponseWriter, status int, msg string) {
	rp := reply{status: status, body: []byte(msg), text: true}
	rp.write(w)
}

// write sends the reply as it is (no decision points apply: see Emulator.send).
func (rp reply) write(w http.ResponseWriter) {
	h, body := rp.render()
	writeResponse(w, rp.status, h, body)
}

// writeResponse writes status, header and body.
func writeResponse(w http.ResponseWriter, status int, header http.Header, body []byte) {
	dst := w.Header()
	for k, v := range header {
		dst[k] = v
	}
	w.WriteHeader(status)
	if body != nil {
		_, _ = w.Write(body)
	}
}

// gzipBytes compresses body with gzip.
func gzipBytes(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("gzip response body: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip response body: %w", err)
	}
	return buf.Bytes(), nil
}
