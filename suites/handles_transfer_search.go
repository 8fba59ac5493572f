package suites

import (
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// Transfer and search handles: POST /handles with type transfer (a game session reached from a
// lobby) and type search (session browse), and the search query of POST /handles/query. The
// official client sends all three (wire); the body shapes are the fixtures transfer-handle and
// search-handle, copied from XSAPI.

var _ = Describe("[handles-create] transfer and search handles", func() {
	// ------------------------------------------------------------------ transfer handles

	Spec("HC-TRANSFER-201", "POST /handles with a transfer from a lobby session the caller is a member of to a game session is answered 201 with a GUID id, type transfer, the sessionRef and the originSessionRef", func(ctx SpecContext) {
		s := NewScenario(ctx)
		game, lobby := htLobbyAndGame(s)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(htTransferBody(s, game, lobby)))
		ExpectStatus(ex, http.StatusCreated)
		ExpectJSON(ex, "handle")
		doc := ExpectObject(ex)
		id, _ := doc["id"].(string)
		Expect(fixtures.IsGUID(id)).To(BeTrue(), "id %q is not a GUID\n%s", id, ex)
		Expect(doc["type"]).To(Equal("transfer"), "type is not transfer\n%s", ex)
		Expect(doc["sessionRef"]).To(Equal(game.JSON()), "sessionRef is not the target game session the request sent\n%s", ex)
		Expect(doc["originSessionRef"]).To(Equal(lobby.JSON()), "originSessionRef is not the lobby session the request sent\n%s", ex)
	})

	Spec("HC-TRANSFER-LOCATION", "POST /handles with a transfer is answered with Location and Content-Location both naming /handles/{id} of the new handle", func(ctx SpecContext) {
		s := NewScenario(ctx)
		game, lobby := htLobbyAndGame(s)
		ex := s.PostHandle(User1, mpsdclient.WithJSON(htTransferBody(s, game, lobby)))
		ExpectSuccess(ex)
		hcExpectLocations(ex)
	})

	DescribeTable("POST /handles with a transfer without a usable originSessionRef is answered 400",
		func(ctx SpecContext, mutate func(body map[string]any)) {
			s := NewScenario(ctx)
			game, lobby := htLobbyAndGame(s)
			body := htTransferBody(s, game, lobby)
			mutate(body)
			ex := s.PostHandle(User1, mpsdclient.WithJSON(body))
			ExpectStatus(ex, http.StatusBadRequest)
		},
		RuleEntry("HC-TRANSFER-NO-ORIGIN-400", "POST /handles with a transfer that has no originSessionRef is answered 400",
			func(body map[string]any) { delete(body, "originSessionRef") }),
		RuleEntry("HC-TRANSFER-NO-ORIGIN-400", "POST /handles with a transfer whose originSessionRef has no name is answered 400",
			func(body map[string]any) { delete(body["originSessionRef"].(map[string]any), "name") }),
	)

	// ------------------------------------------------------------------ search handles

	Spec("HC-SEARCH-201", "POST /handles with a search handle for a session the caller created is answered exactly 201", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, htSearchable())
		ex := s.PostHandle(User1, mpsdclient.WithJSON(htSearchBody(s, ref)))
		ExpectStatus(ex, http.StatusCreated)
	})

	Spec("HC-SEARCH-2XX", "POST /handles with a search handle for a session the caller created is answered 2xx with a GUID id, type search, the sessionRef and the request's searchAttributes", func(ctx SpecContext) {
		s := NewScenario(ctx)
		ref := s.CreateSession(User1, s.World().Templates.Primary, htSearchable())
		body := htSearchBody(s, ref)

		ex := s.PostHandle(User1, mpsdclient.WithJSON(body))
		ExpectSuccess(ex)
		ExpectJSON(ex, "handle")
		doc := ExpectObject(ex)
		id, _ := doc["id"].(string)
		Expect(fixtures.IsGUID(id)).To(BeTrue(), "id %q is not a GUID\n%s", id, ex)
		Expect(doc["type"]).To(Equal("search"), "type is not search\n%s", ex)
		Expect(doc["sessionRef"]).To(Equal(ref.JSON()), "sessionRef is not the one the request sent\n%s", ex)
		Expect(doc).To(HaveKey("searchAttributes"), "the search handle has no searchAttributes\n%s", ex)
		Expect(htPlainJSON(doc["searchAttributes"])).To(Equal(htPlainJSON(body["searchAttributes"])),
			"searchAttributes differ from the request's %v\n%s", body["searchAttributes"], ex)
	})
})

var _ = Describe("[handles-query] search queries", func() {
	// XSAPI's GetSearchHandles sends include=relatedInfo,roleInfo,customProperties; the plain
	// form checks the body alone.
	DescribeTable("POST /handles/query with a search body returns the template's search handles",
		func(ctx SpecContext, params ...string) {
			s := NewScenario(ctx)
			ref := s.CreateSession(User1, s.World().Templates.Primary, htSearchable())
			h := s.createHandle(User1, htSearchBody(s, ref), "HC-SEARCH-2XX", "creating a search handle")

			ex := s.Query(User1, map[string]any{"type": "search", "scid": ref.SCID, "templateName": ref.Template}, params...)
			ExpectStatus(ex, http.StatusOK)
			ExpectJSON(ex, hqSchema)
			found := hqFind(s.Results(ex), h.ID)
			Expect(found).NotTo(BeNil(), "the search handle %s of a session of template %s is missing from the results\n%s", h.ID, ref.Template, ex)
			Expect(found["type"]).To(Equal("search"), "the search handle %s is not returned with type search\n%s", h.ID, ex)
		},
		RuleEntry("HQ-SEARCH-QUERY", "POST /handles/query with a search body of scid and templateName returns the search handle created for a session of that template"),
		RuleEntry("HQ-SEARCH-QUERY", "POST /handles/query with include=relatedInfo,roleInfo,customProperties and a search body of scid and templateName returns the search handle created for a session of that template",
			"include", "relatedInfo,roleInfo,customProperties"),
	)

	// Public clients in production send these fields and the global(NAME) template form; the
	// rule asks only that such a query is answered, not how the fields filter or order.
	Spec("HQ-SEARCH-QUERY-FIELDS", "POST /handles/query with a search body whose templateName is global(NAME) and that carries orderBy, filter, communicatePermissionRequired and includeScheduled is answered 200 with query results", func(ctx SpecContext) {
		s := NewScenario(ctx)
		body := s.Body("query-search-extended", map[string]any{"SCID": s.World().SCID, "TEMPLATE_NAME": "global(" + s.World().Templates.Primary + ")"})
		ex := s.Query(User1, body)
		ExpectStatus(ex, http.StatusOK)
		ExpectJSON(ex, hqSchema)
	})
})

// htLobbyAndGame creates, as User1, a game session and a lobby session to transfer from.
func htLobbyAndGame(s *Scenario) (game, lobby SessionRef) {
	GinkgoHelper()
	w := s.World()
	lobby = s.CreateSession(User1, w.Templates.Primary, nil)
	game = s.CreateSession(User1, w.Templates.Secondary, nil)
	return game, lobby
}

// htTransferBody is a transfer body from origin (the lobby) to target (the game session).
func htTransferBody(s *Scenario, target, origin SessionRef) map[string]any {
	GinkgoHelper()
	return s.Body("transfer-handle", map[string]any{
		"SCID": target.SCID, "TEMPLATE": target.Template, "SESSION": target.Name,
		"ORIGIN_TEMPLATE": origin.Template, "ORIGIN_SESSION": origin.Name,
	})
}

// htSearchBody is a search handle body (with searchAttributes) for ref.
func htSearchBody(s *Scenario, ref SessionRef) map[string]any {
	GinkgoHelper()
	return s.Body("search-handle", map[string]any{"SCID": ref.SCID, "TEMPLATE": ref.Template, "SESSION": ref.Name})
}

// htSearchable is a session PUT extra with the capabilities session browse needs: searchable
// and userAuthorizationStyle, which in turn needs hasOwners (live-session-browse.md).
func htSearchable() map[string]any {
	return map[string]any{"constants": map[string]any{"system": map[string]any{
		"capabilities": map[string]any{"searchable": true, "userAuthorizationStyle": true, "hasOwners": true},
	}}}
}

// htPlainJSON re-decodes a JSON value without UseNumber, so that request values (float64) and
// response values (json.Number) compare by value.
func htPlainJSON(v any) any {
	GinkgoHelper()
	raw, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	var out any
	Expect(json.Unmarshal(raw, &out)).To(Succeed())
	return out
}
