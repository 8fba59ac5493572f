package suites

import (
	"encoding/json"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// Specs of the POST /handles/query query-string parameters: that each documented parameter is
// accepted (doc), how each one is validated and what each one does to the results (inferred).
// The effect specs follow one pattern: a handle that must come back and, where the parameter
// narrows the results, a handle that must not; a query without the parameter first shows both
// handles are found at all, so that a missing handle can only be the parameter's doing.
// Handles that must coexist belong to different users (one activity per user per SCID and
// title: a second activity by the same user replaces the first).

var _ = Describe("[handles-query] query-string parameters", func() {
	// ------------------------------------------------------------------ the documented table

	// Session queries refuse some parameters without a xuid filter, and the table was copied from
	// them, so each parameter goes out together with the caller's own xuid.
	DescribeTable("POST /handles/query accepts each documented query-string parameter",
		func(ctx SpecContext, params func(s *Scenario) []string) {
			s := NewScenario(ctx)
			p := params(s)
			if p[0] != "xuid" {
				p = append(p, "xuid", s.Who(User1).XUID)
			}
			ex := s.Query(User1, s.QueryByXUIDs(User1), p...)
			ExpectStatus(ex, http.StatusOK)
			ExpectJSON(ex, hqSchema)
		},
		RuleEntry("HQ-PARAMS-ACCEPTED", "POST /handles/query with keyword=mpsdconf and the caller's xuid is answered 200", hpFixed("keyword", "mpsdconf")),
		RuleEntry("HQ-PARAMS-ACCEPTED", "POST /handles/query with xuid set to the caller's XUID is answered 200",
			func(s *Scenario) []string { return []string{"xuid", s.Who(User1).XUID} }),
		RuleEntry("HQ-PARAMS-ACCEPTED", "POST /handles/query with reservations=false and the caller's xuid is answered 200", hpFixed("reservations", "false")),
		RuleEntry("HQ-PARAMS-ACCEPTED", "POST /handles/query with inactive=true and the caller's xuid is answered 200", hpFixed("inactive", "true")),
		RuleEntry("HQ-PARAMS-ACCEPTED", "POST /handles/query with private=false and the caller's xuid is answered 200", hpFixed("private", "false")),
		RuleEntry("HQ-PARAMS-ACCEPTED", "POST /handles/query with visibility=open and the caller's xuid is answered 200", hpFixed("visibility", "open")),
		RuleEntry("HQ-PARAMS-ACCEPTED", "POST /handles/query with version=1 and the caller's xuid is answered 200", hpFixed("version", "1")),
		RuleEntry("HQ-PARAMS-ACCEPTED", "POST /handles/query with take=10 and the caller's xuid is answered 200", hpFixed("take", "10")),
		RuleEntry("HQ-PARAMS-ACCEPTED", "POST /handles/query with include=relatedInfo,customProperties and the caller's xuid is answered 200", hpFixed("include", "relatedInfo,customProperties")),
	)

	// ------------------------------------------------------------------ keyword

	Spec("HQ-KEYWORD-FILTER", "POST /handles/query with keyword=W returns the activity of a session whose properties.system.keywords hold W and not the activity of a session without W", func(ctx SpecContext) {
		s := NewScenario(ctx)
		w := s.World()
		tagged := s.CreateSession(User1, w.Templates.Primary, nil)
		word := hpKeyword(tagged)
		put := s.PutSession(User1, tagged, mpsdclient.WithJSON(map[string]any{
			"properties": map[string]any{"system": map[string]any{"keywords": []string{word}}},
		}))
		blockSetup(put.Status == http.StatusOK, "SP-UPDATE-200", "setting the session keywords", "200", put)
		Expect(dig(ExpectObject(put), "properties", "system", "keywords")).To(ContainElement(word),
			"setup: the session PUT did not set properties.system.keywords to [%s]\n%s", word, put)
		other := s.CreateSession(User3, w.Templates.Secondary, nil)
		h1 := s.CreateActivity(User1, tagged)
		h3 := s.CreateActivity(User3, other)
		body := s.QueryByXUIDs(User1, User3)
		hpExpectBoth(s, User1, body, h1, h3)

		ex := s.Query(User1, body, "keyword", word)
		ids := hpResultIDs(s, ex)
		Expect(ids).To(ContainElement(strings.ToLower(h1.ID)),
			"the activity %s of the session with keyword %s is missing from the keyword=%s results\n%s", h1.ID, word, word, ex)
		Expect(ids).NotTo(ContainElement(strings.ToLower(h3.ID)),
			"the activity %s of a session without keyword %s was returned for keyword=%s\n%s", h3.ID, word, word, ex)
	})

	Spec("HQ-KEYWORD-EMPTY-400", "POST /handles/query with an empty keyword (keyword=) is answered 400", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := s.Query(User1, s.QueryByXUIDs(User1), "keyword", "")
		ExpectStatus(ex, http.StatusBadRequest)
	})

	// ------------------------------------------------------------------ xuid

	Spec("HQ-XUID-FILTER", "POST /handles/query with user2's xuid returns the activity of a session user2 is active in and not the activity of a session without user2", func(ctx SpecContext) {
		s := NewScenario(ctx)
		w := s.World()
		joined := s.CreateSession(User1, w.Templates.Primary, nil)
		s.Join(User2, joined)
		other := s.CreateSession(User3, w.Templates.Secondary, nil)
		h1 := s.CreateActivity(User1, joined)
		h3 := s.CreateActivity(User3, other)
		body := s.QueryByXUIDs(User1, User3)
		hpExpectBoth(s, User1, body, h1, h3)

		ex := s.Query(User1, body, "xuid", s.Who(User2).XUID)
		ids := hpResultIDs(s, ex)
		Expect(ids).To(ContainElement(strings.ToLower(h1.ID)),
			"user1's activity %s in a session user2 is active in is missing from the xuid=user2 results\n%s", h1.ID, ex)
		Expect(ids).NotTo(ContainElement(strings.ToLower(h3.ID)),
			"user3's activity %s in a session without user2 was returned for xuid=user2\n%s", h3.ID, ex)
	})

	DescribeTable("POST /handles/query with an xuid that is not a decimal uint64 is answered 400",
		func(ctx SpecContext, xuid string) {
			s := NewScenario(ctx)
			ex := s.Query(User1, s.QueryByXUIDs(User1), "xuid", xuid)
			ExpectStatus(ex, http.StatusBadRequest)
		},
		RuleEntry("HQ-XUID-INVALID-400", "POST /handles/query with xuid=abc is answered 400", "abc"),
		RuleEntry("HQ-XUID-INVALID-400", "POST /handles/query with xuid=-1 is answered 400", "-1"),
		RuleEntry("HQ-XUID-INVALID-400", "POST /handles/query with xuid=1.5 is answered 400", "1.5"),
		RuleEntry("HQ-XUID-INVALID-400", "POST /handles/query with xuid=18446744073709551616 (2^64) is answered 400", "18446744073709551616"),
	)

	// ------------------------------------------------------------------ reservations, inactive

	Spec("HQ-RESERVATIONS-FILTER", "POST /handles/query by user2 with user2's own xuid returns the activity of a session user2 is only reserved in with reservations=true and not without it", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		x2 := s.Who(User2).XUID
		reserve := s.PutSession(User1, ref, mpsdclient.WithJSON(map[string]any{
			"members": map[string]any{"reserve_0": map[string]any{"constants": map[string]any{"system": map[string]any{"xuid": x2}}}},
		}))
		s.deferLeave(User2, ref) // removes the reservation again
		blockSetup(reserve.Status == http.StatusOK, "SP-UPDATE-200", "reserving user2", "200", reserve)
		Expect(memberXUIDs(ExpectObject(reserve))).To(ContainElement(x2), "setup: the session PUT did not reserve user2\n%s", reserve)
		h1 := s.CreateActivity(User1, ref)
		body := s.QueryByXUIDs(User1)

		with := s.Query(User2, body, "xuid", x2, "reservations", "true")
		Expect(hpResultIDs(s, with)).To(ContainElement(strings.ToLower(h1.ID)),
			"the activity %s of a session user2 is reserved in is missing from the xuid=user2&reservations=true results\n%s", h1.ID, with)
		without := s.Query(User2, body, "xuid", x2)
		Expect(hpResultIDs(s, without)).NotTo(ContainElement(strings.ToLower(h1.ID)),
			"the activity %s of a session user2 is only reserved in was returned for xuid=user2 without reservations=true\n%s", h1.ID, without)
	})

	Spec("HQ-INACTIVE-FILTER", "POST /handles/query with user2's xuid returns the activity of a session user2 is an inactive member of with inactive=true and not without it", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, hpKeepInactiveMembers(s))
		s.Join(User2, ref)
		x2 := s.Who(User2).XUID
		off := s.PutSession(User2, ref, mpsdclient.WithJSON(map[string]any{
			"members": map[string]any{"me": map[string]any{"properties": map[string]any{"system": map[string]any{"active": false}}}},
		}))
		blockSetup(off.Status == http.StatusOK, "SP-UPDATE-200", "setting user2 inactive", "200", off)
		member := hpMember(ExpectObject(off), x2)
		Expect(member).NotTo(BeNil(), "setup: user2 is no longer a member after setting active to false\n%s", off)
		Expect(dig(member, "properties", "system", "active")).NotTo(Equal(true), "setup: user2 is still active\n%s", off)
		h1 := s.CreateActivity(User1, ref)
		body := s.QueryByXUIDs(User1)

		with := s.Query(User1, body, "xuid", x2, "inactive", "true")
		Expect(hpResultIDs(s, with)).To(ContainElement(strings.ToLower(h1.ID)),
			"the activity %s of a session user2 is inactive in is missing from the xuid=user2&inactive=true results\n%s", h1.ID, with)
		without := s.Query(User1, body, "xuid", x2)
		Expect(hpResultIDs(s, without)).NotTo(ContainElement(strings.ToLower(h1.ID)),
			"the activity %s of a session user2 is only inactive in was returned for xuid=user2 without inactive=true\n%s", h1.ID, without)
	})

	// ------------------------------------------------------------------ private, visibility

	// Only callers the private/reservations rule lets through: the server principal, or user1
	// naming its own xuid (user1 is active in the session, so the xuid filter keeps it).
	DescribeTable("POST /handles/query returns activities of private sessions only with private=true",
		func(ctx SpecContext, caller string, ownXUID bool) {
			s := NewScenario(ctx)
			ref := s.CreateSession(User1, s.World().Templates.Primary, hpVisibility("private"))
			hpExpectVisibility(s, User1, ref, "private")
			h1 := s.CreateActivity(User1, ref)
			body := s.QueryByXUIDs(User1)
			var params []string
			if ownXUID {
				params = []string{"xuid", s.Who(User1).XUID}
			}

			with := s.Query(caller, body, append([]string{"private", "true"}, params...)...)
			Expect(hpResultIDs(s, with)).To(ContainElement(strings.ToLower(h1.ID)),
				"the activity %s of a private session is missing from the private=true results\n%s", h1.ID, with)
			without := s.Query(caller, body, params...)
			Expect(hpResultIDs(s, without)).NotTo(ContainElement(strings.ToLower(h1.ID)),
				"the activity %s of a private session was returned without private=true\n%s", h1.ID, without)
		},
		RuleEntry("HQ-PRIVATE-FILTER", "POST /handles/query by the server principal returns the activity of a private session with private=true and not without it", Server, false, NeedsServer),
		RuleEntry("HQ-PRIVATE-FILTER", "POST /handles/query by user1 with user1's own xuid returns user1's activity in a private session with private=true and not without it", User1, true),
	)

	DescribeTable("POST /handles/query with visibility returns only activities of sessions with that visibility",
		func(ctx SpecContext, visibility string) {
			s := NewScenario(ctx)
			w := s.World()
			open := s.CreateSession(User1, w.Templates.Primary, hpVisibility("open"))
			hpExpectVisibility(s, User1, open, "open")
			private := s.CreateSession(User2, w.Templates.Primary, hpVisibility("private"))
			hpExpectVisibility(s, User2, private, "private")
			hOpen := s.CreateActivity(User1, open)
			hPrivate := s.CreateActivity(User2, private)
			want, unwanted := hOpen, hPrivate
			if visibility == "private" {
				want, unwanted = hPrivate, hOpen
			}
			body := s.QueryByXUIDs(User1, User2)
			hpExpectBoth(s, Server, body, hOpen, hPrivate, "private", "true")

			ex := s.Query(Server, body, "private", "true", "visibility", visibility)
			ids := hpResultIDs(s, ex)
			Expect(ids).To(ContainElement(strings.ToLower(want.ID)),
				"the activity %s of the %s session is missing from the visibility=%s results\n%s", want.ID, visibility, visibility, ex)
			Expect(ids).NotTo(ContainElement(strings.ToLower(unwanted.ID)),
				"the activity %s of a session that is not %s was returned for visibility=%s\n%s", unwanted.ID, visibility, visibility, ex)
		},
		RuleEntry("HQ-VISIBILITY-FILTER", "POST /handles/query by the server principal with private=true and visibility=open returns the open session's activity and not the private session's", "open", NeedsServer),
		RuleEntry("HQ-VISIBILITY-FILTER", "POST /handles/query by the server principal with private=true and visibility=private returns the private session's activity and not the open session's", "private", NeedsServer),
	)

	DescribeTable("POST /handles/query with an unknown visibility is answered 400",
		func(ctx SpecContext, visibility string) {
			s := NewScenario(ctx)
			ex := s.Query(User1, s.QueryByXUIDs(User1), "visibility", visibility)
			ExpectStatus(ex, http.StatusBadRequest)
		},
		RuleEntry("HQ-VISIBILITY-INVALID-400", "POST /handles/query with visibility=bogus is answered 400", "bogus"),
		RuleEntry("HQ-VISIBILITY-INVALID-400", "POST /handles/query with an empty visibility (visibility=) is answered 400", ""),
	)

	// ------------------------------------------------------------------ version

	Spec("HQ-VERSION-FILTER", "POST /handles/query with version=1 returns the activity of a session whose constants.system.version is 1 and with version=0 does not", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		get := s.GetSession(User1, ref)
		blockSetup(get.Status == http.StatusOK, "SG-200", "reading the session", "200", get)
		Expect(dig(ExpectObject(get), "constants", "system", "version")).To(Equal(json.Number("1")),
			"setup: the session's constants.system.version is not 1\n%s", get)
		h1 := s.CreateActivity(User1, ref)
		body := s.QueryByXUIDs(User1)

		v1 := s.Query(User1, body, "version", "1")
		Expect(hpResultIDs(s, v1)).To(ContainElement(strings.ToLower(h1.ID)),
			"the activity %s of a version 1 session is missing from the version=1 results\n%s", h1.ID, v1)
		v0 := s.Query(User1, body, "version", "0")
		Expect(hpResultIDs(s, v0)).NotTo(ContainElement(strings.ToLower(h1.ID)),
			"the activity %s of a version 1 session was returned for version=0\n%s", h1.ID, v0)
	})

	Spec("HQ-VERSION-NEGATIVE-400", "POST /handles/query with version=-1 is answered 400", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := s.Query(User1, s.QueryByXUIDs(User1), "version", "-1")
		ExpectStatus(ex, http.StatusBadRequest)
	})

	// ------------------------------------------------------------------ include

	DescribeTable("POST /handles/query with an unknown include item is answered 400",
		func(ctx SpecContext, include string) {
			s := NewScenario(ctx)
			ex := s.Query(User1, s.QueryByXUIDs(User1), "include", include)
			ExpectStatus(ex, http.StatusBadRequest)
		},
		RuleEntry("HQ-INCLUDE-UNKNOWN-400", "POST /handles/query with include=bogusInfo is answered 400", "bogusInfo"),
		RuleEntry("HQ-INCLUDE-UNKNOWN-400", "POST /handles/query with include=relatedInfo,bogusInfo is answered 400", "relatedInfo,bogusInfo"),
	)
})

// hpFixed returns fixed query-string parameters (name, value pairs).
func hpFixed(params ...string) func(*Scenario) []string {
	return func(*Scenario) []string { return params }
}

// hpKeyword is a keyword unique to the session: "mpsdconf" and the random part of its name.
func hpKeyword(ref SessionRef) string {
	return "mpsdconf" + ref.Name[strings.LastIndex(ref.Name, "-")+1:]
}

// hpVisibility is a session PUT extra that creates the session with the given visibility.
func hpVisibility(v string) map[string]any {
	return map[string]any{"constants": map[string]any{"system": map[string]any{"visibility": v}}}
}

// hpKeepInactiveMembers is a session PUT extra that keeps inactive members for five minutes
// (the default inactiveRemovalTimeout 0 may remove them at once), in the shape of the
// run's contract version: top-level timeouts from 107, a timeouts object before.
func hpKeepInactiveMembers(s *Scenario) map[string]any {
	const keep = 300000
	sys := map[string]any{"inactiveRemovalTimeout": keep}
	if s.World().ContractVersion < 107 {
		sys = map[string]any{"timeouts": map[string]any{"inactive": keep}}
	}
	return map[string]any{"constants": map[string]any{"system": sys}}
}

// hpExpectVisibility reads ref as who and asserts its constants.system.visibility (a setup check).
func hpExpectVisibility(s *Scenario, who string, ref SessionRef, want string) {
	GinkgoHelper()
	ex := s.GetSession(who, ref)
	blockSetup(ex.Status == http.StatusOK, "SG-200", "reading the session", "200", ex)
	Expect(dig(ExpectObject(ex), "constants", "system", "visibility")).To(Equal(want),
		"setup: the session's constants.system.visibility is not %s\n%s", want, ex)
}

// hpMember returns the member object of a session document whose XUID is xuid, or nil.
func hpMember(doc map[string]any, xuid string) map[string]any {
	members, _ := doc["members"].(map[string]any)
	for _, m := range members {
		member, _ := m.(map[string]any)
		if dig(member, "constants", "system", "xuid") == xuid {
			return member
		}
	}
	return nil
}

// hpResultIDs asserts a 200 query answer with valid results and returns the result ids.
func hpResultIDs(s *Scenario, ex *mpsdclient.Exchange) []string {
	GinkgoHelper()
	ExpectStatus(ex, http.StatusOK)
	ExpectJSON(ex, hqSchema)
	return s.ResultIDs(ex)
}

// hpExpectBoth is the precondition of a narrowing filter: the query without that filter (only
// params) returns both handles, so a handle missing later is the filter's doing.
func hpExpectBoth(s *Scenario, who string, body any, a, b Handle, params ...string) {
	GinkgoHelper()
	By("precondition: without the filter both activity handles are returned")
	ex := s.Query(who, body, params...)
	ExpectStatus(ex, http.StatusOK)
	ExpectJSON(ex, hqSchema)
	Expect(s.ResultIDs(ex)).To(ContainElements(strings.ToLower(a.ID), strings.ToLower(b.ID)),
		"precondition: without the filter both activity handles %s and %s must be returned, or the filter cannot be judged\n%s", a.ID, b.ID, ex)
}
