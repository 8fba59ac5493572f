package suites

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
)

// Content types of request bodies: each entry prepares, as user1, a request with a body that
// would succeed (see Scenario.prepare in endpoints.go) and sends that body declared as the
// entry's Content-Type.

var _ = Describe("[headers] request content types", func() {
	DescribeTable("bodies sent as JSON are accepted with or without a charset",
		func(ctx SpecContext, key, contentType string) {
			s := NewScenario(ctx)
			req := s.prepare(key)
			ExpectSuccess(s.send(req, User1, req.bodyAs(contentType)))
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
			req := s.prepare(key)
			ExpectTextError(s.send(req, User1, req.bodyAs("text/plain")), http.StatusBadRequest)
		},
		RuleEntry("HDR-REQUEST-NOT-JSON-400", "POST /handles with a JSON body declared as text/plain is answered 400", "handles-create"),
		RuleEntry("HDR-REQUEST-NOT-JSON-400", "POST /handles/query with a JSON body declared as text/plain is answered 400", "handles-query"),
		RuleEntry("HDR-REQUEST-NOT-JSON-400", "PUT /handles/{id}/session with a JSON body declared as text/plain is answered 400", "handle-session-put"),
		RuleEntry("HDR-REQUEST-NOT-JSON-400", "PUT of a new session with a JSON body declared as text/plain is answered 400", "session-put"),
	)
})
