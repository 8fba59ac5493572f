package suites

import (
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// The session endpoints are the setup the handles depend on: handles point at sessions, and
// activity handles need the caller to be a member.
var _ = Describe("[sessions]", func() {
	Spec("SP-CREATE-201", "PUT of a new session that joins the caller as an active member is answered 201 with the session and an ETag", func(ctx SpecContext) {
		s := NewScenario(ctx)
		_, ex := s.PutNewSession(User1, s.World().Templates.Primary)
		ExpectStatus(ex, http.StatusCreated)
		ExpectJSON(ex, "session")
		ExpectHeader(ex, "ETag")
	})

	Spec("SP-UPDATE-200", "PUT of custom properties to an existing session is answered 200 with a higher changeNumber and a new ETag", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref, created := s.PutNewSession(User1, s.World().Templates.Primary)
		blockSetup(created.Status == http.StatusCreated, "SP-CREATE-201", "creating a session", "201", created)
		before := sessionChangeNumber(created)

		ex := s.PutSession(User1, ref, mpsdclient.WithJSON(map[string]any{
			"properties": map[string]any{"custom": map[string]any{"round": 2}},
		}))
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, "session")
		Expect(sessionChangeNumber(ex)).To(BeNumerically(">", before), "changeNumber did not increase\n%s", ex)
		Expect(ExpectHeader(ex, "ETag")).NotTo(Equal(created.Header.Get("ETag")), "ETag did not change\n%s", ex)
	})

	Spec("SP-DOCUMENT", "PUT of a new session returns a document with contractVersion, branch, changeNumber, correlationId, startTime, constants, properties, members and membersInfo", func(ctx SpecContext) {
		s := NewScenario(ctx)
		_, ex := s.PutNewSession(User1, s.World().Templates.Primary)
		ExpectSuccess(ex)
		ExpectJSON(ex, "session")
		doc := ExpectObject(ex)
		for _, key := range []string{"contractVersion", "branch", "changeNumber", "correlationId", "startTime", "constants", "properties", "members", "membersInfo"} {
			Expect(doc).To(HaveKey(key), "session document has no %q\n%s", key, ex)
		}
		// Templates upgrade contract 105 writes to 107, so a 105 request may read 107.
		allowed := []any{json.Number(itoa(s.World().ContractVersion))}
		if s.World().ContractVersion == 105 {
			allowed = append(allowed, json.Number("107"))
		}
		Expect(doc["contractVersion"]).To(BeElementOf(allowed...),
			"contractVersion is not the request's X-Xbl-Contract-Version\n%s", ex)
		Expect(memberXUIDs(doc)).To(ContainElement(s.Who(User1).XUID), "the caller is not among the members (XUIDs must be strings)\n%s", ex)
	})

	Spec("SP-IF-MATCH-412", "PUT with an If-Match ETag that is no longer current is answered 412 with the current session and its ETag", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref, created := s.PutNewSession(User1, s.World().Templates.Primary)
		stale := created.Header.Get("ETag")
		blockSetup(created.Status == http.StatusCreated && stale != "", "SP-CREATE-201", "creating a session", "201 with an ETag", created)
		updated := s.PutSession(User1, ref, mpsdclient.WithJSON(customProps("step", 1)))
		blockSetup(updated.Status == http.StatusOK, "SP-UPDATE-200", "updating the session", "200", updated)

		ex := s.PutSession(User1, ref, mpsdclient.WithHeader("If-Match", stale), mpsdclient.WithJSON(customProps("step", 2)))
		ExpectStatus(ex, http.StatusPreconditionFailed)
		ExpectJSON(ex, "session")
		Expect(ExpectHeader(ex, "ETag")).To(Equal(updated.Header.Get("ETag")), "412 does not carry the current ETag\n%s", ex)
		Expect(sessionChangeNumber(ex)).To(Equal(sessionChangeNumber(updated)), "412 body is not the current session\n%s", ex)
	})

	DescribeTable("PUT to an existing session with an If-Match that matches is applied",
		func(ctx SpecContext, ifMatch func(current string) string) {
			s := NewScenario(ctx)
			ref, created := s.PutNewSession(User1, s.World().Templates.Primary)
			current := created.Header.Get("ETag")
			blockSetup(created.Status == http.StatusCreated && current != "", "SP-CREATE-201", "creating a session", "201 with an ETag", created)
			ex := s.PutSession(User1, ref, mpsdclient.WithHeader("If-Match", ifMatch(current)), mpsdclient.WithJSON(customProps("matched", true)))
			ExpectStatus(ex, http.StatusOK)
			Expect(dig(ExpectObject(ex), "properties", "custom", "matched")).To(Equal(true), "the write was not applied\n%s", ex)
		},
		RuleEntry("SP-IF-MATCH-CURRENT", "PUT to an existing session with If-Match equal to its current ETag is answered 200 and applied",
			func(current string) string { return current }),
		RuleEntry("SP-IF-MATCH-CURRENT", "PUT to an existing session with If-Match * is answered 200 and applied",
			func(string) string { return "*" }),
	)

	Spec("SP-ROLETYPES-ACCEPTED", "PUT of a new session with a top-level roleTypes object, as the official client sends for roles, is answered 2xx", func(ctx SpecContext) {
		s := NewScenario(ctx)
		body := s.Body("session-roletypes", map[string]any{"XUID": s.Who(User1).XUID, "RUN_ID": s.env.RunID})
		_, ex := s.PutNewSessionBody(User1, s.World().Templates.Primary, body)
		ExpectSuccess(ex)
	})

	Spec("SP-ME-OTHER-XUID", "PUT of a new session whose members.me names another user's xuid is answered 2xx and makes the caller a member", func(ctx SpecContext) {
		s := NewScenario(ctx)
		body := s.Body("session-join-other-xuid", map[string]any{"OTHER_XUID": s.Who(User2).XUID, "RUN_ID": s.env.RunID})
		ref, ex := s.PutNewSessionBody(User1, s.World().Templates.Primary, body)
		ExpectSuccess(ex)
		get := s.GetSession(User1, ref)
		blockSetup(get.Status == http.StatusOK, "SG-200", "reading the session", "200", get)
		Expect(memberXUIDs(ExpectObject(get))).To(ContainElement(s.Who(User1).XUID), "the caller is not a member of the session\n%s", get)
	})

	Spec("SP-IF-NONE-MATCH-412", "PUT with If-None-Match * to a session that exists is answered 412", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		ex := s.PutSession(User1, ref, mpsdclient.WithHeader("If-None-Match", "*"), mpsdclient.WithJSON(customProps("x", 1)))
		ExpectStatus(ex, http.StatusPreconditionFailed)
	})

	Spec("SP-UNKNOWN-MEMBER-400", "PUT with a top-level member other than constants, properties, members, servers and roleTypes is answered 400", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, nil)
		ex := s.PutSession(User1, ref, mpsdclient.WithJSON(map[string]any{
			"properties": map[string]any{"custom": map[string]any{}},
			"gamemode":   "ctf",
		}))
		ExpectTextError(ex, http.StatusBadRequest)
	})

	Spec("SP-EMPTY-204", "PUT that would create a session without any member is answered 204 and creates nothing", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.NewRef(s.World().Templates.Primary)
		ex := s.PutSession(User1, ref, mpsdclient.WithJSON(customProps("lonely", true)))
		s.deferLeave(User1, ref)
		ExpectStatus(ex, http.StatusNoContent)
		get := s.GetSession(User1, ref)
		ExpectStatus(get, http.StatusNoContent)
	})

	Spec("SG-200", "GET of an existing session is answered 200 with the session and the ETag of its last write", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref, created := s.PutNewSession(User1, s.World().Templates.Primary)
		blockSetup(created.Status == http.StatusCreated, "SP-CREATE-201", "creating a session", "201", created)
		ex := s.GetSession(User1, ref)
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, "session")
		Expect(ExpectHeader(ex, "ETag")).To(Equal(created.Header.Get("ETag")), "GET ETag differs from the ETag the write returned\n%s", ex)
	})

	Spec("SG-MISSING-204", "GET of a session name that was never created under a known template is answered 204", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ex := s.GetSession(User1, s.NewRef(s.World().Templates.Primary))
		ExpectStatus(ex, http.StatusNoContent)
		Expect(ex.Body).To(BeEmpty(), "204 must not carry a body\n%s", ex)
	})
})

var _ = Describe("[sessions] unknown templates", func() {
	Spec("SP-UNKNOWN-TEMPLATE-404", "PUT of a session under a template that does not exist in the SCID is answered 404", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.NewRef("mc-no-such-template-" + s.NewSessionName()[len("mc-"):])
		ex := s.PutSession(User1, ref, mpsdclient.WithJSON(s.JoinBody(User1, nil)))
		s.deferLeave(User1, ref)
		ExpectTextError(ex, http.StatusNotFound)
	})

	Spec("SG-UNKNOWN-TEMPLATE-404", "GET of a session under a template that does not exist in the SCID is answered 404", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.NewRef("mc-no-such-template-" + s.NewSessionName()[len("mc-"):])
		ExpectTextError(s.GetSession(User1, ref), http.StatusNotFound)
	})
})
