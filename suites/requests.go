package suites

import (
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// The paths of the handles API, built here and nowhere else (a session's path is
// SessionRef.Path), and the Scenario's requests to each endpoint. Every request helper is a
// GinkgoHelper: a transport failure is reported at the spec line that asked for the request.

const (
	// handlesPath is the handle collection: POST /handles creates a handle.
	handlesPath = "/handles"
	// handlesQueryPath is the handle query: POST /handles/query.
	handlesQueryPath = handlesPath + "/query"
	// handlePathPrefix starts the path of every single handle.
	handlePathPrefix = handlesPath + "/"
)

// handlePath is the path of handle id: /handles/{id}.
func handlePath(id string) string { return handlePathPrefix + id }

// handleSessionPath is the path of handle id's session: /handles/{id}/session.
func handleSessionPath(id string) string { return handlePath(id) + "/session" }

// PostHandle posts to /handles as who and registers, as who, the deletion of the handle the
// answer names, if any (see deferDeleteCreated).
func (s *Scenario) PostHandle(who string, opts ...mpsdclient.Option) *mpsdclient.Exchange {
	GinkgoHelper()
	ex := s.Do(who, http.MethodPost, handlesPath, opts...)
	s.deferDeleteCreated(who, ex)
	return ex
}

// GetHandle reads handle id (GET /handles/{id}) as who.
func (s *Scenario) GetHandle(who, id string) *mpsdclient.Exchange {
	GinkgoHelper()
	return s.Do(who, http.MethodGet, handlePath(id))
}

// DeleteHandle deletes handle id (DELETE /handles/{id}) as who.
func (s *Scenario) DeleteHandle(who, id string) *mpsdclient.Exchange {
	GinkgoHelper()
	return s.Do(who, http.MethodDelete, handlePath(id))
}

// GetHandleSession reads the session of handle id (GET /handles/{id}/session) as who.
func (s *Scenario) GetHandleSession(who, id string) *mpsdclient.Exchange {
	GinkgoHelper()
	return s.Do(who, http.MethodGet, handleSessionPath(id))
}

// PutHandleSession writes the session of handle id (PUT /handles/{id}/session) as who; opts
// carry the body and any headers.
func (s *Scenario) PutHandleSession(who, id string, opts ...mpsdclient.Option) *mpsdclient.Exchange {
	GinkgoHelper()
	return s.Do(who, http.MethodPut, handleSessionPath(id), opts...)
}

// GetSession reads ref as who.
func (s *Scenario) GetSession(who string, ref SessionRef) *mpsdclient.Exchange {
	GinkgoHelper()
	return s.Do(who, http.MethodGet, ref.Path())
}

// PutSession writes ref as who; opts carry the body and any headers. It registers no cleanup:
// a spec whose PUT may make who a member calls deferLeave (or uses Join or CreateSession).
func (s *Scenario) PutSession(who string, ref SessionRef, opts ...mpsdclient.Option) *mpsdclient.Exchange {
	GinkgoHelper()
	return s.Do(who, http.MethodPut, ref.Path(), opts...)
}

// Query posts a handles query as who with the given body and query-string parameters
// (name, value pairs).
func (s *Scenario) Query(who string, body any, params ...string) *mpsdclient.Exchange {
	GinkgoHelper()
	Expect(len(params)%2).To(BeZero(), "Query params must be name, value pairs")
	opts := []mpsdclient.Option{mpsdclient.WithJSON(body)}
	for i := 0; i < len(params); i += 2 {
		opts = append(opts, mpsdclient.WithQuery(params[i], params[i+1]))
	}
	return s.Do(who, http.MethodPost, handlesQueryPath, opts...)
}

// createdHandle returns the document and id of a POST /handles answer that created a handle:
// a 2xx whose body is an object with an id usable in a path. ok is false for any other answer.
func createdHandle(ex *mpsdclient.Exchange) (doc map[string]any, id string, ok bool) {
	if !is2xx(ex.Status) {
		return nil, "", false
	}
	doc, err := ex.Object()
	id, _ = doc["id"].(string)
	return doc, id, err == nil && id != "" && !strings.ContainsAny(id, "/?#")
}

// deferDeleteCreated registers, as owner, the deletion of the handle that ex (an answer of
// POST /handles) created, if it created one: the one place where a created handle gets its
// cleanup.
func (s *Scenario) deferDeleteCreated(owner string, ex *mpsdclient.Exchange) {
	GinkgoHelper()
	if _, id, ok := createdHandle(ex); ok {
		s.DeferDeleteHandle(owner, id)
	}
}

// is2xx reports whether status is a success status.
func is2xx(status int) bool { return status >= 200 && status < 300 }
