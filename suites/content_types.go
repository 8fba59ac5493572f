package suites

import (
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// ctBodyRequest is a request with a JSON body that succeeds when sent as application/json.
type ctBodyRequest struct {
	method, path string
	body         any
}

// ctPrepare builds, as user1, a request with a body to the endpoint key that would succeed.
func ctPrepare(s *Scenario, key string) ctBodyRequest {
	w := s.World()
	switch key {
	case "handles-create":
		ref := s.CreateSession(User1, w.Templates.Primary, nil)
		body := s.Body("activity-handle", map[string]any{"SCID": ref.SCID, "TEMPLATE": ref.Template, "SESSION": ref.Name})
		return ctBodyRequest{http.MethodPost, "/handles", body}
	case "handles-query":
		return ctBodyRequest{http.MethodPost, "/handles/query", s.QueryByXUIDs(User1)}
	case "handle-session-put":
		ref := s.CreateSession(User1, w.Templates.Primary, nil)
		h := s.CreateActivity(User1, ref)
		return ctBodyRequest{http.MethodPut, "/handles/" + h.ID + "/session", customProps("ct", 1)}
	case "session-put":
		ref := s.NewRef(w.Templates.Primary)
		s.deferLeave(User1, ref)
		return ctBodyRequest{http.MethodPut, ref.Path(), s.JoinBody(User1, nil)}
	}
	Fail("content types: unknown endpoint " + key)
	return ctBodyRequest{}
}

// ctSend sends req's body with the given Content-Type and registers the deletion of a handle
// the request may have created.
func ctSend(s *Scenario, req ctBodyRequest, contentType string) *mpsdclient.Exchange {
	raw, err := json.Marshal(req.body)
	Expect(err).NotTo(HaveOccurred())
	ex := s.Do(User1, req.method, req.path, mpsdclient.WithRawBody(raw, contentType))
	if req.path == "/handles" && is2xx(ex.Status) {
		if doc, err := ex.Object(); err == nil {
			if id, _ := doc["id"].(string); id != "" {
				s.DeferDeleteHandle(User1, id)
			}
		}
	}
	return ex
}

var _ = Describe("[headers] request content types", func() {
	DescribeTable("bodies sent as JSON are accepted with or without a charset",
		func(ctx SpecContext, key, contentType string) {
			s := NewScenario(ctx)
			req := ctPrepare(s, key)
			ExpectSuccess(ctSend(s, req, contentType))
		},
		RuleEntry("HDR-REQUEST-JSON", "POST /handles with Content-Type application/json; charset=utf-8 is accepted", "handles-create", "application/json; charset=utf-8"),
		RuleEntry("HDR-REQUEST-JSON", "POST /handles with Content-Type application/json is accepted", "handles-create", "application/json"),
		RuleEntry("HDR-REQUEST-JSON", "POST /handles/query with Content-Type application/json is accepted", "handles-query", "application/json"),
		RuleEntry("HDR-REQUEST-JSON", "PUT /handles/{id}/session with Content-Type application/json is accepted", "handle-session-put", "application/json"),
		RuleEntry("HDR-REQUEST-JSON", "PUT of a new session with Content-Type application/json; charset=utf-8 is accepted", "session-put", "application/json; charset=utf-8"),
	)

	DescribeTable("bodies declared as something other than JSON are rejected",
		func(ctx SpecContext, key string) {
			s := NewScenario(ctx)
			req := ctPrepare(s, key)
			ExpectTextError(ctSend(s, req, "text/plain"), http.StatusBadRequest)
		},
		RuleEntry("HDR-REQUEST-NOT-JSON-400", "POST /handles with a JSON body declared as text/plain is answered 400", "handles-create"),
		RuleEntry("HDR-REQUEST-NOT-JSON-400", "POST /handles/query with a JSON body declared as text/plain is answered 400", "handles-query"),
		RuleEntry("HDR-REQUEST-NOT-JSON-400", "PUT /handles/{id}/session with a JSON body declared as text/plain is answered 400", "handle-session-put"),
		RuleEntry("HDR-REQUEST-NOT-JSON-400", "PUT of a new session with a JSON body declared as text/plain is answered 400", "session-put"),
	)
})
