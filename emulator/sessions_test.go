package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestSessionCreateAndUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("Create")
	w := h.do(http.MethodPut, h.sessionPath(name), "user1", h.joinBody("user1"))
	wantStatus(t, w, http.StatusCreated)
	wantJSON(t, w)
	etag1 := w.Header().Get("ETag")
	if !etagRE.MatchString(etag1) {
		t.Fatalf("ETag %q is not a quoted strong ETag", etag1)
	}
	if got, want := w.Header().Get("Content-Location"), h.sessionPath(name); got != want {
		t.Fatalf("Content-Location %q, want %q", got, want)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "max-age=0, must-revalidate" {
		t.Fatalf("Cache-Control %q", cc)
	}
	doc := decode(t, w)
	u1 := h.env.Identities["user1"]
	checks := []struct {
		keys []string
		want string
	}{
		{[]string{"contractVersion"}, "107"},
		{[]string{"changeNumber"}, "1"},
		{[]string{"constants", "system", "version"}, "1"},
		{[]string{"constants", "system", "maxMembersCount"}, "8"},
		{[]string{"constants", "system", "visibility"}, "open"},
		{[]string{"properties", "system", "joinRestriction"}, "none"},
		{[]string{"properties", "custom", "mpsdconfRun"}, "test"},
		{[]string{"members", "0", "constants", "system", "xuid"}, u1.XUID},
		{[]string{"members", "0", "constants", "system", "index"}, "0"},
		{[]string{"members", "0", "properties", "system", "active"}, "true"},
		{[]string{"members", "0", "gamertag"}, u1.Gamertag},
		{[]string{"members", "0", "activeTitleId"}, h.env.TitleID},
		{[]string{"members", "0", "next"}, "1"},
		{[]string{"membersInfo", "first"}, "0"},
		{[]string{"membersInfo", "next"}, "1"},
		{[]string{"membersInfo", "count"}, "1"},
		{[]string{"membersInfo", "accepted"}, "1"},
		{[]string{"membersInfo", "active"}, "1"},
	}
	for _, c := range checks {
		if got := fmt.Sprint(path(doc, c.keys...)); got != c.want {
			t.Errorf("%s = %s, want %s", strings.Join(c.keys, "."), got, c.want)
		}
	}
	// XUIDs and title ids are JSON strings.
	if _, ok := path(doc, "members", "0", "constants", "system", "xuid").(string); !ok {
		t.Error("member xuid is not a JSON string")
	}
	if _, ok := path(doc, "members", "0", "activeTitleId").(string); !ok {
		t.Error("activeTitleId is not a JSON string")
	}
	for _, k := range []string{"branch", "correlationId"} {
		if s, _ := doc[k].(string); !isGUID(s) {
			t.Errorf("%s %q is not a GUID", k, s)
		}
	}
	for _, ts := range []any{doc["startTime"], path(doc, "members", "0", "joinTime")} {
		if s, _ := ts.(string); !timestampRE.MatchString(s) {
			t.Errorf("timestamp %v is not RFC 3339 UTC with 7 fractional digits", ts)
		}
	}
	if _, ok := doc["servers"].(map[string]any); !ok {
		t.Error("servers missing")
	}

	w = h.do(http.MethodPut, h.sessionPath(name), "user2", h.joinBody("user2"))
	wantStatus(t, w, http.StatusOK)
	doc = decode(t, w)
	if fmt.Sprint(doc["changeNumber"]) != "2" || w.Header().Get("ETag") == etag1 {
		t.Fatalf("update did not bump changeNumber/ETag: %v %s", doc["changeNumber"], w.Header().Get("ETag"))
	}
	if fmt.Sprint(path(doc, "members", "0", "next")) != "1" || fmt.Sprint(path(doc, "members", "1", "next")) != "2" {
		t.Fatalf("member linked list wrong: %v", doc["members"])
	}
	if path(doc, "branch") != path(decode(t, h.do(http.MethodGet, h.sessionPath(name), "user3", nil)), "branch") {
		t.Fatal("branch changed between reads")
	}
}

func TestSessionEmptyWritesAre204(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, body := range []string{`{}`, `{"properties":{"custom":{"a":1}}}`, `{"members":{"me":null}}`} {
		name := uniqueName("empty")
		w := h.do(http.MethodPut, h.sessionPath(name), "user1", body)
		wantStatus(t, w, http.StatusNoContent)
		if w.Body.Len() != 0 {
			t.Fatalf("204 with body %q", w.Body.String())
		}
		wantStatus(t, h.do(http.MethodGet, h.sessionPath(name), "user1", nil), http.StatusNoContent)
	}
}

func TestSessionLastMemberLeavingDeletesIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("leave")
	h.join("user1", name)
	h.join("user2", name)
	act := h.createHandle("user1", h.activityBody(name))
	act2 := h.createHandle("user2", h.activityBody(name))
	leave := h.body("session-leave", nil)
	// user1 leaving removes their bound activity; the session stays.
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user1", leave), http.StatusOK)
	wantStatus(t, h.do(http.MethodGet, "/handles/"+act, "user1", nil), http.StatusNotFound)
	wantStatus(t, h.do(http.MethodGet, "/handles/"+act2, "user1", nil), http.StatusOK)
	// user2 was the last member: 204 and the session and its activities are gone.
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user2", leave), http.StatusNoContent)
	wantStatus(t, h.do(http.MethodGet, h.sessionPath(name), "user2", nil), http.StatusNoContent)
	wantStatus(t, h.do(http.MethodGet, "/handles/"+act2, "user2", nil), http.StatusNotFound)
	// Leaving a session one is not in is harmless.
	h.join("user1", name)
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user3", leave), http.StatusOK)
}

func TestSessionPreconditions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("etag")
	missing := uniqueName("missing")
	body := h.joinBody("user1")

	// If-Match on a missing session: 412, no body, nothing created.
	w := h.do(http.MethodPut, h.sessionPath(missing), "user1", body, "If-Match", `"abc"`)
	wantStatus(t, w, http.StatusPreconditionFailed)
	if w.Body.Len() != 0 {
		t.Fatalf("412 on missing session has body %q", w.Body.String())
	}
	wantStatus(t, h.do(http.MethodGet, h.sessionPath(missing), "user1", nil), http.StatusNoContent)

	// If-None-Match: * creates when missing, fails when present.
	w = h.do(http.MethodPut, h.sessionPath(name), "user1", body, "If-None-Match", "*")
	wantStatus(t, w, http.StatusCreated)
	etag := w.Header().Get("ETag")
	w = h.do(http.MethodPut, h.sessionPath(name), "user1", body, "If-None-Match", "*")
	wantStatus(t, w, http.StatusPreconditionFailed)
	if w.Body.Len() != 0 {
		t.Fatalf("If-None-Match 412 has a body")
	}

	// A matching If-Match writes; the old ETag then fails with the current session + ETag.
	w = h.do(http.MethodPut, h.sessionPath(name), "user1", body, "If-Match", etag)
	wantStatus(t, w, http.StatusOK)
	current := w.Header().Get("ETag")
	for _, stale := range []string{etag, strings.Trim(current, `"`), "W/" + current, `"nope"`} {
		w = h.do(http.MethodPut, h.sessionPath(name), "user1", body, "If-Match", stale)
		wantStatus(t, w, http.StatusPreconditionFailed)
		wantJSON(t, w)
		if w.Header().Get("ETag") != current {
			t.Fatalf("412 ETag %q, want current %q", w.Header().Get("ETag"), current)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-cache, no-store" {
			t.Fatalf("412 Cache-Control %q", cc)
		}
		if fmt.Sprint(decode(t, w)["changeNumber"]) != "2" {
			t.Fatalf("412 body is not the current session: %s", w.Body.String())
		}
	}
	// If-Match: * matches any existing session; a list containing the current ETag matches.
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user1", body, "If-Match", "*"), http.StatusOK)
	_, current = h.getSession("user1", name)
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user1", body, "If-Match", `"x", `+current), http.StatusOK)
}

func TestSessionGet(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("get")
	h.join("user1", name)
	w := h.do(http.MethodGet, h.sessionPath(name), "user2", nil)
	wantStatus(t, w, http.StatusOK)
	wantJSON(t, w)
	etag := w.Header().Get("ETag")
	if !etagRE.MatchString(etag) || w.Header().Get("Content-Location") != h.sessionPath(name) {
		t.Fatalf("headers: %v", w.Header())
	}
	w = h.do(http.MethodGet, h.sessionPath(name), "user2", nil, "If-None-Match", etag)
	wantStatus(t, w, http.StatusNotModified)
	if w.Body.Len() != 0 {
		t.Fatal("304 with a body")
	}
	wantStatus(t, h.do(http.MethodGet, h.sessionPath(name), "user2", nil, "If-None-Match", `"other"`), http.StatusOK)
	wantStatus(t, h.do(http.MethodGet, h.sessionPath(uniqueName("none")), "user2", nil), http.StatusNoContent)

	unknownSCID := "/serviceconfigs/00000000-0000-0000-0000-000000000000/sessionTemplates/LobbySession/sessions/x"
	wantTextError(t, h.do(http.MethodGet, unknownSCID, "user1", nil), http.StatusNotFound, "service config")
	wantTextError(t, h.do(http.MethodGet, "/serviceconfigs/not-a-guid/sessionTemplates/LobbySession/sessions/x", "user1", nil), http.StatusNotFound, "service config")
	wantTextError(t, h.do(http.MethodGet, h.templatePath("NoSuchTemplate", "x"), "user1", nil), http.StatusNotFound, "template")
	wantTextError(t, h.do(http.MethodGet, h.sessionPath("bad%20name"), "user1", nil), http.StatusBadRequest, "session name")
	wantTextError(t, h.do(http.MethodGet, h.sessionPath(strings.Repeat("n", 100)), "user1", nil), http.StatusBadRequest, "session name")
	wantStatus(t, h.do(http.MethodGet, h.sessionPath(strings.Repeat("n", 99)), "user1", nil), http.StatusNoContent)
}

func TestSessionPathCaseInsensitivity(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("CaseName")
	h.join("user1", name)
	upperSCID := strings.ToUpper(h.env.SCID)
	variants := []string{
		"/serviceconfigs/" + h.env.SCID + "/sessiontemplates/" + h.env.Templates.Primary + "/sessions/" + name,
		"/serviceconfigs/" + h.env.SCID + "/SESSIONTEMPLATES/" + h.env.Templates.Primary + "/sessions/" + name,
		"/serviceconfigs/" + upperSCID + "/sessionTemplates/" + h.env.Templates.Primary + "/sessions/" + name,
		"/serviceconfigs/" + h.env.SCID + "/sessionTemplates/" + strings.ToLower(h.env.Templates.Primary) + "/sessions/" + strings.ToUpper(name),
	}
	for _, v := range variants {
		w := h.do(http.MethodGet, v, "user2", nil)
		wantStatus(t, w, http.StatusOK)
		// Content-Location keeps the casing the session was created with.
		if got := w.Header().Get("Content-Location"); got != h.sessionPath(name) {
			t.Fatalf("GET %s: Content-Location %q, want %q", v, got, h.sessionPath(name))
		}
	}
	// Writing through the lower-case literal reaches the same session.
	w := h.do(http.MethodPut, variants[0], "user2", h.joinBody("user2"))
	wantStatus(t, w, http.StatusOK)
	if fmt.Sprint(path(decode(t, w), "membersInfo", "count")) != "2" {
		t.Fatal("sessiontemplates spelling created a second session")
	}
}

func TestSessionBodyValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u1 := h.xuid("user1")
	tests := []struct {
		name, body, fragment string
	}{
		{"not json", `{"members":`, "not valid JSON"},
		{"empty body", ``, "empty"},
		{"array", `[]`, "JSON object"},
		{"trailing data", `{} {}`, "after the top-level value"},
		{"trailing garbage", `{}x`, "not valid JSON"},
		{"unknown top-level key", `{"foo":1}`, `"foo" is not allowed`},
		{"members not object", `{"members":"x"}`, "members must be an object"},
		{"properties custom not object", `{"properties":{"custom":1}}`, "properties.custom must be an object"},
		{"properties unknown key", `{"properties":{"other":{}}}`, `"other" is not allowed`},
		{"xuid as number", `{"members":{"me":{"constants":{"system":{"xuid":` + u1 + `}}}}}`, "members.me.constants.system.xuid must be a string"},
		{"xuid not decimal", `{"members":{"me":{"constants":{"system":{"xuid":"12a"}}}}}`, "not a decimal XUID"},
		{"active not bool", `{"members":{"me":{"properties":{"system":{"active":"yes"}}}}}`, "active must be a boolean"},
		{"active and ready", `{"members":{"me":{"properties":{"system":{"active":true,"ready":true}}}}}`, "cannot both be true"},
		{"me not object", `{"members":{"me":5}}`, "members.me must be an object or null"},
		{"unknown member key", `{"members":{"bogus":{}}}`, "members.bogus"},
		{"bad reserve key", `{"members":{"reserve_x":{}}}`, "reserve_<n>"},
		{"reserve without xuid", `{"members":{"reserve_0":{"constants":{"system":{}}}}}`, "xuid is required"},
		{"reserve with properties", `{"members":{"reserve_0":{"properties":{}}}}`, `"properties" is not allowed`},
		{"maxMembersCount zero", `{"constants":{"system":{"maxMembersCount":0}}}`, "maxMembersCount"},
		{"maxMembersCount string", `{"constants":{"system":{"maxMembersCount":"8"}}}`, "maxMembersCount"},
		{"maxMembersCount float", `{"constants":{"system":{"maxMembersCount":2.5}}}`, "maxMembersCount"},
		{"visibility unknown", `{"constants":{"system":{"visibility":"secret"}}}`, "visibility"},
		{"capability not bool", `{"constants":{"system":{"capabilities":{"hasOwners":"yes"}}}}`, "capabilities.hasOwners"},
		{"joinRestriction unknown", `{"properties":{"system":{"joinRestriction":"friends"}}}`, "joinRestriction"},
		{"closed not bool", `{"properties":{"system":{"closed":1}}}`, "closed must be a boolean"},
		{"keywords not strings", `{"properties":{"system":{"keywords":[1]}}}`, "keywords"},
		{"servers not object", `{"servers":[]}`, "servers must be an object"},
		{"server entry not object", `{"servers":{"mm":1}}`, "servers.mm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := uniqueName("bad")
			wantTextError(t, h.do(http.MethodPut, h.sessionPath(name), "user1", tc.body), http.StatusBadRequest, tc.fragment)
			wantStatus(t, h.do(http.MethodGet, h.sessionPath(name), "user1", nil), http.StatusNoContent)
		})
	}
}

func TestSessionPrincipalRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("principals")
	h.join("user1", name)
	h.join("user2", name)
	tests := []struct {
		name, who, body string
		want            int
		fragment        string
	}{
		{"server cannot use members.me", "server", `{"members":{"me":{}}}`, http.StatusForbidden, "user principal"},
		{"members.me naming another xuid is the caller", "user1", `{"members":{"me":{"constants":{"system":{"xuid":"` + h.xuid("user3") + `"}}}}}`, http.StatusOK, ""},
		{"servers need a server principal", "user1", `{"servers":{"mm":{"properties":{"x":1}}}}`, http.StatusForbidden, "server principal"},
		{"users cannot change members by index", "user1", `{"members":{"1":null}}`, http.StatusForbidden, "server principal"},
		{"server writes servers", "server", `{"servers":{"mm":{"properties":{"x":1}}}}`, http.StatusOK, ""},
		{"server updates a member by index", "server", `{"members":{"1":{"properties":{"custom":{"k":"v"}}}}}`, http.StatusOK, ""},
		{"server updating a missing index", "server", `{"members":{"9":{"properties":{}}}}`, http.StatusBadRequest, "no member"},
		{"server deletes a member by index", "server", `{"members":{"1":null}}`, http.StatusOK, ""},
	}
	for _, tc := range tests { // sequential: they build on each other
		w := h.do(http.MethodPut, h.sessionPath(name), tc.who, tc.body)
		if tc.fragment != "" {
			wantTextError(t, w, tc.want, tc.fragment)
			continue
		}
		if w.Code != tc.want {
			t.Fatalf("%s: status %d, want %d: %s", tc.name, w.Code, tc.want, w.Body.String())
		}
	}
	doc, _ := h.getSession("user1", name)
	if path(doc, "servers", "mm", "properties", "x") == nil {
		t.Error("server entry not stored")
	}
	if _, still := path(doc, "members").(map[string]any)["1"]; still {
		t.Error("member 1 not deleted by the server")
	}
}

func TestSessionVisibilityAndReservations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	priv := uniqueName("private")
	create := fmt.Sprintf(`{"constants":{"system":{"visibility":"private"}},"members":{"me":{"constants":{"system":{"xuid":%q}},"properties":{"system":{"active":true}}},"reserve_0":{"constants":{"system":{"xuid":%q}}}}}`,
		h.xuid("user1"), h.xuid("user2"))
	doc := h.putSession("user1", priv, create, http.StatusCreated)
	if path(doc, "members", "1", "reserved") != true || fmt.Sprint(path(doc, "membersInfo", "accepted")) != "1" || fmt.Sprint(path(doc, "membersInfo", "count")) != "2" {
		t.Fatalf("reservation not rendered: %v", doc["members"])
	}
	if path(doc, "members", "1", "gamertag") != nil {
		t.Fatal("reserved member has a gamertag")
	}
	wantTextError(t, h.do(http.MethodGet, h.sessionPath(priv), "user3", nil), http.StatusForbidden, "private")
	wantStatus(t, h.do(http.MethodGet, h.sessionPath(priv), "user2", nil), http.StatusOK)
	wantStatus(t, h.do(http.MethodGet, h.sessionPath(priv), "server", nil), http.StatusOK)
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(priv), "user3", h.joinBody("user3")), http.StatusForbidden)
	w := h.do(http.MethodPut, h.sessionPath(priv), "user2", h.joinBody("user2"))
	wantStatus(t, w, http.StatusOK)
	if path(decode(t, w), "members", "1", "reserved") != nil {
		t.Fatal("reservation not accepted by the join")
	}

	vis := uniqueName("visible")
	h.putSession("user1", vis, `{"constants":{"system":{"visibility":"visible"}},"members":{"me":{}}}`, http.StatusCreated)
	wantStatus(t, h.do(http.MethodGet, h.sessionPath(vis), "user3", nil), http.StatusOK)
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(vis), "user3", h.joinBody("user3")), http.StatusForbidden, "visible")
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(vis), "user3", `{"properties":{"custom":{"a":1}}}`), http.StatusForbidden, "only members")
}

func TestSessionCapacity(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("full")
	h.putSession("user1", name, `{"constants":{"system":{"maxMembersCount":2}},"members":{"me":{}}}`, http.StatusCreated)
	h.join("user2", name)
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(name), "user3", h.joinBody("user3")), http.StatusForbidden, "session is full")
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(name), "user1",
		`{"members":{"reserve_0":{"constants":{"system":{"xuid":"`+h.xuid("user3")+`"}}}}}`), http.StatusForbidden, "session is full")
	// Members already in may still write.
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user2", h.joinBody("user2")), http.StatusOK)
	// The template default applies without a request value.
	doc := h.putSession("user1", uniqueName("default"), h.joinBody("user1"), http.StatusCreated)
	if fmt.Sprint(path(doc, "constants", "system", "maxMembersCount")) != "8" {
		t.Fatalf("default maxMembersCount %v", path(doc, "constants", "system", "maxMembersCount"))
	}
}

func TestSessionConstantsOnlyAtCreation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("constants")
	h.putSession("user1", name, `{"constants":{"system":{"maxMembersCount":4},"custom":{"mode":"ctf","gone":null}},"members":{"me":{}}}`, http.StatusCreated)
	doc, _ := h.getSession("user1", name)
	if path(doc, "constants", "custom", "mode") != "ctf" || path(doc, "constants", "custom").(map[string]any)["gone"] != nil {
		t.Fatalf("constants.custom %v", path(doc, "constants", "custom"))
	}
	wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user1", `{"constants":{"system":{"maxMembersCount":4}}}`), http.StatusOK)
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(name), "user1", `{"constants":{"system":{"maxMembersCount":5}}}`), http.StatusConflict, "constants")
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(name), "user1", `{"constants":{"custom":{"mode":"koth"}}}`), http.StatusConflict, "constants")
}

func TestSessionPropertiesMerge(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("merge")
	h.putSession("user1", name, `{"members":{"me":{}},"properties":{"custom":{"a":1,"b":{"c":2,"d":3}}}}`, http.StatusCreated)
	doc := h.putSession("user1", name, `{"properties":{"custom":{"a":null,"b":{"d":null,"e":4}},"system":{"closed":true,"keywords":["x"]}}}`, http.StatusOK)
	custom := path(doc, "properties", "custom").(map[string]any)
	if _, ok := custom["a"]; ok {
		t.Error("null did not delete a")
	}
	if fmt.Sprint(path(custom, "b", "c")) != "2" || path(custom, "b", "d") != nil || fmt.Sprint(path(custom, "b", "e")) != "4" {
		t.Errorf("deep merge wrong: %v", custom)
	}
	if path(doc, "properties", "system", "closed") != true {
		t.Error("closed not stored")
	}
	// Member properties merge too, and ready clears active.
	doc = h.putSession("user1", name, `{"members":{"me":{"properties":{"custom":{"k":"v"},"system":{"ready":true}}}}}`, http.StatusOK)
	if path(doc, "members", "0", "properties", "custom", "k") != "v" || path(doc, "members", "0", "properties", "system", "active") != nil {
		t.Errorf("member merge wrong: %v", path(doc, "members", "0"))
	}
}

func TestSessionInactiveMemberLosesActivity(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("inactive")
	h.join("user1", name)
	act := h.createHandle("user1", h.activityBody(name))
	// A write that does not touch active keeps the activity.
	h.putSession("user1", name, `{"members":{"me":{"properties":{"custom":{"x":1}}}}}`, http.StatusOK)
	wantStatus(t, h.do(http.MethodGet, "/handles/"+act, "user1", nil), http.StatusOK)
	h.putSession("user1", name, `{"members":{"me":{"properties":{"system":{"active":false}}}}}`, http.StatusOK)
	wantStatus(t, h.do(http.MethodGet, "/handles/"+act, "user1", nil), http.StatusNotFound)
}

func TestSessionOwners(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("owners")
	doc := h.putSession("user1", name, `{"constants":{"system":{"capabilities":{"hasOwners":true},"ownershipPolicies":{"migration":"oldest"}}},"members":{"me":{}}}`, http.StatusCreated)
	if fmt.Sprint(path(doc, "properties", "system", "owners")) != "[0]" {
		t.Fatalf("owners %v, want [0]", path(doc, "properties", "system", "owners"))
	}
	h.join("user2", name)
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(name), "user2", `{"properties":{"system":{"owners":[1]}}}`), http.StatusForbidden, "owners")
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(name), "user1", `{"properties":{"system":{"owners":[7]}}}`), http.StatusBadRequest, "owners")
	h.putSession("user1", name, `{"properties":{"system":{"owners":[0,1]}}}`, http.StatusOK)
	// The owner leaving migrates ownership to the oldest remaining member.
	h.putSession("user1", name, `{"properties":{"system":{"owners":[0]}}}`, http.StatusOK)
	doc = h.putSession("user1", name, h.body("session-leave", nil), http.StatusOK)
	if fmt.Sprint(path(doc, "properties", "system", "owners")) != "[1]" {
		t.Fatalf("owners after leave %v, want [1]", path(doc, "properties", "system", "owners"))
	}
	// owners needs the hasOwners capability.
	plain := uniqueName("plain")
	h.join("user1", plain)
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(plain), "user1", `{"properties":{"system":{"owners":[0]}}}`), http.StatusBadRequest, "hasOwners")
}
