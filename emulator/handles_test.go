package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestActivityHandleCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("Activity")
	h.join("user1", name)
	before, etagBefore := h.getSession("user1", name)

	w := h.do(http.MethodPost, "/handles", "user1", h.activityBody(name))
	wantStatus(t, w, http.StatusCreated)
	wantJSON(t, w)
	doc := decode(t, w)
	id, _ := doc["id"].(string)
	if !lowerGUIDRE.MatchString(id) {
		t.Fatalf("id %q is not a lower-case GUID", id)
	}
	for _, hdr := range []string{"Location", "Content-Location"} {
		if got := w.Header().Get(hdr); got != "/handles/"+id {
			t.Errorf("%s %q, want /handles/%s", hdr, got, id)
		}
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-cache, no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	want := map[string]string{
		"type": "activity", "version": "1", "titleId": h.env.TitleID, "ownerXuid": h.xuid("user1"),
	}
	for k, v := range want {
		if got := fmt.Sprint(doc[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	for _, k := range []string{"titleId", "ownerXuid"} {
		if _, ok := doc[k].(string); !ok {
			t.Errorf("%s is not a JSON string", k)
		}
	}
	if s, _ := doc["createTime"].(string); !timestampRE.MatchString(s) {
		t.Errorf("createTime %q", s)
	}
	ref := doc["sessionRef"].(map[string]any)
	if ref["scid"] != h.env.SCID || ref["templateName"] != h.env.Templates.Primary || ref["name"] != name {
		t.Errorf("sessionRef %v", ref)
	}
	// Creating the handle bumped the session's changeNumber and ETag.
	after, etagAfter := h.getSession("user1", name)
	if num(after["changeNumber"]) != num(before["changeNumber"])+1 || etagAfter == etagBefore {
		t.Fatalf("changeNumber %v -> %v, ETag %s -> %s", before["changeNumber"], after["changeNumber"], etagBefore, etagAfter)
	}
	// The old ETag now fails with 412 (the captured 054 → 055 → 057 sequence).
	w = h.do(http.MethodPut, h.sessionPath(name), "user1", h.joinBody("user1"), "If-Match", etagBefore)
	wantStatus(t, w, http.StatusPreconditionFailed)
	if w.Header().Get("ETag") != etagAfter {
		t.Fatal("412 does not carry the bumped ETag")
	}
	// GET /handles/{id} returns the same document, also with an upper-case id.
	for _, lookup := range []string{id, strings.ToUpper(id)} {
		w = h.do(http.MethodGet, "/handles/"+lookup, "user2", nil)
		wantStatus(t, w, http.StatusOK)
		if decode(t, w)["id"] != id {
			t.Fatalf("GET /handles/%s returned %s", lookup, w.Body.String())
		}
	}
}

func TestEveryHandleTypeBumpsTheSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("bump")
	origin := uniqueName("origin")
	h.join("user1", name)
	bodies := map[string][]byte{
		"activity": h.activityBody(name),
		"invite":   h.inviteBody(name, h.xuid("user2")),
		"transfer": h.body("transfer-handle", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary, "SESSION": name,
			"ORIGIN_TEMPLATE": h.env.Templates.Secondary, "ORIGIN_SESSION": origin}),
		"search": h.body("search-handle", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary, "SESSION": name}),
	}
	for _, typ := range []string{"activity", "invite", "transfer", "search"} {
		before, _ := h.getSession("user1", name)
		id := h.createHandle("user1", bodies[typ])
		after, _ := h.getSession("user1", name)
		if num(after["changeNumber"]) != num(before["changeNumber"])+1 {
			t.Errorf("%s handle: changeNumber %v -> %v", typ, before["changeNumber"], after["changeNumber"])
		}
		if typ == "search" && after["searchHandle"] != id {
			t.Errorf("searchHandle %v, want %s", after["searchHandle"], id)
		}
	}
	// Handles to sessions that do not exist are fine (except activity) and bump nothing.
	id := h.createHandle("user1", h.inviteBody(uniqueName("nosession"), h.xuid("user2")))
	wantStatus(t, h.do(http.MethodGet, "/handles/"+id, "user1", nil), http.StatusOK)
}

func TestActivityNeedsMembership(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("member")
	h.putSession("user1", name, fmt.Sprintf(`{"members":{"me":{},"reserve_0":{"constants":{"system":{"xuid":%q}}}}}`, h.xuid("user3")), http.StatusCreated)
	tests := []struct {
		who, session, fragment string
	}{
		{"user2", name, "not a member"},
		{"user3", name, "not a member"}, // reserved, not joined
		{"user1", uniqueName("missing"), "does not exist"},
		{"server", name, "server principals cannot own activities"},
	}
	for _, tc := range tests {
		wantTextError(t, h.do(http.MethodPost, "/handles", tc.who, h.activityBody(tc.session)), http.StatusForbidden, tc.fragment)
	}
	h.createHandle("user1", h.activityBody(name))
}

func TestActivityReplacesPrevious(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := uniqueName("first"), uniqueName("second")
	h.join("user1", a)
	h.join("user1", b)
	first := h.createHandle("user1", h.activityBody(a))
	again := h.createHandle("user1", h.activityBody(a))
	wantStatus(t, h.do(http.MethodGet, "/handles/"+first, "user1", nil), http.StatusNotFound)
	second := h.createHandle("user1", h.activityBody(b))
	wantStatus(t, h.do(http.MethodGet, "/handles/"+again, "user1", nil), http.StatusNotFound)
	wantStatus(t, h.do(http.MethodGet, "/handles/"+second, "user1", nil), http.StatusOK)
	w := h.do(http.MethodPost, "/handles/query", "user1", h.body("query-activity-xuids", map[string]any{"SCID": h.env.SCID, "XUIDS": []string{h.xuid("user1")}}))
	wantStatus(t, w, http.StatusOK)
	results := decode(t, w)["results"].([]any)
	if len(results) != 1 || path(results[0], "id") != second {
		t.Fatalf("query after replacement: %v", results)
	}
	// The replaced activity was unbound from its member in session a.
	h.emu.store.mu.Lock()
	defer h.emu.store.mu.Unlock()
	if m := h.emu.store.sessions[sessionRef{h.env.SCID, h.env.Templates.Primary, a}.key()].findMember(h.xuid("user1")); m.activity != "" {
		t.Fatalf("member in %s still bound to %s", a, m.activity)
	}
}

func TestHandleCreateValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	scid, tmpl := h.env.SCID, h.env.Templates.Primary
	ref := fmt.Sprintf(`"sessionRef":{"scid":%q,"templateName":%q,"name":"s1"}`, scid, tmpl)
	invite := func(extra string) string {
		return `{"version":1,"type":"invite",` + ref + extra + `}`
	}
	long := strings.Repeat("a", 257)
	encodedLong := strings.Repeat("=", 86) // 86 × "%3D" = 258 encoded characters
	tests := []struct {
		name, body string
		status     int
		fragment   string
	}{
		{"malformed", `{"version":1,`, 400, "not valid JSON"},
		{"not an object", `"activity"`, 400, "JSON object"},
		{"trailing data", `{"version":1,"type":"activity",` + ref + `}{}`, 400, "after the top-level value"},
		{"missing version", `{"type":"activity",` + ref + `}`, 400, "version is required"},
		{"version string", `{"version":"1","type":"activity",` + ref + `}`, 400, "version must be the number 1"},
		{"version 2", `{"version":2,"type":"activity",` + ref + `}`, 400, "version must be the number 1"},
		{"version 1.0", `{"version":1.0,"type":"activity",` + ref + `}`, 400, "version must be the number 1"},
		{"missing type", `{"version":1,` + ref + `}`, 400, "type is required"},
		{"type number", `{"version":1,"type":5,` + ref + `}`, 400, "type must be a string"},
		{"unknown type", `{"version":1,"type":"party",` + ref + `}`, 400, "not a handle type"},
		{"missing sessionRef", `{"version":1,"type":"activity"}`, 400, "sessionRef is required"},
		{"sessionRef not object", `{"version":1,"type":"activity","sessionRef":"x"}`, 400, "sessionRef must be an object"},
		{"scid number", `{"version":1,"type":"activity","sessionRef":{"scid":5,"templateName":"a","name":"b"}}`, 400, "sessionRef.scid must be a string"},
		{"scid not guid", `{"version":1,"type":"activity","sessionRef":{"scid":"foo","templateName":"a","name":"b"}}`, 400, "not a GUID"},
		{"missing templateName", fmt.Sprintf(`{"version":1,"type":"activity","sessionRef":{"scid":%q,"name":"b"}}`, scid), 400, "sessionRef.templateName is required"},
		{"bad name", fmt.Sprintf(`{"version":1,"type":"activity","sessionRef":{"scid":%q,"templateName":%q,"name":"a b"}}`, scid, tmpl), 400, "sessionRef.name"},
		{"null name", fmt.Sprintf(`{"version":1,"type":"activity","sessionRef":{"scid":%q,"templateName":%q,"name":null}}`, scid, tmpl), 400, "sessionRef.name must be a string"},
		{"invite missing invitedXuid", invite(`,"inviteAttributes":{"titleId":"1"}`), 400, "invitedXuid is required"},
		{"invite invitedXuid number", invite(`,"invitedXuid":123,"inviteAttributes":{"titleId":"1"}`), 400, "invitedXuid must be a string"},
		{"invite invitedXuid not decimal", invite(`,"invitedXuid":"12ab","inviteAttributes":{"titleId":"1"}`), 400, "not a decimal XUID"},
		{"invite invitedXuid negative", invite(`,"invitedXuid":"-1","inviteAttributes":{"titleId":"1"}`), 400, "not a decimal XUID"},
		{"invite invitedXuid too big", invite(`,"invitedXuid":"18446744073709551616","inviteAttributes":{"titleId":"1"}`), 400, "not a decimal XUID"},
		{"invite missing inviteAttributes", invite(`,"invitedXuid":"1"`), 400, "inviteAttributes is required"},
		{"invite missing titleId", invite(`,"invitedXuid":"1","inviteAttributes":{}`), 400, "inviteAttributes.titleId is required"},
		{"invite titleId number", invite(`,"invitedXuid":"1","inviteAttributes":{"titleId":1}`), 400, "inviteAttributes.titleId must be a string"},
		{"invite titleId too big", invite(`,"invitedXuid":"1","inviteAttributes":{"titleId":"4294967296"}`), 400, "uint32"},
		{"invite context too long", invite(`,"invitedXuid":"1","inviteAttributes":{"titleId":"1","context":"` + long + `"}`), 400, "context is 257 characters"},
		{"invite context too long encoded", invite(`,"invitedXuid":"1","inviteAttributes":{"titleId":"1","context":"` + encodedLong + `"}`), 400, "once URI-encoded"},
		{"invite contextString number", invite(`,"invitedXuid":"1","inviteAttributes":{"titleId":"1","contextString":1}`), 400, "contextString must be a string"},
		{"transfer without origin", `{"version":1,"type":"transfer",` + ref + `}`, 400, "originSessionRef is required"},
		{"search tags not array", `{"version":1,"type":"search",` + ref + `,"searchAttributes":{"tags":"x"}}`, 400, "searchAttributes.tags"},
		{"search numbers not numbers", `{"version":1,"type":"search",` + ref + `,"searchAttributes":{"numbers":{"a":"1"}}}`, 400, "searchAttributes.numbers.a"},
		{"unknown scid", `{"version":1,"type":"invite","sessionRef":{"scid":"00000000-0000-0000-0000-000000000000","templateName":"a","name":"b"},"invitedXuid":"1","inviteAttributes":{"titleId":"1"}}`, 404, "service config"},
		{"unknown template", fmt.Sprintf(`{"version":1,"type":"invite","sessionRef":{"scid":%q,"templateName":"Nope","name":"b"},"invitedXuid":"1","inviteAttributes":{"titleId":"1"}}`, scid), 404, "template"},
		{"unknown origin template", fmt.Sprintf(`{"version":1,"type":"transfer",`+ref+`,"originSessionRef":{"scid":%q,"templateName":"Nope","name":"b"}}`, scid), 404, "template"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantTextError(t, h.do(http.MethodPost, "/handles", "user1", tc.body), tc.status, tc.fragment)
		})
	}
	if n := len(h.emu.store.handles); n != 0 {
		t.Fatalf("%d handles stored by rejected requests", n)
	}
}

func TestInviteHandle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.InviteLifetime = time.Hour })
	name := uniqueName("invite")
	h.putSession("user1", name, `{"constants":{"system":{"maxMembersCount":1}},"members":{"me":{}},"properties":{"system":{"closed":true}}}`, http.StatusCreated)
	// Allowed on a full and closed session.
	w := h.do(http.MethodPost, "/handles", "user1", h.inviteBody(name, h.xuid("user2")))
	wantStatus(t, w, http.StatusCreated)
	doc := decode(t, w)
	if doc["senderXuid"] != h.xuid("user1") || doc["invitedXuid"] != h.xuid("user2") || doc["type"] != "invite" {
		t.Fatalf("invite doc %v", doc)
	}
	if path(doc, "inviteAttributes", "titleId") != h.env.TitleID || path(doc, "inviteAttributes", "context") != "mode%3Dctf" {
		t.Fatalf("inviteAttributes %v", doc["inviteAttributes"])
	}
	created, err1 := time.Parse(time.RFC3339Nano, doc["createTime"].(string))
	expires, err2 := time.Parse(time.RFC3339Nano, doc["expiration"].(string))
	if err1 != nil || err2 != nil || expires.Sub(created) != time.Hour || !timestampRE.MatchString(doc["expiration"].(string)) {
		t.Fatalf("createTime %v expiration %v", doc["createTime"], doc["expiration"])
	}
	// A context of exactly 256 encoded characters is accepted.
	body := strings.Replace(string(h.inviteBody(name, h.xuid("user3"))), "mode%3Dctf", strings.Repeat("b", 256), 1)
	wantStatus(t, h.do(http.MethodPost, "/handles", "user1", body), http.StatusCreated)
	// Servers may send invites (no senderXuid then).
	w = h.do(http.MethodPost, "/handles", "server", h.inviteBody(name, h.xuid("user3")))
	wantStatus(t, w, http.StatusCreated)
	if _, ok := decode(t, w)["senderXuid"]; ok {
		t.Error("server invite has a senderXuid")
	}
	// Invites expire.
	id := doc["id"].(string)
	h.clock.Advance(2 * time.Hour)
	wantStatus(t, h.do(http.MethodGet, "/handles/"+id, "user2", nil), http.StatusNotFound)
}

func TestInviteOwnership(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owned := uniqueName("owned")
	h.putSession("user1", owned, `{"constants":{"system":{"capabilities":{"hasOwners":true}}},"members":{"me":{}}}`, http.StatusCreated)
	h.join("user2", owned)
	wantTextError(t, h.do(http.MethodPost, "/handles", "user2", h.inviteBody(owned, h.xuid("user3"))), http.StatusForbidden, "owners")
	h.createHandle("user1", h.inviteBody(owned, h.xuid("user3")))
	h.createHandle("server", h.inviteBody(owned, h.xuid("user3")))

	open := uniqueName("nonowner")
	h.putSession("user1", open, `{"constants":{"system":{"capabilities":{"hasOwners":true},"ownershipPolicies":{"allowNonOwnerInviteHandles":true}}},"members":{"me":{}}}`, http.StatusCreated)
	h.join("user2", open)
	h.createHandle("user2", h.inviteBody(open, h.xuid("user3")))

	plain := uniqueName("plain")
	h.join("user1", plain)
	h.createHandle("user3", h.inviteBody(plain, h.xuid("user2"))) // no hasOwners: anyone may invite
}

func TestGetAndDeleteHandle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("delete")
	h.join("user1", name)
	act := h.createHandle("user1", h.activityBody(name))

	wantTextError(t, h.do(http.MethodGet, "/handles/not-a-guid", "user1", nil), http.StatusNotFound, "not found")
	wantTextError(t, h.do(http.MethodGet, "/handles/0b9bd0c6-3b6e-4f0e-9d38-0e6a4b0c2a11", "user1", nil), http.StatusNotFound, "not found")
	wantTextError(t, h.do(http.MethodDelete, "/handles/not-a-guid", "user1", nil), http.StatusNotFound, "not found")

	wantTextError(t, h.do(http.MethodDelete, "/handles/"+act, "user2", nil), http.StatusForbidden, "owner")
	w := h.do(http.MethodDelete, "/handles/"+strings.ToUpper(act), "user1", nil)
	wantStatus(t, w, http.StatusNoContent)
	if w.Body.Len() != 0 {
		t.Fatalf("204 with body %q", w.Body.String())
	}
	wantStatus(t, h.do(http.MethodGet, "/handles/"+act, "user1", nil), http.StatusNotFound)
	wantStatus(t, h.do(http.MethodDelete, "/handles/"+act, "user1", nil), http.StatusNotFound)
	h.emu.store.mu.Lock()
	m := h.emu.store.sessions[sessionRef{h.env.SCID, h.env.Templates.Primary, name}.key()].findMember(h.xuid("user1"))
	bound := m.activity
	h.emu.store.mu.Unlock()
	if bound != "" {
		t.Fatalf("member still bound to deleted activity %s", bound)
	}

	// Servers may delete anything; invitee and sender may delete an invite.
	act = h.createHandle("user1", h.activityBody(name))
	wantStatus(t, h.do(http.MethodDelete, "/handles/"+act, "server", nil), http.StatusNoContent)
	inv := h.createHandle("user1", h.inviteBody(name, h.xuid("user2")))
	wantStatus(t, h.do(http.MethodDelete, "/handles/"+inv, "user3", nil), http.StatusForbidden)
	wantStatus(t, h.do(http.MethodDelete, "/handles/"+inv, "user2", nil), http.StatusNoContent)
	inv = h.createHandle("user1", h.inviteBody(name, h.xuid("user2")))
	wantStatus(t, h.do(http.MethodDelete, "/handles/"+inv, "user1", nil), http.StatusNoContent)
}

func TestGetSessionByHandle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("ByHandle")
	h.join("user1", name)
	act := h.createHandle("user1", h.activityBody(name))
	w := h.do(http.MethodGet, "/handles/"+act+"/session", "user2", nil)
	wantStatus(t, w, http.StatusOK)
	wantJSON(t, w)
	if got := w.Header().Get("Content-Location"); got != h.sessionPath(name) {
		t.Fatalf("Content-Location %q, want %q", got, h.sessionPath(name))
	}
	_, etag := h.getSession("user1", name)
	if w.Header().Get("ETag") != etag {
		t.Fatalf("ETag %q, want %q", w.Header().Get("ETag"), etag)
	}
	if path(decode(t, w), "members", "0", "constants", "system", "xuid") != h.xuid("user1") {
		t.Fatal("wrong session body")
	}
	wantStatus(t, h.do(http.MethodGet, "/handles/"+act+"/session", "user2", nil, "If-None-Match", etag), http.StatusNotModified)
	wantTextError(t, h.do(http.MethodGet, "/handles/0b9bd0c6-3b6e-4f0e-9d38-0e6a4b0c2a11/session", "user1", nil), http.StatusNotFound, "not found")
	wantTextError(t, h.do(http.MethodGet, "/handles/xyz/session", "user1", nil), http.StatusNotFound, "not found")
	// A handle to a session that does not exist: 204.
	inv := h.createHandle("user1", h.inviteBody(uniqueName("ghost"), h.xuid("user2")))
	w = h.do(http.MethodGet, "/handles/"+inv+"/session", "user2", nil)
	wantStatus(t, w, http.StatusNoContent)
	if w.Body.Len() != 0 {
		t.Fatal("204 with body")
	}
	// Private sessions: the invitee reads through the invite; others may not.
	priv := uniqueName("private")
	h.putSession("user1", priv, `{"constants":{"system":{"visibility":"private"}},"members":{"me":{}}}`, http.StatusCreated)
	pinv := h.createHandle("user1", h.inviteBody(priv, h.xuid("user2")))
	wantStatus(t, h.do(http.MethodGet, "/handles/"+pinv+"/session", "user2", nil), http.StatusOK)
	wantTextError(t, h.do(http.MethodGet, "/handles/"+pinv+"/session", "user3", nil), http.StatusForbidden, "private")
	wantStatus(t, h.do(http.MethodGet, "/handles/"+pinv+"/session", "server", nil), http.StatusOK)
}

func TestPutSessionByHandle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	name := uniqueName("PutByHandle")
	inv := h.createHandle("user1", h.inviteBody(name, h.xuid("user2")))
	// The handle's session does not exist yet: the PUT creates it.
	w := h.do(http.MethodPut, "/handles/"+inv+"/session", "user2", h.joinBody("user2"))
	wantStatus(t, w, http.StatusCreated)
	if w.Header().Get("Content-Location") != h.sessionPath(name) || !etagRE.MatchString(w.Header().Get("ETag")) {
		t.Fatalf("headers %v", w.Header())
	}
	etag := w.Header().Get("ETag")
	w = h.do(http.MethodPut, "/handles/"+inv+"/session", "user1", h.joinBody("user1"))
	wantStatus(t, w, http.StatusOK)
	if num(path(decode(t, w), "membersInfo", "count")) != 2 {
		t.Fatal("join through handle did not add the member")
	}
	w = h.do(http.MethodPut, "/handles/"+inv+"/session", "user1", h.joinBody("user1"), "If-Match", etag)
	wantStatus(t, w, http.StatusPreconditionFailed)
	if w.Header().Get("ETag") == "" || w.Header().Get("Content-Location") != h.sessionPath(name) {
		t.Fatalf("412 headers %v", w.Header())
	}
	wantTextError(t, h.do(http.MethodPut, "/handles/0b9bd0c6-3b6e-4f0e-9d38-0e6a4b0c2a11/session", "user1", h.joinBody("user1")), http.StatusNotFound, "not found")
	// Unknown handle wins over a bad body; a known handle with a bad body is a 400.
	wantStatus(t, h.do(http.MethodPut, "/handles/0b9bd0c6-3b6e-4f0e-9d38-0e6a4b0c2a11/session", "user1", "{"), http.StatusNotFound)
	wantStatus(t, h.do(http.MethodPut, "/handles/"+inv+"/session", "user1", "{"), http.StatusBadRequest)
}

func TestInviteWriteThrough(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, vis := range []string{"private", "visible"} {
		name := uniqueName(vis)
		h.putSession("user1", name, `{"constants":{"system":{"visibility":"`+vis+`"}},"members":{"me":{}}}`, http.StatusCreated)
		inv := h.createHandle("user1", h.inviteBody(name, h.xuid("user2")))
		// Not the invitee: the invite grants nothing.
		wantStatus(t, h.do(http.MethodPut, "/handles/"+inv+"/session", "user3", h.joinBody("user3")), http.StatusForbidden)
		wantStatus(t, h.do(http.MethodPut, h.sessionPath(name), "user2", h.joinBody("user2")), http.StatusForbidden)
		w := h.do(http.MethodPut, "/handles/"+inv+"/session", "user2", h.joinBody("user2"))
		wantStatus(t, w, http.StatusOK)
		if num(path(decode(t, w), "membersInfo", "count")) != 2 {
			t.Fatalf("%s: invitee did not join", vis)
		}
	}
	// Closed session: the invite grants read-only access.
	closed := uniqueName("closed")
	h.putSession("user1", closed, `{"members":{"me":{}},"properties":{"system":{"closed":true}}}`, http.StatusCreated)
	inv := h.createHandle("user1", h.inviteBody(closed, h.xuid("user3")))
	wantTextError(t, h.do(http.MethodPut, "/handles/"+inv+"/session", "user3", h.joinBody("user3")), http.StatusForbidden, "session is closed; invite grants read-only access")
	wantStatus(t, h.do(http.MethodGet, "/handles/"+inv+"/session", "user3", nil), http.StatusOK)
	doc, _ := h.getSession("user1", closed)
	if num(path(doc, "membersInfo", "count")) != 1 {
		t.Fatal("closed-session write through the invite was applied")
	}
	// Full session: the invitee cannot join through the invite either.
	full := uniqueName("full")
	h.putSession("user1", full, `{"constants":{"system":{"maxMembersCount":1}},"members":{"me":{}}}`, http.StatusCreated)
	inv = h.createHandle("user1", h.inviteBody(full, h.xuid("user2")))
	wantTextError(t, h.do(http.MethodPut, "/handles/"+inv+"/session", "user2", h.joinBody("user2")), http.StatusForbidden, "session is full")
}
