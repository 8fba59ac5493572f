package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func (h *harness) peopleQuery(moniker, who string) []byte {
	return h.body("query-activity-people", map[string]any{"SCID": h.env.SCID, "MONIKER": moniker, "MONIKER_XUID": h.xuid(who)})
}

func (h *harness) xuidsQuery(who ...string) []byte {
	xuids := make([]string, len(who))
	for i, w := range who {
		xuids[i] = h.xuid(w)
	}
	return h.body("query-activity-xuids", map[string]any{"SCID": h.env.SCID, "XUIDS": xuids})
}

// query posts a handles query and returns the results (requiring 200).
func (h *harness) query(who, qs string, body []byte) []map[string]any {
	h.t.Helper()
	w := h.do(http.MethodPost, "/handles/query"+qs, who, body)
	if w.Code != http.StatusOK {
		h.t.Fatalf("query %s as %s: %d %s", qs, who, w.Code, w.Body.String())
	}
	wantJSON(h.t, w)
	raw, ok := decode(h.t, w)["results"].([]any)
	if !ok {
		h.t.Fatalf("results missing or not an array: %s", w.Body.String())
	}
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i] = r.(map[string]any)
	}
	return out
}

func ids(results []map[string]any) []string {
	out := make([]string, len(results))
	for i, r := range results {
		out[i], _ = r["id"].(string)
	}
	return out
}

func TestQueryStringValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := h.xuidsQuery("user1")
	bad := []struct {
		qs, fragment string
	}{
		{"?take=-1", "take"}, {"?take=101", "take"}, {"?take=abc", "take"}, {"?take=1.5", "take"},
		{"?take=", "take"}, {"?take=%2B5", "take"}, {"?take=1&take=2", "more than once"},
		{"?version=8", "version"}, {"?version=-1", "version"}, {"?version=x", "version"},
		{"?private=yes", "private"}, {"?private=1", "private"}, {"?private=True", "private"},
		{"?reservations=", "reservations"}, {"?inactive=no", "inactive"},
		{"?visibility=private", "visibility=private requires private=true"},
		{"?visibility=private&private=false", "requires private=true"},
		{"?visibility=secret", "visibility"}, {"?visibility=Open", "visibility"},
		{"?xuid=abc", "xuid"}, {"?xuid=-5", "xuid"}, {"?xuid=", "xuid"},
		{"?keyword=", "keyword"},
		{"?include=bogus", "include"}, {"?include=relatedInfo,", "include"}, {"?include=", "include"},
		{"?take=%zz", "malformed"},
	}
	for _, tc := range bad {
		t.Run("bad"+tc.qs, func(t *testing.T) {
			t.Parallel()
			wantTextError(t, h.do(http.MethodPost, "/handles/query"+tc.qs, "user1", body), http.StatusBadRequest, tc.fragment)
		})
	}
	good := []string{"", "?take=0", "?take=100", "?take=007", "?version=0", "?version=7", "?private=false",
		"?inactive=true", "?reservations=false", "?visibility=open", "?visibility=full", "?visibility=visible",
		"?keyword=ctf", "?include=relatedInfo", "?include=relatedInfo,customProperties", "?include=roleInfo,session",
		"?xuid=" + h.xuid("user2"), "?unknownParam=1"}
	for _, qs := range good {
		t.Run("good"+qs, func(t *testing.T) {
			t.Parallel()
			h.query("user1", qs, body)
		})
	}
	t.Run("version limit follows the contract version", func(t *testing.T) {
		t.Parallel()
		for cv, limit := range map[string]int{"104": 4, "105": 5, "107": 7} {
			ok := h.do(http.MethodPost, fmt.Sprintf("/handles/query?version=%d", limit), "user1", body, "X-Xbl-Contract-Version", cv)
			wantStatus(t, ok, http.StatusOK)
			wantTextError(t, h.do(http.MethodPost, fmt.Sprintf("/handles/query?version=%d", limit+1), "user1", body, "X-Xbl-Contract-Version", cv),
				http.StatusBadRequest, "version")
		}
	})
	t.Run("take 0 returns nothing", func(t *testing.T) {
		t.Parallel()
		name := uniqueName("take0")
		h.join("user1", name)
		h.createHandle("user1", h.activityBody(name))
		if got := h.query("user1", "?take=0", body); len(got) != 0 {
			t.Fatalf("take=0 returned %d results", len(got))
		}
	})
}

func TestQueryPrivateReservations403(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := h.xuidsQuery("user1")
	u1, u2 := h.xuid("user1"), h.xuid("user2")
	tests := []struct {
		who, qs string
		want    int
	}{
		{"user1", "?private=true", http.StatusForbidden},
		{"user1", "?reservations=true", http.StatusForbidden},
		{"user1", "?private=true&reservations=true", http.StatusForbidden},
		{"user1", "?private=true&xuid=" + u2, http.StatusForbidden},
		{"user1", "?reservations=true&xuid=" + u2, http.StatusForbidden},
		{"user1", "?private=true&visibility=private", http.StatusForbidden},
		{"user1", "?private=true&xuid=" + u1, http.StatusOK},
		{"user1", "?reservations=true&xuid=" + u1, http.StatusOK},
		{"user1", "?private=true&visibility=private&xuid=" + u1, http.StatusOK},
		{"user1", "?private=false&reservations=false", http.StatusOK},
		{"server", "?private=true", http.StatusOK},
		{"server", "?reservations=true&xuid=" + u2, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.who+tc.qs, func(t *testing.T) {
			t.Parallel()
			w := h.do(http.MethodPost, "/handles/query"+tc.qs, tc.who, body)
			if tc.want == http.StatusForbidden {
				wantTextError(t, w, http.StatusForbidden, "private=true and reservations=true")
				return
			}
			wantStatus(t, w, tc.want)
		})
	}
	t.Run("query-string 400s come first", func(t *testing.T) {
		t.Parallel()
		wantStatus(t, h.do(http.MethodPost, "/handles/query?private=true&take=abc", "user1", body), http.StatusBadRequest)
		wantStatus(t, h.do(http.MethodPost, "/handles/query?reservations=true&version=99", "user1", body), http.StatusBadRequest)
	})
	t.Run("403 comes before the body", func(t *testing.T) {
		t.Parallel()
		for _, b := range []string{"{", `{"type":"bogus"}`, ""} {
			wantStatus(t, h.do(http.MethodPost, "/handles/query?private=true", "user1", b), http.StatusForbidden)
		}
	})
}

func TestQueryBodyValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	scid := h.env.SCID
	tests := []struct {
		name, body, fragment string
	}{
		{"malformed", `{"type":`, "not valid JSON"},
		{"empty", ``, "empty"},
		{"not object", `[]`, "JSON object"},
		{"missing type", `{"scid":"` + scid + `","owners":{"xuids":["1"]}}`, "type is required"},
		{"type not string", `{"type":1}`, "type must be a string"},
		{"invite type", `{"type":"invite","scid":"` + scid + `"}`, "cannot be queried"},
		{"missing scid", `{"type":"activity","owners":{"xuids":["1"]}}`, "scid is required"},
		{"scid not guid", `{"type":"activity","scid":"x","owners":{"xuids":["1"]}}`, "not a GUID"},
		{"missing owners", `{"type":"activity","scid":"` + scid + `"}`, "owners is required"},
		{"owners not object", `{"type":"activity","scid":"` + scid + `","owners":[]}`, "owners must be an object"},
		{"both owners", `{"type":"activity","scid":"` + scid + `","owners":{"xuids":["1"],"people":{"moniker":"people","monikerXuid":"1"}}}`, "exactly one"},
		{"neither owner", `{"type":"activity","scid":"` + scid + `","owners":{}}`, "exactly one"},
		{"unknown owner key", `{"type":"activity","scid":"` + scid + `","owners":{"friends":{}}}`, `"friends" is not allowed`},
		{"bad moniker", `{"type":"activity","scid":"` + scid + `","owners":{"people":{"moniker":"enemies","monikerXuid":"1"}}}`, "moniker"},
		{"moniker missing", `{"type":"activity","scid":"` + scid + `","owners":{"people":{"monikerXuid":"1"}}}`, "owners.people.moniker is required"},
		{"monikerXuid number", `{"type":"activity","scid":"` + scid + `","owners":{"people":{"moniker":"people","monikerXuid":1}}}`, "owners.people.monikerXuid must be a string"},
		{"empty xuids", `{"type":"activity","scid":"` + scid + `","owners":{"xuids":[]}}`, "non-empty"},
		{"numeric xuids", `{"type":"activity","scid":"` + scid + `","owners":{"xuids":[123]}}`, "XUID strings"},
		{"search without template", `{"type":"search","scid":"` + scid + `"}`, "templateName is required"},
		{"search filter not string", `{"type":"search","scid":"` + scid + `","templateName":"LobbySession","filter":5}`, "filter must be a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantTextError(t, h.do(http.MethodPost, "/handles/query", "user1", tc.body), http.StatusBadRequest, tc.fragment)
		})
	}
}

func TestQueryOwners(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Social graph (fixtures): user1 people → user2, user3; favorites → user2.
	var acts = map[string]string{}
	for _, who := range []string{"user3", "user2", "user1"} { // creation order: user3 oldest
		name := uniqueName("owners-" + who)
		h.join(who, name)
		acts[who] = h.createHandle(who, h.activityBody(name))
	}
	check := func(label string, got []map[string]any, want ...string) {
		t.Helper()
		var wantIDs []string
		for _, w := range want {
			wantIDs = append(wantIDs, acts[w])
		}
		if strings.Join(ids(got), ",") != strings.Join(wantIDs, ",") {
			t.Errorf("%s: got %v, want %v (%v)", label, ids(got), wantIDs, want)
		}
	}
	check("people", h.query("user1", "", h.peopleQuery("people", "user1")), "user3", "user2")
	check("People (wire casing)", h.query("user1", "", h.peopleQuery("People", "user1")), "user3", "user2")
	check("favorites", h.query("user1", "", h.peopleQuery("favorites", "user1")), "user2")
	check("user2 people", h.query("user2", "", h.peopleQuery("people", "user2")), "user1")
	check("user3 has no people", h.query("user3", "", h.peopleQuery("people", "user3")))
	check("xuids", h.query("user1", "", h.xuidsQuery("user3")), "user3")
	check("xuids, several", h.query("user1", "", h.xuidsQuery("user1", "user2", "user3")), "user3", "user2", "user1")
	check("take=1 keeps the oldest", h.query("user1", "?take=1", h.xuidsQuery("user1", "user2", "user3")), "user3")
	check("take=2", h.query("user1", "?take=2", h.xuidsQuery("user1", "user2", "user3")), "user3", "user2")
	// Other SCIDs do not match.
	other := strings.Replace(string(h.xuidsQuery("user1")), h.env.SCID, "00000000-0000-0000-0000-000000000000", 1)
	check("other scid", h.query("user1", "", []byte(other)))
	// Result shape: activity handle fields, strings for XUIDs and title ids.
	r := h.query("user1", "", h.xuidsQuery("user1"))[0]
	for _, k := range []string{"id", "type", "sessionRef", "titleId", "ownerXuid", "version", "createTime"} {
		if _, ok := r[k]; !ok {
			t.Errorf("result lacks %s: %v", k, r)
		}
	}
	if r["ownerXuid"] != h.xuid("user1") || r["titleId"] != h.env.TitleID {
		t.Errorf("result %v", r)
	}
}

func TestQueryResultsCappedAndUnique(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Many title ids are impossible with the fixture identities, so fill the store directly
	// with 120 activity handles of user1 (the cap is a store-level rule).
	name := uniqueName("cap")
	h.join("user1", name)
	h.emu.store.mu.Lock()
	ref := sessionRef{h.env.SCID, h.env.Templates.Primary, name}
	for i := 0; i < 120; i++ {
		id := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		hd := &handle{id: id, seq: h.emu.store.nextSeq(), typ: handleActivity, ref: ref, creator: h.xuid("user1"),
			titleID: "1", doc: map[string]any{"id": id, "type": "activity"}}
		if err := hd.seal(); err != nil {
			t.Fatal(err)
		}
		h.emu.store.handles[id] = hd
	}
	h.emu.store.mu.Unlock()
	got := h.query("user1", "", h.xuidsQuery("user1"))
	if len(got) != 100 {
		t.Fatalf("%d results, want the cap of 100", len(got))
	}
	seen := map[string]bool{}
	for _, id := range ids(got) {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
	if got := h.query("user1", "?take=7", h.xuidsQuery("user1")); len(got) != 7 {
		t.Fatalf("take=7 gave %d", len(got))
	}
}

func TestQueryInclude(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("include")
	h.putSession("user1", name, `{"members":{"me":{"properties":{"system":{"active":true}}}},"properties":{"custom":{"map":"dust"},"system":{"joinRestriction":"followed"}}}`, http.StatusCreated)
	h.join("user2", name)
	h.createHandle("user1", h.activityBody(name))
	bare := uniqueName("bare")
	h.putSession("user3", bare, `{"members":{"me":{}}}`, http.StatusCreated)
	h.createHandle("user3", h.activityBody(bare))
	body := h.xuidsQuery("user1")

	r := h.query("user1", "", body)[0]
	if _, ok := r["relatedInfo"]; ok {
		t.Error("relatedInfo without include")
	}
	if _, ok := r["customProperties"]; ok {
		t.Error("customProperties without include")
	}
	r = h.query("user1", "?include=relatedInfo", body)[0]
	ri, ok := r["relatedInfo"].(map[string]any)
	if !ok {
		t.Fatalf("relatedInfo missing: %v", r)
	}
	if ri["visibility"] != "open" || ri["joinRestriction"] != "followed" || ri["closed"] != false ||
		num(ri["maxMembersCount"]) != 8 || num(ri["membersCount"]) != 2 {
		t.Errorf("relatedInfo %v", ri)
	}
	if _, ok := r["customProperties"]; ok {
		t.Error("customProperties with include=relatedInfo only")
	}
	r = h.query("user1", "?include=customProperties", body)[0]
	if _, ok := r["relatedInfo"]; ok {
		t.Error("relatedInfo with include=customProperties only")
	}
	if path(r, "customProperties", "map") != "dust" {
		t.Errorf("customProperties %v", r["customProperties"])
	}
	r = h.query("user1", "?include=relatedInfo,customProperties", body)[0]
	if r["relatedInfo"] == nil || r["customProperties"] == nil {
		t.Errorf("both includes: %v", r)
	}
	r = h.query("user1", "?include=customProperties", h.xuidsQuery("user3"))[0]
	if cp, ok := r["customProperties"].(map[string]any); !ok || len(cp) != 0 {
		t.Errorf("customProperties of a session without custom properties: %v", r["customProperties"])
	}
	// Including does not change the stored handle.
	r = h.query("user1", "", body)[0]
	if _, ok := r["relatedInfo"]; ok {
		t.Error("include leaked into the stored handle")
	}
}

func TestQueryFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	open := uniqueName("open")
	h.putSession("user1", open, `{"members":{"me":{"properties":{"system":{"active":true}}}},"properties":{"system":{"keywords":["CTF","ranked"]}}}`, http.StatusCreated)
	openAct := h.createHandle("user1", h.activityBody(open))
	priv := uniqueName("private")
	h.putSession("user2", priv, `{"constants":{"system":{"visibility":"private","maxMembersCount":1}},"members":{"me":{}}}`, http.StatusCreated)
	privAct := h.createHandle("user2", h.activityBody(priv))
	body := h.xuidsQuery("user1", "user2")
	tests := []struct {
		who, qs string
		want    []string
	}{
		{"user1", "", []string{openAct}},
		{"server", "?private=true", []string{openAct, privAct}},
		{"user2", "?private=true&xuid=" + h.xuid("user2"), nil}, // user2 is not active in priv
		{"user2", "?private=true&inactive=true&xuid=" + h.xuid("user2"), []string{privAct}},
		{"user1", "?keyword=ctf", []string{openAct}},
		{"user1", "?keyword=casual", nil},
		{"user1", "?xuid=" + h.xuid("user1"), []string{openAct}},
		{"user1", "?xuid=" + h.xuid("user3"), nil},
		{"user1", "?visibility=open", []string{openAct}},
		{"user1", "?visibility=visible", nil},
		{"server", "?private=true&visibility=private", []string{privAct}},
		{"server", "?private=true&visibility=full", []string{privAct}},
		{"user1", "?version=0", nil},
		{"user1", "?version=1", []string{openAct}},
	}
	for _, tc := range tests {
		got := ids(h.query(tc.who, tc.qs, body))
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s %s: got %v, want %v", tc.who, tc.qs, got, tc.want)
		}
	}
}

func TestQuerySearchHandles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("search")
	h.putSession("user1", name, `{"constants":{"system":{"capabilities":{"hasOwners":true,"searchable":true}}},"members":{"me":{}}}`, http.StatusCreated)
	searchBody := h.body("search-handle", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary, "SESSION": name})
	first := h.createHandle("user1", searchBody)
	second := h.createHandle("user1", searchBody) // one search handle per session
	wantStatus(t, h.do(http.MethodGet, "/handles/"+first, "user1", nil), http.StatusNotFound)
	q := fmt.Sprintf(`{"type":"search","scid":%q,"templateName":%q,"filter":"strings/mode eq 'ctf'"}`, h.env.SCID, h.env.Templates.Primary)
	got := h.query("user1", "?include=relatedInfo,roleInfo,customProperties", []byte(q))
	if len(got) != 1 || got[0]["id"] != second || got[0]["type"] != "search" {
		t.Fatalf("search results %v", got)
	}
	if fmt.Sprint(path(got[0], "relatedInfo", "sessionOwners")) != "["+h.xuid("user1")+"]" {
		t.Errorf("sessionOwners %v", path(got[0], "relatedInfo", "sessionOwners"))
	}
	if path(got[0], "searchAttributes", "tags") == nil {
		t.Error("searchAttributes not echoed")
	}
}
