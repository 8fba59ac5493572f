package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// inviteWithContext is an invite body for session name with the given inviteAttributes.context.
func (h *harness) inviteWithContext(name, context string) string {
	return fmt.Sprintf(`{"version":1,"type":"invite","sessionRef":{"scid":%q,"templateName":%q,"name":%q},"invitedXuid":%q,"inviteAttributes":{"titleId":%q,"context":%q}}`,
		h.env.SCID, h.env.Templates.Primary, name, h.xuid("user2"), h.env.TitleID, context)
}

// faultProbes show, for the faults of the newer catalog rules (and the ones whose rule or
// behaviour changed), the reference behaviour their rule asks for and how the fault breaks it.
var faultProbes = []behaviourProbe{
	{faultInviteDropsInvitedXuid, func(h *harness) string {
		w := h.do(http.MethodPost, "/handles", "user1", h.inviteBody(h.joined("user1"), h.xuid("user2")))
		doc := decode(h.t, w)
		return fmt.Sprintf("%d %v %v", w.Code, doc["invitedXuid"] == h.xuid("user2"), doc["id"] != nil)
	}, "201 true true", "201 false true"},
	{faultInviteRefusesClosedSession, func(h *harness) string {
		name := uniqueName("closed")
		h.putSession("user1", name, `{"properties":{"system":{"closed":true}},"members":{"me":{}}}`, http.StatusCreated)
		return codes(h.do(http.MethodPost, "/handles", "user1", h.inviteBody(name, h.xuid("user2"))))
	}, "201", "403"},
	{faultClosedInviteAnswers200, func(h *harness) string {
		name := uniqueName("closed")
		h.putSession("user1", name, `{"properties":{"system":{"closed":true}},"members":{"me":{}}}`, http.StatusCreated)
		return codes(h.do(http.MethodPost, "/handles", "user1", h.inviteBody(name, h.xuid("user2"))),
			h.do(http.MethodPost, "/handles", "user1", h.inviteBody(h.joined("user1"), h.xuid("user2"))))
	}, "201 201", "200 201"},
	{faultInviteRefusesFullSession, func(h *harness) string {
		name := uniqueName("full")
		h.putSession("user1", name, `{"constants":{"system":{"maxMembersCount":1}},"members":{"me":{}}}`, http.StatusCreated)
		return codes(h.do(http.MethodPost, "/handles", "user1", h.inviteBody(name, h.xuid("user2"))),
			h.do(http.MethodPost, "/handles", "user1", h.inviteBody(h.joined("user1"), h.xuid("user2"))))
	}, "201 201", "403 201"},
	{faultInviteContextLimit255, func(h *harness) string {
		name := h.joined("user1")
		var out []string
		for _, n := range []int{255, 256, 257} {
			out = append(out, fmt.Sprint(h.do(http.MethodPost, "/handles", "user1", h.inviteWithContext(name, strings.Repeat("a", n))).Code))
		}
		// Counted once URI-encoded: 86 × "%2F" is 258 characters.
		out = append(out, fmt.Sprint(h.do(http.MethodPost, "/handles", "user1", h.inviteWithContext(name, strings.Repeat("/", 86))).Code))
		return strings.Join(out, " ")
	}, "201 201 400 400", "201 400 400 400"},
	{faultActivityNameRequired400, func(h *harness) string {
		h.joined("user1")
		w := h.do(http.MethodPost, "/handles", "user1", h.body("activity-handle-no-name", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary}))
		return fmt.Sprint(w.Code)
	}, "403", "400"},
	{faultLeaveKeepsActivity, func(h *harness) string {
		two := h.joined("user1", "user2")
		left := h.createHandle("user1", h.activityBody(two))
		h.putSession("user1", two, h.body("session-leave", nil), http.StatusOK)
		inactive := h.createHandle("user2", h.activityBody(two))
		h.putSession("user2", two, `{"members":{"me":{"properties":{"system":{"active":false}}}}}`, http.StatusOK)
		alone := h.joined("user3")
		last := h.createHandle("user3", h.activityBody(alone))
		h.putSession("user3", alone, h.body("session-leave", nil), http.StatusNoContent)
		return codes(h.do(http.MethodGet, "/handles/"+left, "user1", nil), h.do(http.MethodGet, "/handles/"+inactive, "user2", nil),
			h.do(http.MethodGet, "/handles/"+last, "user3", nil))
	}, "404 404 404", "200 200 200"},
	{faultTransferDropsLocation, func(h *harness) string {
		lobby := h.joined("user1")
		game := uniqueName("game")
		body := h.body("transfer-handle", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Secondary, "SESSION": game,
			"ORIGIN_TEMPLATE": h.env.Templates.Primary, "ORIGIN_SESSION": lobby})
		w := h.do(http.MethodPost, "/handles", "user1", body)
		id, _ := decode(h.t, w)["id"].(string)
		act := h.do(http.MethodPost, "/handles", "user1", h.activityBody(lobby))
		return fmt.Sprintf("%d %q %q activity=%v", w.Code, strings.ReplaceAll(w.Header().Get("Location"), id, "{id}"),
			strings.ReplaceAll(w.Header().Get("Content-Location"), id, "{id}"), act.Header().Get("Content-Location") != "")
	}, `201 "/handles/{id}" "/handles/{id}" activity=true`, `201 "" "" activity=true`},
	{faultDropHandleContentLocation, func(h *harness) string {
		lobby := h.joined("user1")
		transfer := h.do(http.MethodPost, "/handles", "user1", h.body("transfer-handle", map[string]any{"SCID": h.env.SCID,
			"TEMPLATE": h.env.Templates.Secondary, "SESSION": uniqueName("game"), "ORIGIN_TEMPLATE": h.env.Templates.Primary, "ORIGIN_SESSION": lobby}))
		act := h.do(http.MethodPost, "/handles", "user1", h.activityBody(lobby))
		return fmt.Sprintf("activity=%v/%v transfer=%v", act.Header().Get("Location") != "", act.Header().Get("Content-Location") != "",
			transfer.Header().Get("Content-Location") != "")
	}, "activity=true/true transfer=true", "activity=true/false transfer=true"},
	{faultFavoritesMonikerRejected, func(h *harness) string {
		h.createHandle("user2", h.activityBody(h.joined("user2")))
		h.createHandle("user3", h.activityBody(h.joined("user3")))
		w := h.do(http.MethodPost, "/handles/query", "user1", h.peopleQuery("favorites", "user1"))
		if w.Code != http.StatusOK {
			return fmt.Sprintf("%d people=%d", w.Code, len(h.query("user1", "", h.peopleQuery("people", "user1"))))
		}
		var owners []string
		for _, r := range h.query("user1", "", h.peopleQuery("Favorites", "user1")) {
			owners = append(owners, fmt.Sprint(r["ownerXuid"] == h.xuid("user2")))
		}
		return fmt.Sprintf("200 favorites=%s people=%d", strings.Join(owners, ","), len(h.query("user1", "", h.peopleQuery("people", "user1"))))
	}, "200 favorites=true people=2", "400 people=2"},
	{faultSearchQueryStrictFields, func(h *harness) string {
		plain := fmt.Sprintf(`{"type":"search","scid":%q,"templateName":%q,"global":true}`, h.env.SCID, h.env.Templates.Primary)
		out := []string{codes(h.do(http.MethodPost, "/handles/query", "user1", plain))}
		for _, extra := range []string{`"orderBy":"Timestamp asc"`, `"filter":"tags/any(t: t eq 'x')"`, `"communicatePermissionRequired":true`, `"includeScheduled":true`} {
			body := fmt.Sprintf(`{"type":"search","scid":%q,"templateName":%q,%s}`, h.env.SCID, h.env.Templates.Primary, extra)
			out = append(out, codes(h.do(http.MethodPost, "/handles/query", "user1", body)))
		}
		global := h.body("query-search-extended", map[string]any{"SCID": h.env.SCID, "TEMPLATE_NAME": "global(lfg)"})
		out = append(out, codes(h.do(http.MethodPost, "/handles/query", "user1", global)))
		return strings.Join(out, " ")
	}, "200 200 200 200 200 200", "200 200 200 400 400 400"},
	{faultDeleteIgnoresOwner, func(h *harness) string {
		id := h.createHandle("user1", h.activityBody(h.joined("user1")))
		return codes(h.do(http.MethodDelete, "/handles/"+id, "user2", nil), h.do(http.MethodGet, "/handles/"+id, "user1", nil))
	}, "403 200", "204 404"},
	{faultDeleteByOthers404, func(h *harness) string {
		id := h.createHandle("user1", h.activityBody(h.joined("user1")))
		return codes(h.do(http.MethodDelete, "/handles/"+id, "user2", nil), h.do(http.MethodGet, "/handles/"+id, "user1", nil))
	}, "403 200", "404 200"},
	{faultDeleteAnswers200, func(h *harness) string {
		id := h.createHandle("user1", h.activityBody(h.joined("user1")))
		w := h.do(http.MethodDelete, "/handles/"+id, "user1", nil)
		return fmt.Sprintf("%d %d %d", w.Code, w.Body.Len(), h.do(http.MethodGet, "/handles/"+id, "user1", nil).Code)
	}, "204 0 404", "200 0 404"},
	{faultDeleteReturnsBody, func(h *harness) string {
		id := h.createHandle("user1", h.activityBody(h.joined("user1")))
		w := h.do(http.MethodDelete, "/handles/"+id, "user1", nil)
		body := "none"
		if w.Body.Len() > 0 {
			body = fmt.Sprint(decode(h.t, w)["id"] == id)
		}
		return fmt.Sprintf("%d body=%s %d", w.Code, body, h.do(http.MethodGet, "/handles/"+id, "user1", nil).Code)
	}, "204 body=none 404", "200 body=true 404"},
	{faultHandlePutLastLeave200, func(h *harness) string {
		name := h.joined("user1")
		id := h.createHandle("user1", h.activityBody(name))
		inv := h.createHandle("user1", h.inviteBody(name, h.xuid("user2")))
		w := h.do(http.MethodPut, "/handles/"+inv+"/session", "user1", h.body("session-leave", nil))
		return fmt.Sprintf("%d body=%v session=%d activity=%d", w.Code, w.Body.Len() > 0,
			h.do(http.MethodGet, h.sessionPath(name), "user1", nil).Code, h.do(http.MethodGet, "/handles/"+id, "user1", nil).Code)
	}, "204 body=false session=204 activity=404", "200 body=true session=204 activity=404"},
	{faultIfMatchAlwaysStale, func(h *harness) string {
		name := h.joined("user1")
		_, etag := h.getSession("user1", name)
		current := h.do(http.MethodPut, h.sessionPath(name), "user1", `{}`, "If-Match", etag)
		star := h.do(http.MethodPut, h.sessionPath(name), "user1", `{}`, "If-Match", "*")
		stale := h.do(http.MethodPut, h.sessionPath(name), "user1", `{}`, "If-Match", `"0123"`)
		none := h.do(http.MethodPut, h.sessionPath(name), "user1", `{}`)
		return codes(current, star, stale, none)
	}, "200 200 412 200", "412 412 412 200"},
	{faultRejectRoleTypes, func(h *harness) string {
		w := h.do(http.MethodPut, h.sessionPath(uniqueName("roles")), "user1", h.body("session-roletypes", map[string]any{"XUID": h.xuid("user1"), "RUN_ID": "t"}))
		return codes(w)
	}, "201", "400"},
	{faultMeXuidMustMatchCaller, func(h *harness) string {
		body := h.body("session-join-other-xuid", map[string]any{"OTHER_XUID": h.xuid("user1"), "RUN_ID": "t"})
		return codes(h.do(http.MethodPut, h.sessionPath(uniqueName("me")), "user3", body),
			h.do(http.MethodPut, h.sessionPath(uniqueName("me")), "user3", h.joinBody("user3")))
	}, "201 201", "400 201"},
	{faultAllowPrivateQueryForUsers, func(h *harness) string {
		return codes(h.do(http.MethodPost, "/handles/query?private=true&xuid="+h.xuid("user2"), "user1", h.xuidsQuery("user1")),
			h.do(http.MethodPost, "/handles/query?private=true", "user1", h.xuidsQuery("user1")))
	}, "403 403", "200 403"},
	{faultNonOwnerInvite404, nonOwnerInviteCodes, "403 201 201", "404 201 201"},
	{faultInviteIgnoresOwners, nonOwnerInviteCodes, "403 201 201", "201 201 201"},
	{faultSearchAnswers200, func(h *harness) string {
		w := h.do(http.MethodPost, "/handles", "user1", h.body("search-handle", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary, "SESSION": h.joined("user1")}))
		return fmt.Sprintf("%d %v", w.Code, path(decode(h.t, w), "searchAttributes", "tags") != nil)
	}, "201 true", "200 true"},
	{faultSearchDropsAttributes, func(h *harness) string {
		w := h.do(http.MethodPost, "/handles", "user1", h.body("search-handle", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary, "SESSION": h.joined("user1")}))
		return fmt.Sprintf("%d %v", w.Code, path(decode(h.t, w), "searchAttributes", "tags") != nil)
	}, "201 true", "201 false"},
	{faultPrivateQueryWithoutXuidAllowed, func(h *harness) string {
		return codes(h.do(http.MethodPost, "/handles/query?private=true&xuid="+h.xuid("user2"), "user1", h.xuidsQuery("user1")),
			h.do(http.MethodPost, "/handles/query?reservations=true", "user1", h.xuidsQuery("user2")))
	}, "403 403", "403 200"},
}

// Each fault of the newer rules breaks its rule as described, and the reference behaviour
// satisfies the rule.
func TestFaultBehaviours(t *testing.T) {
	t.Parallel()
	for _, p := range faultProbes {
		if !knownFault(p.name) {
			t.Errorf("probe for unknown fault %s", p.name)
		}
	}
	checkProbes(t, faultProbes, func(name string) func(*Config) {
		return func(c *Config) { c.Faults = []string{name} }
	})
}
