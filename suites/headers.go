package suites

import (
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/schemas"
)

// Header rules, checked on every endpoint. Each table entry builds, with its own Scenario, a
// request to the endpoint that would succeed as user1 (creating the session and activity handle
// it needs), and then breaks exactly one thing about it.

// hdrEndpoint is one endpoint of the API as the header and authorization tables exercise it.
type hdrEndpoint struct {
	key    string // catalog endpoint id
	label  string // method and path, as spec texts name it
	read   bool   // reads an object that exists
	schema string // schema of the JSON body on success; "" when there is none
}

// hdrEndpoints lists every endpoint (read-only after initialisation).
var hdrEndpoints = []hdrEndpoint{
	{key: "handles-create", label: "POST /handles", schema: "handle"},
	{key: "handles-query", label: "POST /handles/query", schema: "handles-query-response"},
	{key: "handle-get", label: "GET /handles/{id}", read: true, schema: hdrHandleOrSession},
	{key: "handle-delete", label: "DELETE /handles/{id}"},
	{key: "handle-session-get", label: "GET /handles/{id}/session", read: true, schema: "session"},
	{key: "handle-session-put", label: "PUT /handles/{id}/session", schema: "session"},
	{key: "session-put", label: "PUT /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}", schema: "session"},
	{key: "session-get", label: "GET /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}", read: true, schema: "session"},
}

// hdrHandleOrSession marks GET /handles/{id}, whose body the reference pages call a session
// and the project's stance a handle (rule HG-200-JSON is ambiguous): either schema is accepted.
const hdrHandleOrSession = "handle|session"

func hdrEndpointByKey(key string) hdrEndpoint {
	for _, e := range hdrEndpoints {
		if e.key == key {
			return e
		}
	}
	Fail(fmt.Sprintf("spec defect: no endpoint %q in the header table", key), 1)
	return hdrEndpoint{}
}

// hdrRequest is a prepared request that would succeed as user1.
type hdrRequest struct {
	endpoint hdrEndpoint
	method   string
	path     string
	opts     []mpsdclient.Option
}

// hdrPrepare creates what the endpoint's request needs (as user1, with cleanup registered) and
// returns the request.
func hdrPrepare(s *Scenario, key string) hdrRequest {
	ep := hdrEndpointByKey(key)
	w := s.World()
	req := hdrRequest{endpoint: ep}
	activity := func() Handle {
		ref := s.CreateSession(fixtures.User1, w.Templates.Primary, nil)
		return s.CreateActivity(fixtures.User1, ref)
	}
	switch key {
	case "handles-create":
		ref := s.CreateSession(fixtures.User1, w.Templates.Primary, nil)
		body := s.Body("activity-handle", map[string]any{"SCID": ref.SCID, "TEMPLATE": ref.Template, "SESSION": ref.Name})
		req.method, req.path, req.opts = http.MethodPost, "/handles", []mpsdclient.Option{mpsdclient.WithJSON(body)}
	case "handles-query":
		req.method, req.path, req.opts = http.MethodPost, "/handles/query", []mpsdclient.Option{mpsdclient.WithJSON(s.QueryByXUIDs(fixtures.User1))}
	case "handle-get":
		req.method, req.path = http.MethodGet, "/handles/"+activity().ID
	case "handle-delete":
		req.method, req.path = http.MethodDelete, "/handles/"+activity().ID
	case "handle-session-get":
		req.method, req.path = http.MethodGet, "/handles/"+activity().ID+"/session"
	case "handle-session-put":
		body := s.JoinBody(fixtures.User1, map[string]any{"properties": map[string]any{"custom": map[string]any{"touched": true}}})
		req.method, req.path, req.opts = http.MethodPut, "/handles/"+activity().ID+"/session", []mpsdclient.Option{mpsdclient.WithJSON(body)}
	case "session-put":
		ref := s.NewRef(w.Templates.Primary)
		s.deferLeave(fixtures.User1, ref) // in case the request creates the session
		req.method, req.path, req.opts = http.MethodPut, ref.Path(), []mpsdclient.Option{mpsdclient.WithJSON(s.JoinBody(fixtures.User1, nil))}
	case "session-get":
		ref := s.CreateSession(fixtures.User1, w.Templates.Primary, nil)
		req.method, req.path = http.MethodGet, ref.Path()
	}
	return req
}

// hdrSend sends the prepared request as who with extra options (which override the prepared
// ones). A handle the request creates is deleted when the spec ends.
func hdrSend(s *Scenario, req hdrRequest, who string, extra ...mpsdclient.Option) *mpsdclient.Exchange {
	opts := append(append([]mpsdclient.Option(nil), req.opts...), extra...)
	ex := s.Do(who, req.method, req.path, opts...)
	if req.endpoint.key == "handles-create" && is2xx(ex.Status) {
		if doc, err := ex.Object(); err == nil {
			if id, _ := doc["id"].(string); id != "" {
				owner := fixtures.User1
				if who != fixtures.User1 {
					owner = fixtures.Server
				}
				s.DeferDeleteHandle(owner, id)
			}
		}
	}
	return ex
}

// hdrCVCase is one broken X-Xbl-Contract-Version header.
type hdrCVCase struct {
	value string // "" = header missing
	text  string // how spec texts describe the request
}

var hdrInvalidCVCases = []hdrCVCase{
	{value: "", text: "without X-Xbl-Contract-Version"},
	{value: "garbage", text: "with X-Xbl-Contract-Version garbage"},
	{value: "103", text: "with X-Xbl-Contract-Version 103"},
}

func hdrCVOption(value string) mpsdclient.Option {
	if value == "" {
		return mpsdclient.WithoutHeader(mpsdclient.HeaderContractVersion)
	}
	return mpsdclient.WithContractVersion(value)
}

// hdrInvalidCVEntries are the broken-contract-version entries of ruleID on every endpoint, or
// only on the /handles endpoints (the pages whose box demands the header) when handlesOnly.
func hdrInvalidCVEntries(ruleID, outcome string, handlesOnly bool) []TableEntry {
	var entries []TableEntry
	for _, ep := range hdrEndpoints {
		if handlesOnly && strings.HasPrefix(ep.key, "session-") {
			continue
		}
		for _, c := range hdrInvalidCVCases {
			entries = append(entries, RuleEntry(ruleID, fmt.Sprintf("%s %s %s", ep.label, c.text, outcome), ep.key, c.value))
		}
	}
	return entries
}

func hdrAcceptedCVEntries() []TableEntry {
	var entries []TableEntry
	for _, ep := range hdrEndpoints {
		for _, v := range []string{"104", "105", "107"} {
			text := fmt.Sprintf("%s with X-Xbl-Contract-Version %s is not rejected for its contract version", ep.label, v)
			if ep.read {
				text = fmt.Sprintf("%s with X-Xbl-Contract-Version %s is not rejected for its contract version and answers 2xx", ep.label, v)
			}
			entries = append(entries, RuleEntry("HDR-CV-ACCEPTED", text, ep.key, v))
		}
	}
	return entries
}

func hdrJSONEntries() []TableEntry {
	var entries []TableEntry
	for _, ep := range hdrEndpoints {
		if ep.schema == "" {
			continue
		}
		text := fmt.Sprintf("%s answers its success with a JSON body declared as Content-Type application/json", ep.label)
		entries = append(entries, RuleEntry("HDR-JSON-CONTENT-TYPE", text, ep.key))
	}
	return entries
}

// hdrExpectJSONBody asserts Content-Type application/json and the endpoint's schema.
func hdrExpectJSONBody(ex *mpsdclient.Exchange, schema string) {
	if schema != hdrHandleOrSession {
		ExpectWithOffset(1, ex.ContentType()).To(Equal("application/json"), "JSON body without Content-Type application/json\n%s", ex)
		ExpectWithOffset(1, schemas.Validate(schema, ex.Body)).To(Succeed(), "response body does not match schema %q\n%s", schema, ex)
		return
	}
	ExpectWithOffset(1, ex.ContentType()).To(Equal("application/json"), "JSON body without Content-Type application/json\n%s", ex)
	handleErr := schemas.Validate("handle", ex.Body)
	sessionErr := schemas.Validate("session", ex.Body)
	ExpectWithOffset(1, handleErr == nil || sessionErr == nil).To(BeTrue(),
		"response body matches neither the handle nor the session schema\nhandle: %v\nsession: %v\n%s", handleErr, sessionErr, ex)
}

// hdrSessionPath is ref's path with the given spelling of the sessiontemplates literal.
func hdrSessionPath(ref SessionRef, segment string) string {
	return fmt.Sprintf("/serviceconfigs/%s/%s/%s/sessions/%s", ref.SCID, segment, ref.Template, ref.Name)
}

var _ = Describe("[headers]", func() {
	DescribeTable("A request with a missing or unsupported X-Xbl-Contract-Version is rejected",
		func(ctx SpecContext, key, value string) {
			s := NewScenario(ctx)
			req := hdrPrepare(s, key)
			ex := hdrSend(s, req, fixtures.User1, hdrCVOption(value))
			Expect4xx(ex)
		},
		hdrInvalidCVEntries("HDR-CV-INVALID-4XX", "is rejected with a 4xx status", true),
	)

	DescribeTable("A request with a missing or unsupported X-Xbl-Contract-Version is answered 400 with a text/plain message",
		func(ctx SpecContext, key, value string) {
			s := NewScenario(ctx)
			req := hdrPrepare(s, key)
			ex := hdrSend(s, req, fixtures.User1, hdrCVOption(value))
			ExpectTextError(ex, http.StatusBadRequest)
		},
		hdrInvalidCVEntries("HDR-CV-INVALID-400", "is answered 400 with a text/plain message", false),
	)

	DescribeTable("A request with X-Xbl-Contract-Version 104, 105 or 107 is not rejected for its contract version",
		func(ctx SpecContext, key, value string) {
			s := NewScenario(ctx)
			req := hdrPrepare(s, key)
			ex := hdrSend(s, req, fixtures.User1, hdrCVOption(value))
			ExpectNot(ex, http.StatusBadRequest)
			ExpectNot(ex, http.StatusNotAcceptable)
			if req.endpoint.read {
				Expect(ex.Status).To(And(BeNumerically(">=", 200), BeNumerically("<", 300)),
					"reading an existing object with a supported contract version did not succeed\n%s", ex)
			}
		},
		hdrAcceptedCVEntries(),
	)

	DescribeTable("A response with a JSON body declares Content-Type application/json",
		func(ctx SpecContext, key string) {
			s := NewScenario(ctx)
			req := hdrPrepare(s, key)
			ex := hdrSend(s, req, fixtures.User1)
			ExpectSuccess(ex)
			hdrExpectJSONBody(ex, req.endpoint.schema)
		},
		hdrJSONEntries(),
	)

	Spec("HDR-ERROR-TEXT-PLAIN", "POST /handles with a malformed JSON body answers its 400 with a non-empty text/plain message", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := s.Do(fixtures.User1, http.MethodPost, "/handles",
			mpsdclient.WithRawBody([]byte(`{"version": 1, "type": "activity", "sessionRef": {`), "application/json"))
		ExpectTextError(ex, http.StatusBadRequest)
	})

	Spec("HDR-ERROR-TEXT-PLAIN", "GET /handles/{id} for an unknown handle id answers its 404 with a non-empty text/plain message", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := s.Do(fixtures.User1, http.MethodGet, "/handles/"+RandomGUID())
		ExpectTextError(ex, http.StatusNotFound)
	})

	Spec("HDR-ERROR-TEXT-PLAIN", "POST /handles/query with private=true by user1 with the xuid of user2 answers its 403 with a non-empty text/plain message", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1), "private", "true", "xuid", s.Who(fixtures.User2).XUID)
		ExpectTextError(ex, http.StatusForbidden)
	})

	DescribeTable("The sessiontemplates path literal is matched case-insensitively",
		func(ctx SpecContext, putSegment, getSegment string) {
			s := NewScenario(ctx)
			ref := s.NewRef(s.World().Templates.Primary)
			s.deferLeave(fixtures.User1, ref)
			put := s.Do(fixtures.User1, http.MethodPut, hdrSessionPath(ref, putSegment), mpsdclient.WithJSON(s.JoinBody(fixtures.User1, nil)))
			ExpectSuccess(put)
			ExpectJSON(put, "session")
			created := ExpectObject(put)

			get := s.Do(fixtures.User1, http.MethodGet, hdrSessionPath(ref, getSegment))
			ExpectStatus(get, http.StatusOK)
			ExpectJSON(get, "session")
			read := ExpectObject(get)
			for _, field := range []string{"branch", "correlationId", "changeNumber"} {
				if want, ok := created[field]; ok {
					Expect(read[field]).To(Equal(want), "GET returned a session whose %s differs from the session the PUT created\n%s\n%s", field, put, get)
				}
			}
			if etag := put.Header.Get("ETag"); etag != "" {
				Expect(get.Header.Get("ETag")).To(Equal(etag), "GET returned a different ETag than the PUT that created the session\n%s\n%s", put, get)
			}
		},
		RuleEntry("HDR-SESSIONTEMPLATES-CASE", "PUT /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name} creates a session that GET with the literal sessiontemplates returns with 200", "sessionTemplates", "sessiontemplates"),
		RuleEntry("HDR-SESSIONTEMPLATES-CASE", "PUT /serviceconfigs/{scid}/sessiontemplates/{template}/sessions/{name} creates a session that GET with the literal sessionTemplates returns with 200", "sessiontemplates", "sessionTemplates"),
	)
})
