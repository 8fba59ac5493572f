package emulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The emulator accepts what public clients in production send to the real service.

// doNoContentType sends a request with a body but without any Content-Type header.
func (h *harness) doNoContentType(method, path, who string, body []byte) *httptest.ResponseRecorder {
	h.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(string(body)))
	r.Header.Set("X-Xbl-Contract-Version", "107")
	r.Header.Set("Authorization", h.token(who))
	w := httptest.NewRecorder()
	h.emu.ServeHTTP(w, r)
	return w
}

func TestRequestsWithoutContentType(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("noct")
	wantStatus(t, h.doNoContentType(http.MethodPut, h.sessionPath(name), "user1", h.joinBody("user1")), http.StatusCreated)
	w := h.doNoContentType(http.MethodPost, "/handles", "user1", h.activityBody(name))
	wantStatus(t, w, http.StatusCreated)
	id, _ := decode(t, w)["id"].(string)
	wantStatus(t, h.doNoContentType(http.MethodPost, "/handles", "user1", h.inviteBody(name, h.xuid("user2"))), http.StatusCreated)
	wantStatus(t, h.doNoContentType(http.MethodPost, "/handles/query", "user1", h.xuidsQuery("user1")), http.StatusOK)
	wantStatus(t, h.doNoContentType(http.MethodPut, "/handles/"+id+"/session", "user1", []byte(`{}`)), http.StatusOK)
}

func TestSessionMeWithAnotherUsersXuid(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("otherxuid")
	body := h.body("session-join-other-xuid", map[string]any{"OTHER_XUID": h.xuid("user1"), "RUN_ID": "test"})
	doc := h.putSession("user3", name, body, http.StatusCreated)
	members, _ := doc["members"].(map[string]any)
	if len(members) != 1 || path(members, "0", "constants", "system", "xuid") != h.xuid("user3") {
		t.Fatalf("members %v, want only the caller user3", members)
	}
	// The caller is a member: its activity is accepted; the named user is not.
	h.createHandle("user3", h.activityBody(name))
	wantTextError(t, h.do(http.MethodPost, "/handles", "user1", h.activityBody(name)), http.StatusForbidden, "not a member")
	// Joining an existing session the same way works too.
	doc = h.putSession("user2", name, h.body("session-join-other-xuid", map[string]any{"OTHER_XUID": h.xuid("user3"), "RUN_ID": "test"}), http.StatusOK)
	if path(doc, "members", "1", "constants", "system", "xuid") != h.xuid("user2") || path(doc, "membersInfo", "count") == nil {
		t.Fatalf("user2 did not join as itself: %v", doc["members"])
	}
}

func TestSearchQueryExtendedFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("lfg")
	h.join("user1", name)
	id := h.createHandle("user1", h.body("search-handle", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary, "SESSION": name}))
	for _, tmpl := range []string{"global(" + h.env.Templates.Primary + ")", h.env.Templates.Primary} {
		q := h.body("query-search-extended", map[string]any{"SCID": h.env.SCID, "TEMPLATE_NAME": tmpl})
		got := h.query("user1", "?include=relatedInfo,roleInfo,customProperties", q)
		if len(got) != 1 || got[0]["id"] != id {
			t.Errorf("templateName %s: results %v, want the search handle %s", tmpl, ids(got), id)
		}
	}
	// global(NAME) addresses template NAME: another template's handles are not listed.
	q := h.body("query-search-extended", map[string]any{"SCID": h.env.SCID, "TEMPLATE_NAME": "global(" + h.env.Templates.Secondary + ")"})
	if got := h.query("user1", "", q); len(got) != 0 {
		t.Errorf("global(secondary) listed %v", ids(got))
	}
	for _, bad := range []struct{ body, fragment string }{
		{fmt.Sprintf(`{"type":"search","scid":%q,"templateName":"global()"}`, h.env.SCID), "templateName"},
		{fmt.Sprintf(`{"type":"search","scid":%q,"templateName":"global(a b)"}`, h.env.SCID), "templateName"},
		{fmt.Sprintf(`{"type":"search","scid":%q,"templateName":"lfg","communicatePermissionRequired":"yes"}`, h.env.SCID), "communicatePermissionRequired"},
		{fmt.Sprintf(`{"type":"search","scid":%q,"templateName":"lfg","includeScheduled":1}`, h.env.SCID), "includeScheduled"},
		{fmt.Sprintf(`{"type":"search","scid":%q,"templateName":"lfg","orderBy":5}`, h.env.SCID), "orderBy"},
	} {
		wantTextError(t, h.do(http.MethodPost, "/handles/query", "user1", bad.body), http.StatusBadRequest, bad.fragment)
	}
}

func TestSessionRoleTypes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("roles")
	doc := h.putSession("user1", name, h.body("session-roletypes", map[string]any{"XUID": h.xuid("user1"), "RUN_ID": "test"}), http.StatusCreated)
	if num(path(doc, "roleTypes", "lfg", "roles", "other", "target")) != 3 {
		t.Fatalf("roleTypes not rendered back: %v", doc["roleTypes"])
	}
	// Later writes merge into roleTypes, and reads render them.
	h.putSession("user1", name, `{"roleTypes":{"lfg":{"roles":{"friend":{"target":2}}}}}`, http.StatusOK)
	got, _ := h.getSession("user1", name)
	if num(path(got, "roleTypes", "lfg", "roles", "friend", "target")) != 2 || num(path(got, "roleTypes", "lfg", "roles", "other", "max")) != 1 {
		t.Fatalf("roleTypes after update: %v", got["roleTypes"])
	}
	// Sessions without roleTypes do not show the member.
	plain, _ := h.getSession("user1", h.joined("user1"))
	if _, ok := plain["roleTypes"]; ok {
		t.Error("roleTypes rendered for a session that never had them")
	}
	wantTextError(t, h.do(http.MethodPut, h.sessionPath(name), "user1", `{"roleTypes":[]}`), http.StatusBadRequest, "roleTypes")
}

func TestSessionRefNameOptional(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.join("user1", uniqueName("named"))
	noName := h.body("activity-handle-no-name", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary})
	// The service fills in a new name; the caller is not a member of that session.
	wantTextError(t, h.do(http.MethodPost, "/handles", "user1", noName), http.StatusForbidden, "does not exist")
	// Other handle types parse the same way: an invite gets a generated GUID name.
	inv := fmt.Sprintf(`{"version":1,"type":"invite","sessionRef":{"scid":%q,"templateName":%q},"invitedXuid":%q,"inviteAttributes":{"titleId":%q}}`,
		h.env.SCID, h.env.Templates.Primary, h.xuid("user2"), h.env.TitleID)
	w := h.do(http.MethodPost, "/handles", "user1", inv)
	wantStatus(t, w, http.StatusCreated)
	if n, _ := path(decode(t, w), "sessionRef", "name").(string); !lowerGUIDRE.MatchString(n) {
		t.Errorf("generated name %q is not a GUID", n)
	}
	for _, bad := range []struct{ body, fragment string }{
		{fmt.Sprintf(`{"version":1,"type":"activity","sessionRef":{"templateName":%q}}`, h.env.Templates.Primary), "sessionRef.scid"},
		{fmt.Sprintf(`{"version":1,"type":"activity","sessionRef":{"scid":%q}}`, h.env.SCID), "sessionRef.templateName"},
		{fmt.Sprintf(`{"version":1,"type":"transfer","sessionRef":{"scid":%[1]q,"templateName":%[2]q},"originSessionRef":{"scid":%[1]q,"templateName":%[2]q}}`,
			h.env.SCID, h.env.Templates.Primary), "originSessionRef.name"},
	} {
		wantTextError(t, h.do(http.MethodPost, "/handles", "user1", bad.body), http.StatusBadRequest, bad.fragment)
	}
}
