package suites

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// POST /handles: activity and invite handles, their documents, the membership and ownership
// rules, replacement of older activities, and body validation.
var _ = Describe("[handles-create]", func() {
	// ------------------------------------------------------------------ activity handles

	Spec("HC-ACTIVITY-201", "POST /handles with an activity for a session the caller is an active member of is answered 201 with a handle document", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(s.ActivityBody(ref)))
		ExpectStatus(ex, http.StatusCreated)
		ExpectJSON(ex, "handle")
	})

	Spec("HC-ACTIVITY-LOCATION", "POST /handles with an activity answers 201 with Location and Content-Location both naming /handles/{id} of the new handle", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(s.ActivityBody(ref)))
		ExpectSuccess(ex)
		hcExpectLocations(ex)
	})

	Spec("HC-ACTIVITY-BODY", "POST /handles with an activity returns the request fields plus a GUID id, the caller's titleId and ownerXuid as strings, and createTime", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(s.ActivityBody(ref)))
		ExpectSuccess(ex)
		ExpectJSON(ex, "handle")
		doc := ExpectObject(ex)
		Expect(doc["version"]).To(Equal(json.Number("1")), "version is not the number 1 of the request\n%s", ex)
		Expect(doc["type"]).To(Equal("activity"), "type is not the request's activity\n%s", ex)
		Expect(doc["sessionRef"]).To(Equal(map[string]any{"scid": ref.SCID, "templateName": ref.Template, "name": ref.Name}),
			"sessionRef is not the one the request sent\n%s", ex)
		id, _ := doc["id"].(string)
		Expect(fixtures.IsGUID(id)).To(BeTrue(), "id %q is not a GUID\n%s", id, ex)
		Expect(doc["titleId"]).To(Equal(s.Who(User1).TitleID), "titleId is not the caller's title as a string\n%s", ex)
		Expect(doc["ownerXuid"]).To(Equal(s.Who(User1).XUID), "ownerXuid is not the caller's XUID as a string\n%s", ex)
		createTime, _ := doc["createTime"].(string)
		_, err := time.Parse(time.RFC3339Nano, createTime)
		Expect(err).NotTo(HaveOccurred(), "createTime %q is not an RFC 3339 timestamp\n%s", createTime, ex)
	})

	hcActivityNonMember.specs(
		twinSpec{"POST /handles with an activity for a session the caller has not joined", func(ctx SpecContext, status int) {
			s := NewScenario(ctx)
			ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
			ex := s.PostHandle(User2, mpsdclient.WithJSON(s.ActivityBody(ref)))
			expectRejected(ex, status)
			if status == any4xx {
				hcExpectNoActivityFor(s, User2, ref, ex)
			}
		}},
		twinSpec{"POST /handles with an activity for a session name that was never created", func(ctx SpecContext, status int) {
			s := NewScenario(ctx)
			ref := s.NewRef(s.World().Templates.Primary)
			ex := s.PostHandle(User1, mpsdclient.WithJSON(s.ActivityBody(ref)))
			expectRejected(ex, status)
			if status == any4xx {
				hcExpectNoActivityFor(s, User1, ref, ex)
			}
		}},
	)

	Spec("HC-ACTIVITY-REPLACE-SESSION", "POST /handles with a second activity by the same member for the same session replaces the first, whose id then answers 404", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref, first := s.CreateSessionActivity(User1, nil)
		second := s.CreateActivity(User1, ref)
		Expect(strings.ToLower(second.ID)).NotTo(Equal(strings.ToLower(first.ID)),
			"the second activity has the same id as the first one (%s)", first.ID)
		old := s.GetHandle(User1, first.ID)
		ExpectStatus(old, http.StatusNotFound)
		current := s.GetHandle(User1, second.ID)
		ExpectStatus(current, http.StatusOK)
	})

	Spec("HC-ACTIVITY-REPLACE-TITLE", "POST /handles with an activity for another session of the same SCID and title replaces the user's previous activity, whose id then answers 404", func(ctx SpecContext) {
		s := NewScenario(ctx)
		refA := s.CreateSession(User1, s.World().Templates.Primary, nil)
		refB := s.CreateSession(User1, s.World().Templates.Secondary, nil)
		first := s.CreateActivity(User1, refA)
		second := s.CreateActivity(User1, refB)
		old := s.GetHandle(User1, first.ID)
		ExpectStatus(old, http.StatusNotFound)
		current := s.GetHandle(User1, second.ID)
		ExpectStatus(current, http.StatusOK)
		ExpectJSON(current, "handle")
	})

	Spec("HC-CHANGENUMBER-BUMP", "POST /handles with an activity for an existing session increases the session's changeNumber and changes its ETag", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		hcExpectBump(s, ref, "handle", func() { s.CreateActivity(User1, ref) })
	})

	Spec("HC-CHANGENUMBER-BUMP", "POST /handles with an invite for an existing session increases the session's changeNumber and changes its ETag", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		hcExpectBump(s, ref, "invite", func() { s.CreateInvite(User1, User2, ref) })
	})

	// ------------------------------------------------------------------ invite handles

	Spec("HC-INVITE-2XX", "POST /handles with a valid invite is answered 2xx with a handle document holding a GUID id, type invite and the request's invitedXuid, inviteAttributes.titleId and sessionRef", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(s.InviteBody(User2, ref)))
		ExpectSuccess(ex)
		ExpectJSON(ex, "handle")
		doc := ExpectObject(ex)
		id, _ := doc["id"].(string)
		Expect(fixtures.IsGUID(id)).To(BeTrue(), "id %q is not a GUID\n%s", id, ex)
		Expect(doc["type"]).To(Equal("invite"), "type is not invite\n%s", ex)
		Expect(doc["invitedXuid"]).To(Equal(s.Who(User2).XUID), "invitedXuid is not the invitee's XUID\n%s", ex)
		attrs, _ := doc["inviteAttributes"].(map[string]any)
		Expect(attrs).To(HaveKeyWithValue("titleId", s.World().TitleID), "inviteAttributes.titleId is not the request's\n%s", ex)
		Expect(doc["sessionRef"]).To(Equal(ref.JSON()), "sessionRef is not the one the request sent\n%s", ex)
	})

	Spec("HC-INVITE-201", "POST /handles with a valid invite is answered exactly 201 with senderXuid the caller and an RFC 3339 expiration", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		body := s.InviteBody(User2, ref)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(body))
		ExpectStatus(ex, http.StatusCreated)
		ExpectJSON(ex, "handle")
		doc := ExpectObject(ex)
		Expect(doc["senderXuid"]).To(Equal(s.Who(User1).XUID), "senderXuid is not the caller's XUID\n%s", ex)
		expiration, _ := doc["expiration"].(string)
		_, err := time.Parse(time.RFC3339Nano, expiration)
		Expect(err).NotTo(HaveOccurred(), "expiration %q is not an RFC 3339 timestamp\n%s", expiration, ex)
	})

	invalidInviteLoose, invalidInviteExact := hcInviteInvalid.entries(
		twinOf("POST /handles with an invite without invitedXuid", hcWithout("invitedXuid")),
		twinOf("POST /handles with an invite whose invitedXuid is the non-decimal string abc", hcWith("invitedXuid", "abc")),
		twinOf("POST /handles with an invite without inviteAttributes.titleId", hcWithout("inviteAttributes", "titleId")),
		twinOf("POST /handles with an invite whose context is 300 characters long", hcWith("inviteAttributes", "context", strings.Repeat("a", 300))),
	)

	DescribeTable("POST /handles with an invalid invite",
		func(ctx SpecContext, status int, mutate func(s *Scenario, body map[string]any)) {
			s := NewScenario(ctx)
			ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
			body := s.InviteBody(User2, ref)
			mutate(s, body)
			ex := s.PostHandle(User1, mpsdclient.WithJSON(body))
			expectRejected(ex, status)
		},
		invalidInviteLoose,
		hcInviteInvalid.exactEntry(twinOf("POST /handles with an invite whose context is 257 characters long",
			hcWith("inviteAttributes", "context", strings.Repeat("a", 257)))),
		invalidInviteExact,
	)

	Spec("HC-INVITE-CLOSED-2XX", "POST /handles with an invite for a session whose properties.system.closed is true is answered 2xx with the invite handle", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := hcClosedSession(s)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(s.InviteBody(User2, ref)))
		ExpectSuccess(ex)
		ExpectJSON(ex, "handle")
	})

	Spec("HC-INVITE-CLOSED-201", "POST /handles with an invite for a session whose properties.system.closed is true is answered exactly 201", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := hcClosedSession(s)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(s.InviteBody(User2, ref)))
		ExpectStatus(ex, http.StatusCreated)
	})

	Spec("HC-INVITE-FULL-2XX", "POST /handles with an invite for a session that has reached its maxMembersCount is answered 2xx with the invite handle", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, map[string]any{
			"constants": map[string]any{"system": map[string]any{"maxMembersCount": 1}},
		})
		ex := s.PostHandle(User1, mpsdclient.WithJSON(s.InviteBody(User2, ref)))
		ExpectSuccess(ex)
		ExpectJSON(ex, "handle")
	})

	DescribeTable("POST /handles with an invite whose context is exactly 256 characters once URI-encoded is created",
		func(ctx SpecContext, context string) {
			s := NewScenario(ctx)
			Expect(len(url.PathEscape(context))).To(Equal(256), "the spec's context is not 256 characters once URI-encoded")
			ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
			body := s.InviteBody(User2, ref)
			hcWith("inviteAttributes", "context", context)(s, body)
			ex := s.PostHandle(User1, mpsdclient.WithJSON(body))
			ExpectSuccess(ex)
		},
		RuleEntry("HC-INVITE-CONTEXT-256", "POST /handles with an invite whose context is 256 plain characters is answered 2xx",
			strings.Repeat("a", 256)),
		RuleEntry("HC-INVITE-CONTEXT-256", "POST /handles with an invite whose context is 251 characters that URI-encode to 256 (one é as %C3%A9) is answered 2xx",
			strings.Repeat("a", 250)+"é"),
	)

	hcInviteNonOwner.spec("POST /handles with an invite by a member who is not an owner of a hasOwners session", func(ctx SpecContext, status int) {
		s := NewScenario(ctx)
		ex := hcNonOwnerInvite(s, nil)
		expectRejected(ex, status)
	})

	Spec("HC-INVITE-NONOWNER-4XX", "POST /handles with an invite by the owner of a hasOwners session is answered 2xx", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, hcOwnersConstants(nil))
		s.Join(User2, ref)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(s.InviteBody(User3, ref)))
		ExpectSuccess(ex)
		ExpectJSON(ex, "handle")
	})

	Spec("HC-INVITE-NONOWNER-4XX", "POST /handles with an invite by a non-owner member of a hasOwners session that sets allowNonOwnerInviteHandles is answered 2xx", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := hcNonOwnerInvite(s, map[string]any{"ownershipPolicies": map[string]any{"allowNonOwnerInviteHandles": true}})
		ExpectSuccess(ex)
		ExpectJSON(ex, "handle")
	})

	// ------------------------------------------------------------------ body validation

	DescribeTable("POST /handles with an invalid body",
		func(ctx SpecContext, body func(s *Scenario, ref SessionRef) mpsdclient.Option) {
			s := NewScenario(ctx)
			ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
			ex := s.PostHandle(User1, body(s, ref))
			ExpectStatus(ex, http.StatusBadRequest)
		},
		RuleEntry("HC-INVALID-BODY-400", "POST /handles with a malformed JSON body is answered 400",
			func(s *Scenario, ref SessionRef) mpsdclient.Option {
				raw := []byte(`{"version": 1, "type": "activity", "sessionRef": {"scid": "` + ref.SCID + `", "templateName": "` + ref.Template + `", "name": "` + ref.Name + `"}`)
				return mpsdclient.WithRawBody(raw, "application/json")
			}),
		RuleEntry("HC-INVALID-BODY-400", "POST /handles with the unknown handle type party is answered 400",
			hcActivityVariant(func(body map[string]any) { body["type"] = "party" })),
		RuleEntry("HC-INVALID-BODY-400", "POST /handles with an activity whose sessionRef has no templateName is answered 400",
			hcActivityVariant(func(body map[string]any) { delete(body["sessionRef"].(map[string]any), "templateName") })),
		RuleEntry("HC-INVALID-BODY-400", "POST /handles with an activity whose sessionRef.scid is a JSON number is answered 400",
			hcActivityVariant(func(body map[string]any) { body["sessionRef"].(map[string]any)["scid"] = 12345 })),
		RuleEntry("HC-INVALID-BODY-400", "POST /handles with an activity whose version is the string \"1\" is answered 400",
			hcActivityVariant(func(body map[string]any) { body["version"] = "1" })),
	)

	// The page's sample says the name is optional and the service fills one in; what the
	// service then answers (a handle, or a refusal because the caller is no member of the new
	// name) is not documented, so only a 400 (a malformed request) breaks the rule.
	Spec("HC-ACTIVITY-NAME-OPTIONAL", "POST /handles with an activity whose sessionRef has no name is not answered 400", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		body := s.ActivityBody(ref)
		delete(body["sessionRef"].(map[string]any), "name")
		ex := s.PostHandle(User1, mpsdclient.WithJSON(body))
		ExpectNot(ex, http.StatusBadRequest)
		Expect(ex.Status).To(BeNumerically("<", 500), "status %d: a server error\n%s", ex.Status, ex)
	})

	DescribeTable("POST /handles: an activity handle is deleted when its member no longer plays",
		func(ctx SpecContext, change map[string]any) {
			s := NewScenario(ctx)
			ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
			s.Join(User2, ref)
			h := s.CreateActivity(User2, ref)
			put := s.PutSession(User2, ref, mpsdclient.WithJSON(change))
			blockSetup(is2xx(put.Status), "SP-UPDATE-200", "changing the member's state", "a 2xx status", put)
			get := s.GetHandle(User2, h.ID)
			ExpectStatus(get, http.StatusNotFound)
		},
		RuleEntry("HC-ACTIVITY-LEAVE-REMOVES", "POST /handles: after the member leaves the session, GET /handles/{id} of their activity handle answers 404",
			map[string]any{"members": map[string]any{"me": nil}}),
		RuleEntry("HC-ACTIVITY-LEAVE-REMOVES", "POST /handles: after the member sets themselves inactive, GET /handles/{id} of their activity handle answers 404",
			map[string]any{"members": map[string]any{"me": map[string]any{"properties": map[string]any{"system": map[string]any{"active": false}}}}}),
	)

	// ------------------------------------------------------------------ unknown template

	DescribeTable("POST /handles for a template that does not exist under the configured SCID is answered 404",
		func(ctx SpecContext, body func(s *Scenario, ref SessionRef) map[string]any) {
			s := NewScenario(ctx)
			ref := SessionRef{SCID: s.World().SCID, Template: hcUnknownTemplate, Name: s.NewSessionName()}
			ex := s.PostHandle(User1, mpsdclient.WithJSON(body(s, ref)))
			ExpectStatus(ex, http.StatusNotFound)
		},
		RuleEntry("HC-UNKNOWN-TEMPLATE-404", "POST /handles with an activity for a template that does not exist under the configured SCID is answered 404",
			(*Scenario).ActivityBody),
		RuleEntry("HC-UNKNOWN-TEMPLATE-404", "POST /handles with an invite for a template that does not exist under the configured SCID is answered 404",
			func(s *Scenario, ref SessionRef) map[string]any { return s.InviteBody(User2, ref) }),
	)
})

// hcClosedSession creates a session as User1 and closes it (properties.system.closed).
func hcClosedSession(s *Scenario) SessionRef {
	GinkgoHelper()
	ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
	hsClose(s, ref)
	return ref
}

// hcUnknownTemplate is a template name no test world configures.
const hcUnknownTemplate = "MpsdConfNoSuchTemplate"

// The twins of POST /handles: a 4xx documented, an exact status inferred.
var (
	hcActivityNonMember = twin{loose: "HC-ACTIVITY-NONMEMBER-4XX", exact: "HC-ACTIVITY-NONMEMBER-403", status: http.StatusForbidden, looseAlso: " and creates no handle"}
	hcInviteInvalid     = twin{loose: "HC-INVITE-INVALID-4XX", exact: "HC-INVITE-INVALID-400", status: http.StatusBadRequest}
	hcInviteNonOwner    = twin{loose: "HC-INVITE-NONOWNER-4XX", exact: "HC-INVITE-NONOWNER-403", status: http.StatusForbidden}
)

// hcActivityVariant returns a body option: a valid activity body for ref, changed by mutate.
func hcActivityVariant(mutate func(body map[string]any)) func(s *Scenario, ref SessionRef) mpsdclient.Option {
	return func(s *Scenario, ref SessionRef) mpsdclient.Option {
		GinkgoHelper()
		body := s.ActivityBody(ref)
		mutate(body)
		return mpsdclient.WithJSON(body)
	}
}

// hcWithout returns a body change that deletes the value at path.
func hcWithout(path ...string) func(s *Scenario, body map[string]any) {
	return func(_ *Scenario, body map[string]any) {
		GinkgoHelper()
		parent := hcParent(body, path)
		Expect(parent).To(HaveKey(path[len(path)-1]), "the invite fixture has no %s", strings.Join(path, "."))
		delete(parent, path[len(path)-1])
	}
}

// hcWith returns a body change that sets the value at path (the last argument is the value).
func hcWith(pathAndValue ...any) func(s *Scenario, body map[string]any) {
	return func(_ *Scenario, body map[string]any) {
		GinkgoHelper()
		path := make([]string, len(pathAndValue)-1)
		for i := range path {
			path[i] = pathAndValue[i].(string)
		}
		hcParent(body, path)[path[len(path)-1]] = pathAndValue[len(pathAndValue)-1]
	}
}

// hcParent returns the object holding the last element of path, failing if it is missing.
func hcParent(body map[string]any, path []string) map[string]any {
	GinkgoHelper()
	cur := body
	for _, k := range path[:len(path)-1] {
		next, ok := cur[k].(map[string]any)
		Expect(ok).To(BeTrue(), "the request body has no object at %s", k)
		cur = next
	}
	return cur
}

// hcNonOwnerInvite creates a hasOwners session owned by User1 (with extra constants.system
// fields), has User2 join it, and sends User2's invite of User3.
func hcNonOwnerInvite(s *Scenario, system map[string]any) *mpsdclient.Exchange {
	GinkgoHelper()
	ref := s.CreateSession(User1, s.World().Templates.Primary, hcOwnersConstants(system))
	s.Join(User2, ref)
	return s.PostHandle(User2, mpsdclient.WithJSON(s.InviteBody(User3, ref)))
}

// hcOwnersConstants is a session PUT extra with the hasOwners capability and extra
// constants.system fields.
func hcOwnersConstants(system map[string]any) map[string]any {
	sys := map[string]any{"capabilities": map[string]any{"hasOwners": true}}
	for k, v := range system {
		sys[k] = v
	}
	return map[string]any{"constants": map[string]any{"system": sys}}
}

// hcExpectBump asserts that create (which creates a handle, described by what) increases
// ref's changeNumber and changes its ETag, both read by User1.
func hcExpectBump(s *Scenario, ref SessionRef, what string, create func()) {
	GinkgoHelper()
	beforeNumber, beforeTag := hcSessionStateOf(s.GetSession(User1, ref))
	create()
	after := s.GetSession(User1, ref)
	afterNumber, afterTag := hcSessionStateOf(after)
	Expect(afterNumber).To(BeNumerically(">", beforeNumber), "changeNumber did not increase after the %s was created\n%s", what, after)
	Expect(afterTag).NotTo(Equal(beforeTag), "ETag did not change after the %s was created\n%s", what, after)
}

// hcSessionStateOf returns a 200 session response's changeNumber and ETag.
func hcSessionStateOf(ex *mpsdclient.Exchange) (int64, string) {
	GinkgoHelper()
	ExpectStatus(ex, http.StatusOK)
	ExpectJSON(ex, "session")
	return sessionChangeNumber(ex), ExpectHeader(ex, "ETag")
}

// hcExpectNoActivityFor asserts that who owns no activity handle for ref (a rejected POST must
// not have created one): the rejected answer's id, if any, is unknown, and a query of who's
// activities in the SCID finds none for ref.
func hcExpectNoActivityFor(s *Scenario, who string, ref SessionRef, rejected *mpsdclient.Exchange) {
	GinkgoHelper()
	if doc, err := rejected.Object(); err == nil {
		if id, _ := doc["id"].(string); fixtures.IsGUID(id) {
			get := s.GetHandle(who, id)
			Expect(get.Status).To(Equal(http.StatusNotFound),
				"the rejected POST /handles created handle %s anyway\n%s\n%s", id, rejected, get)
		}
	}
	q := s.Query(who, s.QueryByXUIDs(who))
	Expect(q.Status).To(Equal(http.StatusOK), "could not query the caller's activity handles\n%s", q)
	ExpectSchema(q, "handles-query-response")
	for _, h := range s.Results(q) {
		name, _ := dig(h, "sessionRef", "name").(string)
		Expect(strings.EqualFold(name, ref.Name)).To(BeFalse(),
			"an activity handle for session %s exists although POST /handles was rejected\n%s\n%s", ref.Name, rejected, q)
	}
}

// hcExpectLocations asserts that a created handle's answer names it, /handles/{id} (as a path
// or an absolute URL), in both Location and Content-Location.
func hcExpectLocations(ex *mpsdclient.Exchange) {
	GinkgoHelper()
	id, _ := ExpectObject(ex)["id"].(string)
	Expect(id).NotTo(BeEmpty(), "the created handle has no id\n%s", ex)
	for _, header := range []string{"Location", "Content-Location"} {
		value := ExpectHeader(ex, header)
		Expect(hcIsHandlePath(value, id)).To(BeTrue(), "%s %q does not name /handles/%s\n%s", header, value, id, ex)
	}
}

// hcIsHandlePath reports whether the URL (absolute or relative) has the path /handles/{id}
// (the GUID compared case-insensitively).
func hcIsHandlePath(v, id string) bool {
	rest, ok := strings.CutPrefix(urlPath(v), handlePathPrefix)
	return ok && id != "" && strings.EqualFold(rest, id)
}
