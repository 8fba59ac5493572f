package suites

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// Specs of POST /handles/query. Every spec creates its own sessions and activity handles; the
// queries ask only for the XUIDs (or the social graph) of the run's identities, so handles
// left by other runs of other users never matter.

const hqSchema = "handles-query-response"

var _ = Describe("[handles-query]", func() {
	Spec("HQ-RESPONSE-200", "POST /handles/query with a valid activity query answers 200 with a results array of at most 100 handles with unique ids", func(ctx SpecContext) {
		s := NewScenario(ctx)
		s.CreateSessionActivity(fixtures.User1, nil)

		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1))
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		ids := s.ResultIDs(ex)
		Expect(len(ids)).To(BeNumerically("<=", 100), "more than 100 results\n%s", ex)
		Expect(hqDuplicates(ids)).To(BeEmpty(), "result ids are not unique\n%s", ex)
	})

	Spec("HQ-OWNERS-XUIDS", "POST /handles/query with owners.xuids of user1 returns the activity handle id that POST /handles returned to user1", func(ctx SpecContext) {
		s := NewScenario(ctx)
		_, h := s.CreateSessionActivity(fixtures.User1, nil)

		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1))
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		Expect(s.ResultIDs(ex)).To(ContainElement(strings.ToLower(h.ID)), "user1's activity handle %s is missing from the results\n%s", h.ID, ex)
	})

	Spec("HQ-OWNERS-PEOPLE", "POST /handles/query with owners.people moniker people of the caller returns the activity handle of a user the caller follows", func(ctx SpecContext) {
		s := NewScenario(ctx)
		caller, followed, ok := hqFollowing(s.World(), false)
		if !ok {
			Skip("the configured social graph has no people edge between two of user1, user2 and user3")
		}
		_, h := s.CreateSessionActivity(followed, nil)

		ex := s.Query(caller, s.QueryByPeople(fixtures.MonikerPeople, caller))
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		Expect(s.ResultIDs(ex)).To(ContainElement(strings.ToLower(h.ID)),
			"%s follows %s (moniker %s), but %s's activity handle %s is missing from the results\n%s",
			caller, followed, fixtures.MonikerPeople, followed, h.ID, ex)
	})

	Spec("HQ-OWNERS-FAVORITES", "POST /handles/query with owners.people moniker favorites of the caller is answered 200 and returns no activity handle of a user the caller follows but has not marked as a favorite", func(ctx SpecContext) {
		s := NewScenario(ctx)
		w := s.World()
		caller, plain, ok := hqFollowing(w, true)
		if !ok {
			Skip("the configured social graph has no user whom another of user1, user2 and user3 follows without marking as a favorite")
		}
		_, h := s.CreateSessionActivity(plain, nil)

		ex := s.Query(caller, s.QueryByPeople(fixtures.MonikerFavorites, caller))
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		Expect(s.ResultIDs(ex)).NotTo(ContainElement(strings.ToLower(h.ID)),
			"%s follows %s but has not marked them as a favorite, yet %s's activity handle %s is among the favorites results\n%s", caller, plain, plain, h.ID, ex)
	})

	Spec("HQ-ONLY-REQUESTED", "POST /handles/query for user1's XUID returns only activity handles of the requested SCID owned by user1 and not user3's handle", func(ctx SpecContext) {
		s := NewScenario(ctx)
		w := s.World()
		s.CreateSessionActivity(fixtures.User1, nil)
		ref3 := s.CreateSession(fixtures.User3, w.Templates.Secondary, nil)
		h3 := s.CreateActivity(fixtures.User3, ref3)

		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1))
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		Expect(s.ResultIDs(ex)).NotTo(ContainElement(strings.ToLower(h3.ID)), "user3's handle %s was returned for a query of user1 only\n%s", h3.ID, ex)
		user1 := s.Who(fixtures.User1).XUID
		for i, r := range s.Results(ex) {
			Expect(r["type"]).To(Equal("activity"), "result %d is not an activity handle\n%s", i, ex)
			scid, _ := lookup(r, "sessionRef", "scid")
			scidStr, _ := scid.(string)
			Expect(strings.EqualFold(scidStr, w.SCID)).To(BeTrue(), "result %d has sessionRef.scid %v, not the requested SCID %s\n%s", i, scid, w.SCID, ex)
			Expect(r["ownerXuid"]).To(Equal(user1), "result %d is owned by %v, not by the requested owner %s\n%s", i, r["ownerXuid"], user1, ex)
		}
	})

	// The body of both tables of the take twin.
	takeRejected := func(ctx SpecContext, status int, take string) {
		s := NewScenario(ctx)
		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1), "take", take)
		expectRejected(ex, status)
	}
	takeLoose, takeExact := hqTake.entries(hqTakeCase("101"), hqTakeCase("-1"))

	DescribeTable("POST /handles/query with a take outside 0..100 is rejected", takeRejected, takeLoose)

	DescribeTable("POST /handles/query with a take that is not an integer from 0 to 100 is answered 400", takeRejected,
		takeExact,
		hqTake.exactEntry(hqTakeCase("abc")),
		hqTake.exactEntry(hqTakeCase("1.5")),
	)

	DescribeTable("POST /handles/query with take at a bound of 0..100 is accepted",
		func(ctx SpecContext, take string) {
			s := NewScenario(ctx)
			ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1), "take", take)
			ExpectStatus(ex, http.StatusOK)
			ExpectJSON(ex, hqSchema)
		},
		RuleEntry("HQ-TAKE-BOUNDS", "POST /handles/query with take=0 is answered 200", "0"),
		RuleEntry("HQ-TAKE-BOUNDS", "POST /handles/query with take=100 is answered 200", "100"),
	)

	Spec("HQ-TAKE-LIMITS", "POST /handles/query with take=1 for two owners that each have an activity returns at most 1 result", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(fixtures.User1, s.World().Templates.Primary, nil)
		s.Join(fixtures.User2, ref)
		h1 := s.CreateActivity(fixtures.User1, ref)
		h2 := s.CreateActivity(fixtures.User2, ref)
		body := s.QueryByXUIDs(fixtures.User1, fixtures.User2)

		all := s.Query(fixtures.User1, body)
		ExpectStatus(all, http.StatusOK)
		ExpectJSON(all, hqSchema)
		Expect(s.ResultIDs(all)).To(ContainElements(strings.ToLower(h1.ID), strings.ToLower(h2.ID)),
			"precondition: without take both activity handles must be returned, or take=1 limits nothing\n%s", all)

		ex := s.Query(fixtures.User1, body, "take", "1")
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		Expect(len(s.Results(ex))).To(BeNumerically("<=", 1), "take=1 returned more than 1 result\n%s", ex)
	})

	Spec("HQ-TAKE-ZERO-EMPTY", "POST /handles/query with take=0 for an owner that has an activity returns no results", func(ctx SpecContext) {
		s := NewScenario(ctx)
		s.CreateSessionActivity(fixtures.User1, nil)

		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1), "take", "0")
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		Expect(s.Results(ex)).To(BeEmpty(), "take=0 returned results\n%s", ex)
	})

	visibilityLoose, visibilityExact := hqVisibilityPrivate.entries(
		twinOf("POST /handles/query with visibility=private and no private parameter", ""),
		twinOf("POST /handles/query with visibility=private and private=false", "false"),
	)

	DescribeTable("POST /handles/query with visibility=private without private=true is rejected",
		func(ctx SpecContext, status int, private string) {
			s := NewScenario(ctx)
			params := []string{"visibility", "private"}
			if private != "" {
				params = append(params, "private", private)
			}
			ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1), params...)
			expectRejected(ex, status)
		},
		visibilityLoose,
		visibilityExact,
	)

	hqVersionMax.spec("POST /handles/query with version one above the contract version mod 100", func(ctx SpecContext, status int) {
		s := NewScenario(ctx)
		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1), "version", hqVersionAboveMax(s))
		expectRejected(ex, status)
	})

	// The caller passes its own xuid, so that even a service that read "yes" or "1" as true
	// would have no reason to answer 403: the malformed value is the only fault.
	DescribeTable("POST /handles/query with a malformed boolean or version parameter is answered 400",
		func(ctx SpecContext, name, value string) {
			s := NewScenario(ctx)
			ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1), name, value, "xuid", s.Who(fixtures.User1).XUID)
			ExpectStatus(ex, http.StatusBadRequest)
		},
		RuleEntry("HQ-BOOLEAN-400", "POST /handles/query with private=yes is answered 400", "private", "yes"),
		RuleEntry("HQ-BOOLEAN-400", "POST /handles/query with reservations=1 is answered 400", "reservations", "1"),
		RuleEntry("HQ-BOOLEAN-400", "POST /handles/query with inactive=maybe is answered 400", "inactive", "maybe"),
		RuleEntry("HQ-BOOLEAN-400", "POST /handles/query with version=two is answered 400", "version", "two"),
	)

	// The identity matrix of the private/reservations rule (see hqPrivateMatrixEntries).
	// withHandles gives user1 an activity in a session user2 is active in, so the query
	// (owners.xuids user1) matches something with every xuid.
	DescribeTable("POST /handles/query with private=true or reservations=true answers 403 only to a user asking for anyone but themselves",
		func(ctx SpecContext, caller, param, xuidOf string, withHandles bool, want hqOutcome) {
			s := NewScenario(ctx)
			if withHandles {
				ref := s.CreateSession(fixtures.User1, s.World().Templates.Primary, nil)
				s.Join(fixtures.User2, ref)
				s.CreateActivity(fixtures.User1, ref)
			}
			params := []string{param, "true"}
			if xuidOf != "" {
				params = append(params, "xuid", s.Who(xuidOf).XUID)
			}
			ex := s.Query(caller, s.QueryByXUIDs(fixtures.User1), params...)
			switch want {
			case hqForbidden:
				ExpectStatus(ex, http.StatusForbidden)
			case hqAllowed:
				ExpectNot(ex, http.StatusForbidden)
				ExpectStatus(ex, http.StatusOK)
				ExpectJSON(ex, hqSchema)
			case hqNotForbidden:
				ExpectNot(ex, http.StatusForbidden)
				if ex.Status == http.StatusOK {
					ExpectJSON(ex, hqSchema)
				}
			default:
				Fail(fmt.Sprintf("matrix row without an expected outcome (%d)", want))
			}
		},
		hqPrivateMatrixEntries(),
	)

	Spec("HQ-INCLUDE-RELATEDINFO", "POST /handles/query with include=relatedInfo returns every result with relatedInfo describing its session", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref, h := s.CreateSessionActivity(fixtures.User1, nil)
		sessEx := s.GetSession(fixtures.User1, ref)
		blockSetup(sessEx.Status == http.StatusOK, "SG-200", "reading the session", "200", sessEx)
		session := ExpectObject(sessEx)

		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1), "include", "relatedInfo")
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		results := s.Results(ex)
		for i, r := range results {
			info, ok := r["relatedInfo"].(map[string]any)
			Expect(ok).To(BeTrue(), "result %d has no relatedInfo object\n%s", i, ex)
			Expect(info["visibility"]).To(BeAssignableToTypeOf(""), "result %d: relatedInfo.visibility is not a string\n%s", i, ex)
			Expect(info["joinRestriction"]).To(BeAssignableToTypeOf(""), "result %d: relatedInfo.joinRestriction is not a string\n%s", i, ex)
			Expect(info["closed"]).To(BeAssignableToTypeOf(false), "result %d: relatedInfo.closed is not a boolean\n%s", i, ex)
			_, ok = jsonNumber(info["maxMembersCount"])
			Expect(ok).To(BeTrue(), "result %d: relatedInfo.maxMembersCount is not a number\n%s", i, ex)
			_, ok = jsonNumber(info["membersCount"])
			Expect(ok).To(BeTrue(), "result %d: relatedInfo.membersCount is not a number\n%s", i, ex)
		}

		own := hqFind(results, h.ID)
		Expect(own).NotTo(BeNil(), "user1's activity handle %s is missing from the results, so its relatedInfo cannot be checked\n%s", h.ID, ex)
		info, _ := own["relatedInfo"].(map[string]any)
		members, _ := jsonNumber(info["membersCount"])
		Expect(members).To(BeNumerically("==", 1), "relatedInfo.membersCount of a session with one member\n%s", ex)
		Expect(info["closed"]).To(Equal(false), "relatedInfo.closed of a session that is not closed\n%s", ex)
		if v, ok := lookup(session, "constants", "system", "visibility"); ok {
			Expect(info["visibility"]).To(Equal(v), "relatedInfo.visibility differs from the session's constants.system.visibility\n%s\n%s", ex, sessEx)
		}
		if v, ok := lookup(session, "properties", "system", "joinRestriction"); ok {
			Expect(info["joinRestriction"]).To(Equal(v), "relatedInfo.joinRestriction differs from the session's properties.system.joinRestriction\n%s\n%s", ex, sessEx)
		}
		if v, ok := lookup(session, "constants", "system", "maxMembersCount"); ok {
			want, _ := jsonNumber(v)
			got, _ := jsonNumber(info["maxMembersCount"])
			Expect(got).To(BeNumerically("==", want), "relatedInfo.maxMembersCount differs from the session's constants.system.maxMembersCount\n%s\n%s", ex, sessEx)
		}
	})

	Spec("HQ-INCLUDE-CUSTOMPROPERTIES", "POST /handles/query with include=customProperties returns the result with its session's custom properties", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref, h := s.CreateSessionActivity(fixtures.User1, map[string]any{
			"properties": map[string]any{"custom": map[string]any{"map": "dust"}},
		})
		sessEx := s.GetSession(fixtures.User1, ref)
		blockSetup(sessEx.Status == http.StatusOK, "SG-200", "reading the session", "200", sessEx)
		custom, ok := lookup(ExpectObject(sessEx), "properties", "custom")
		Expect(ok).To(BeTrue(), "precondition: the session has no properties.custom\n%s", sessEx)

		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1), "include", "customProperties")
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		results := s.Results(ex)
		for i, r := range results {
			_, ok := r["customProperties"].(map[string]any)
			Expect(ok).To(BeTrue(), "result %d has no customProperties object\n%s", i, ex)
		}
		own := hqFind(results, h.ID)
		Expect(own).NotTo(BeNil(), "user1's activity handle %s is missing from the results, so its customProperties cannot be checked\n%s", h.ID, ex)
		Expect(own["customProperties"]).To(HaveKeyWithValue("map", "dust"), "customProperties lacks the session's custom property map=dust\n%s", ex)
		Expect(own["customProperties"]).To(Equal(custom), "customProperties differs from the session's properties.custom\n%s\n%s", ex, sessEx)
	})

	Spec("HQ-NO-INCLUDE", "POST /handles/query without include returns results without relatedInfo and customProperties", func(ctx SpecContext) {
		s := NewScenario(ctx)
		_, h := s.CreateSessionActivity(fixtures.User1, map[string]any{
			"properties": map[string]any{"custom": map[string]any{"map": "dust"}},
		})

		ex := s.Query(fixtures.User1, s.QueryByXUIDs(fixtures.User1))
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
		results := s.Results(ex)
		Expect(hqFind(results, h.ID)).NotTo(BeNil(), "user1's activity handle %s is missing from the results, so there is nothing to check\n%s", h.ID, ex)
		for i, r := range results {
			Expect(r).NotTo(HaveKey("relatedInfo"), "result %d carries relatedInfo without include\n%s", i, ex)
			Expect(r).NotTo(HaveKey("customProperties"), "result %d carries customProperties without include\n%s", i, ex)
		}
	})

	DescribeTable("POST /handles/query with an invalid body is answered 400",
		func(ctx SpecContext, build func(s *Scenario) []byte) {
			s := NewScenario(ctx)
			ex := s.Do(fixtures.User1, http.MethodPost, handlesQueryPath, mpsdclient.WithRawBody(build(s), "application/json"))
			ExpectStatus(ex, http.StatusBadRequest)
		},
		RuleEntry("HQ-INVALID-BODY-400", "POST /handles/query with a malformed JSON body is answered 400",
			func(s *Scenario) []byte {
				return []byte(`{"type": "activity", "scid": "` + s.World().SCID + `", "owners": {"xuids": [`)
			}),
		RuleEntry("HQ-INVALID-BODY-400", "POST /handles/query with type bogus is answered 400",
			func(s *Scenario) []byte {
				return hqMutatedBody(s, func(b map[string]any) { b["type"] = "bogus" })
			}),
		RuleEntry("HQ-INVALID-BODY-400", "POST /handles/query without scid is answered 400",
			func(s *Scenario) []byte {
				return hqMutatedBody(s, func(b map[string]any) { delete(b, "scid") })
			}),
		RuleEntry("HQ-INVALID-BODY-400", "POST /handles/query with owners holding both people and xuids is answered 400",
			func(s *Scenario) []byte {
				xuid := s.Who(fixtures.User1).XUID
				return hqMutatedBody(s, func(b map[string]any) {
					b["owners"] = map[string]any{
						"xuids":  []string{xuid},
						"people": map[string]any{"moniker": fixtures.MonikerPeople, "monikerXuid": xuid},
					}
				})
			}),
		RuleEntry("HQ-INVALID-BODY-400", "POST /handles/query with owners holding neither people nor xuids is answered 400",
			func(s *Scenario) []byte {
				return hqMutatedBody(s, func(b map[string]any) { b["owners"] = map[string]any{} })
			}),
		RuleEntry("HQ-INVALID-BODY-400", "POST /handles/query with owners.xuids that is not an array is answered 400",
			func(s *Scenario) []byte {
				xuid := s.Who(fixtures.User1).XUID
				return hqMutatedBody(s, func(b map[string]any) { b["owners"] = map[string]any{"xuids": xuid} })
			}),
	)
})

// The twins of POST /handles/query: a 4xx documented, an exact status inferred.
var (
	hqTake              = twin{loose: "HQ-TAKE-OUT-OF-RANGE-4XX", exact: "HQ-TAKE-INVALID-400", status: http.StatusBadRequest}
	hqVisibilityPrivate = twin{loose: "HQ-VISIBILITY-PRIVATE-4XX", exact: "HQ-VISIBILITY-PRIVATE-400", status: http.StatusBadRequest}
	hqVersionMax        = twin{loose: "HQ-VERSION-MAX-4XX", exact: "HQ-VERSION-MAX-400", status: http.StatusBadRequest}
)

// hqTakeCase is the twinCase of a query with the given take.
func hqTakeCase(take string) twinCase {
	return twinOf("POST /handles/query with take="+take, take)
}

// hqPrivateMatrixEntries generates the identity matrix of the private/reservations rule:
// {private=true, reservations=true} x {user1, the server principal} x {no xuid, user1's xuid,
// user2's xuid} x {no handle would match, a matching handle exists}, every combination exactly
// once, ordered by caller, outcome, parameter, xuid and handles. The entry parameters are the
// caller, the parameter, whose xuid ("" for none), withHandles and the outcome (hqPrivateCell).
func hqPrivateMatrixEntries() []TableEntry {
	outcomes := map[hqOutcome]string{hqForbidden: "is answered 403", hqAllowed: "is answered 200, not 403,", hqNotForbidden: "is not answered 403"}
	handles := map[bool]string{false: "no handle would match", true: "a matching handle exists"}
	var entries []TableEntry
	for _, caller := range []string{fixtures.User1, fixtures.Server} {
		for _, outcome := range []hqOutcome{hqForbidden, hqAllowed, hqNotForbidden} {
			for _, param := range []string{"private", "reservations"} {
				for _, xuidOf := range []string{"", fixtures.User1, fixtures.User2} {
					rule, want, asked := hqPrivateCell(caller, xuidOf)
					if want != outcome {
						continue
					}
					for _, withHandles := range []bool{false, true} {
						text := fmt.Sprintf("POST /handles/query with %s=true and %s %s when %s", param, asked, outcomes[outcome], handles[withHandles])
						args := []any{caller, param, xuidOf, withHandles, outcome}
						if caller == fixtures.Server {
							args = append(args, NeedsServer)
						}
						entries = append(entries, RuleEntry(rule, text, args...))
					}
				}
			}
		}
	}
	return entries
}

// hqPrivateCell judges the caller asking for xuidOf's xuid ("" for none) with private=true or
// reservations=true: the rule, the outcome, and how the spec text says who asks for what. user1
// asking for another user's xuid is answered 403 whether or not anything would match (the
// page); asking for no xuid at all, 403 too (the project's reading, its own inferred rule);
// asking for its own, allowed. The server principal, with any xuid or none, is never 403.
func hqPrivateCell(caller, xuidOf string) (rule string, want hqOutcome, asked string) {
	xuid := map[string]string{"": "no xuid", fixtures.User1: "user1's xuid", fixtures.User2: "user2's xuid"}[xuidOf]
	switch {
	case caller == fixtures.Server:
		return "HQ-PRIVATE-SERVER", hqNotForbidden, xuid + " by the server principal"
	case xuidOf == "":
		return "HQ-PRIVATE-NO-XUID-403", hqForbidden, xuid + " by user1"
	case xuidOf == caller:
		return "HQ-PRIVATE-OWN-XUID", hqAllowed, "user1's own xuid by user1"
	}
	return "HQ-PRIVATE-403", hqForbidden, xuid + " by user1"
}

// hqOutcome is what a row of the private/reservations identity matrix expects.
type hqOutcome int

const (
	// hqForbidden: the answer must be 403.
	hqForbidden hqOutcome = iota + 1
	// hqAllowed: the answer must be 200 with valid query results (not 403).
	hqAllowed
	// hqNotForbidden: the answer must not be 403 (a 200 must carry valid query results).
	hqNotForbidden
)

// hqMutatedBody is user1's valid xuids query body changed by mutate, encoded as JSON.
func hqMutatedBody(s *Scenario, mutate func(map[string]any)) []byte {
	GinkgoHelper()
	b := s.QueryByXUIDs(fixtures.User1)
	mutate(b)
	raw, err := json.Marshal(b)
	Expect(err).NotTo(HaveOccurred())
	return raw
}

// hqVersionAboveMax is the smallest version the query must refuse: contract version mod 100 + 1.
func hqVersionAboveMax(s *Scenario) string {
	return strconv.Itoa(s.World().ContractVersion%100 + 1)
}

// hqFollowing finds a caller among the users who follows (moniker people) another of them,
// when notFavorite without marking them as a favorite, preferring the lowest-numbered pair
// (in the default world user1 follows user2, and user3 without marking them as a favorite).
func hqFollowing(w fixtures.Environment, notFavorite bool) (caller, followed string, ok bool) {
	users := []string{fixtures.User1, fixtures.User2, fixtures.User3}
	for _, c := range users {
		for _, t := range users {
			if t != c && w.Follows(c, fixtures.MonikerPeople, t) && !(notFavorite && w.Follows(c, fixtures.MonikerFavorites, t)) {
				return c, t, true
			}
		}
	}
	return "", "", false
}

// hqDuplicates returns the ids that occur more than once.
func hqDuplicates(ids []string) []string {
	seen := map[string]int{}
	var dups []string
	for _, id := range ids {
		seen[id]++
		if seen[id] == 2 {
			dups = append(dups, id)
		}
	}
	return dups
}

// hqFind returns the result whose id is id (case-insensitively), or nil.
func hqFind(results []map[string]any, id string) map[string]any {
	for _, r := range results {
		if rid, _ := r["id"].(string); strings.EqualFold(rid, id) {
			return r
		}
	}
	return nil
}
