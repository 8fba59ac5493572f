package suites

import (
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/schemas"
)

// Header rules, checked on every endpoint. Each table entry builds, with its own Scenario, a
// request to the endpoint that would succeed as user1 (creating the session and activity handle
// it needs), and then breaks exactly one thing about it.

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

// hdrCVInvalid is the twin of a missing or unsupported contract version: any 4xx (on the
// /handles endpoints, the pages whose box demands the header), or exactly 400 with a
// text/plain message (on every endpoint).
var hdrCVInvalid = twin{loose: "HDR-CV-INVALID-4XX", exact: "HDR-CV-INVALID-400", status: http.StatusBadRequest, exactAlso: " with a text/plain message"}

// hdrInvalidCVEntries are hdrCVInvalid's entries: the loose rule's on the /handles endpoints,
// the exact rule's on every endpoint. Each entry's parameters are the status its rule wants,
// the endpoint key and the contract version ("" for none).
func hdrInvalidCVEntries() (loose, exact []TableEntry) {
	for _, ep := range endpoints {
		for _, c := range hdrInvalidCVCases {
			request := twinOf(fmt.Sprintf("%s %s", ep.label, c.text), ep.key, c.value)
			if !strings.HasPrefix(ep.key, "session-") {
				loose = append(loose, hdrCVInvalid.looseEntry(request))
			}
			exact = append(exact, hdrCVInvalid.exactEntry(request))
		}
	}
	return loose, exact
}

func hdrAcceptedCVEntries() []TableEntry {
	var entries []TableEntry
	for _, ep := range endpoints {
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
	for _, ep := range endpoints {
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
	GinkgoHelper()
	Expect(ex.ContentType()).To(Equal("application/json"), "JSON body without Content-Type application/json\n%s", ex)
	if schema != handleOrSessionSchema {
		Expect(schemas.Validate(schema, ex.Body)).To(Succeed(), "response body does not match schema %q\n%s", schema, ex)
		return
	}
	handleErr := schemas.Validate("handle", ex.Body)
	sessionErr := schemas.Validate("session", ex.Body)
	Expect(handleErr == nil || sessionErr == nil).To(BeTrue(),
		"response body matches neither the handle nor the session schema\nhandle: %v\nsession: %v\n%s", handleErr, sessionErr, ex)
}

var _ = Describe("[headers]", func() {
	// The body of both tables of the hdrCVInvalid twin.
	cvRejected := func(ctx SpecContext, status int, key, value string) {
		s := NewScenario(ctx)
		ex := s.send(s.prepare(key), User1, hdrCVOption(value))
		if status == any4xx {
			Expect4xx(ex)
			return
		}
		ExpectTextError(ex, status)
	}
	cvLoose, cvExact := hdrInvalidCVEntries()

	DescribeTable("A request with a missing or unsupported X-Xbl-Contract-Version is rejected", cvRejected, cvLoose)

	DescribeTable("A request with a missing or unsupported X-Xbl-Contract-Version is answered 400 with a text/plain message", cvRejected, cvExact)

	DescribeTable("A request with X-Xbl-Contract-Version 104, 105 or 107 is not rejected for its contract version",
		func(ctx SpecContext, key, value string) {
			s := NewScenario(ctx)
			req := s.prepare(key)
			ex := s.send(req, User1, hdrCVOption(value))
			ExpectNot(ex, http.StatusBadRequest)
			ExpectNot(ex, http.StatusNotAcceptable)
			if req.endpoint.read {
				ExpectSuccess(ex) // reading an existing object with a supported version succeeds
			}
		},
		hdrAcceptedCVEntries(),
	)

	DescribeTable("A response with a JSON body declares Content-Type application/json",
		func(ctx SpecContext, key string) {
			s := NewScenario(ctx)
			req := s.prepare(key)
			ex := s.send(req, User1)
			ExpectSuccess(ex)
			hdrExpectJSONBody(ex, req.endpoint.schema)
		},
		hdrJSONEntries(),
	)

	Spec("HDR-ERROR-TEXT-PLAIN", "POST /handles with a malformed JSON body answers its 400 with a non-empty text/plain message", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := s.Do(User1, http.MethodPost, handlesPath,
			mpsdclient.WithRawBody([]byte(`{"version": 1, "type": "activity", "sessionRef": {`), "application/json"))
		ExpectTextError(ex, http.StatusBadRequest)
	})

	Spec("HDR-ERROR-TEXT-PLAIN", "GET /handles/{id} for an unknown handle id answers its 404 with a non-empty text/plain message", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := s.GetHandle(User1, RandomGUID())
		ExpectTextError(ex, http.StatusNotFound)
	})

	Spec("HDR-ERROR-TEXT-PLAIN", "POST /handles/query with private=true by user1 with the xuid of user2 answers its 403 with a non-empty text/plain message", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := s.Query(User1, s.QueryByXUIDs(User1), "private", "true", "xuid", s.Who(User2).XUID)
		ExpectTextError(ex, http.StatusForbidden)
	})

	DescribeTable("The sessiontemplates path literal is matched case-insensitively",
		func(ctx SpecContext, putSegment, getSegment string) {
			s := NewScenario(ctx)
			ref := s.NewRef(s.World().Templates.Primary)
			s.deferLeave(User1, ref)
			put := s.Do(User1, http.MethodPut, ref.pathWith(putSegment), mpsdclient.WithJSON(s.JoinBody(User1, nil)))
			ExpectSuccess(put)
			ExpectJSON(put, "session")
			created := ExpectObject(put)

			get := s.Do(User1, http.MethodGet, ref.pathWith(getSegment))
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
