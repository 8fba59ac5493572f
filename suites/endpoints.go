package suites

import (
	"encoding/json"
	"fmt"
	"net/http"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// The endpoints of the API as the header, content-type and authorization tables exercise
// them, and the one builder of a request to each endpoint that would succeed as user1.

// endpoint is one endpoint of the API.
type endpoint struct {
	key    string // catalog endpoint id
	label  string // method and path, as spec texts name it
	read   bool   // reads an object that exists
	schema string // schema of the JSON body on success; "" when there is none
}

// endpoints lists every endpoint (read-only after initialisation).
var endpoints = []endpoint{
	{key: "handles-create", label: "POST /handles", schema: "handle"},
	{key: "handles-query", label: "POST /handles/query", schema: "handles-query-response"},
	{key: "handle-get", label: "GET /handles/{id}", read: true, schema: handleOrSessionSchema},
	{key: "handle-delete", label: "DELETE /handles/{id}"},
	{key: "handle-session-get", label: "GET /handles/{id}/session", read: true, schema: "session"},
	{key: "handle-session-put", label: "PUT /handles/{id}/session", schema: "session"},
	{key: "session-put", label: "PUT /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}", schema: "session"},
	{key: "session-get", label: "GET /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}", read: true, schema: "session"},
}

// handleOrSessionSchema marks GET /handles/{id}, whose body the reference pages call a session
// and the project's stance a handle (rule HG-200-JSON is ambiguous): either schema is accepted.
const handleOrSessionSchema = "handle|session"

// endpointByKey returns the endpoint of key, failing the spec for an unknown key.
func endpointByKey(key string) endpoint {
	GinkgoHelper()
	for _, e := range endpoints {
		if e.key == key {
			return e
		}
	}
	Fail(fmt.Sprintf("spec defect: no endpoint %q in the header table", key))
	return endpoint{}
}

// preparedRequest is a request to one endpoint that would succeed as user1.
type preparedRequest struct {
	endpoint     endpoint
	method, path string
	body         any // the JSON body; nil when the request has none
}

// prepare creates what a request to the endpoint key needs (as user1, with cleanup
// registered) and returns the request.
func (s *Scenario) prepare(key string) preparedRequest {
	GinkgoHelper()
	req := preparedRequest{endpoint: endpointByKey(key)}
	primary := s.World().Templates.Primary
	activity := func() Handle {
		GinkgoHelper()
		_, h := s.CreateSessionActivity(User1, nil)
		return h
	}
	switch key {
	case "handles-create":
		ref := s.CreateSession(User1, primary, nil)
		req.method, req.path, req.body = http.MethodPost, handlesPath, s.ActivityBody(ref)
	case "handles-query":
		req.method, req.path, req.body = http.MethodPost, handlesQueryPath, s.QueryByXUIDs(User1)
	case "handle-get":
		req.method, req.path = http.MethodGet, handlePath(activity().ID)
	case "handle-delete":
		req.method, req.path = http.MethodDelete, handlePath(activity().ID)
	case "handle-session-get":
		req.method, req.path = http.MethodGet, handleSessionPath(activity().ID)
	case "handle-session-put":
		body := s.JoinBody(User1, customProps("touched", true))
		req.method, req.path, req.body = http.MethodPut, handleSessionPath(activity().ID), body
	case "session-put":
		ref := s.NewRef(primary)
		s.deferLeave(User1, ref) // in case the request creates the session
		req.method, req.path, req.body = http.MethodPut, ref.Path(), s.JoinBody(User1, nil)
	case "session-get":
		ref := s.CreateSession(User1, primary, nil)
		req.method, req.path = http.MethodGet, ref.Path()
	}
	return req
}

// bodyAs is an option that sends req's body, encoded as JSON, declared as contentType.
func (req preparedRequest) bodyAs(contentType string) mpsdclient.Option {
	GinkgoHelper()
	raw, err := json.Marshal(req.body)
	Expect(err).NotTo(HaveOccurred())
	return mpsdclient.WithRawBody(raw, contentType)
}

// send sends req as who with extra options (which override the prepared ones). A handle the
// request creates is deleted when the spec ends: by user1, or by the server principal (where
// there is one) when the request went out as anyone else (e.g. without or with a broken
// Authorization).
func (s *Scenario) send(req preparedRequest, who string, extra ...mpsdclient.Option) *mpsdclient.Exchange {
	GinkgoHelper()
	var opts []mpsdclient.Option
	if req.body != nil {
		opts = append(opts, mpsdclient.WithJSON(req.body))
	}
	ex := s.Do(who, req.method, req.path, append(opts, extra...)...)
	if req.endpoint.key == "handles-create" {
		owner := User1
		if who != User1 && s.env.Identities.Has(Server) {
			owner = Server
		}
		s.deferDeleteCreated(owner, ex)
	}
	return ex
}
