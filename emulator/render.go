// render.go holds the rendering of the model into response documents: the
// MultiplayerSession document and its members, the default timeouts of each contract
// version, relatedInfo of query results, timestamps, and a session reply's headers.

package emulator

import (
	"net/http"
	"strconv"
	"time"
)

// timestampLayout is RFC 3339 UTC with seven fractional digits, as the real service writes.
const timestampLayout = "2006-01-02T15:04:05.0000000Z07:00"

// timestamp formats t the way MPSD does ("2016-09-20T20:50:01.0180974Z").
func timestamp(t time.Time) string { return t.UTC().Format(timestampLayout) }

// sessionReply renders s for the caller's contract version (sessionDocument) with its ETag
// and Content-Location.
func (e *Emulator) sessionReply(status int, s *session, c *call) reply {
	cache := cacheRevalidate
	if status == http.StatusPreconditionFailed {
		cache = cacheNoStore
	}
	return jsonReply(status, e.sessionDocument(s, c.cv)).
		with("ETag", s.etag()).
		with("Content-Location", e.sessionLocation(s)).
		with("Cache-Control", cache)
}

// render returns the MultiplayerSession document for contract version cv.
func (s *session) render(cv int) map[string]any {
	constants := copyMap(s.constants)
	csys := subObject(constants, "system")
	subObject(constants, "custom")
	addTimeoutDefaults(csys, cv)
	props := copyMap(s.properties)
	psys := subObject(props, "system")
	subObject(props, "custom")
	for k, v := range map[string]any{"joinRestriction": "none", "readRestriction": "none", "turn": []any{}} {
		if _, ok := psys[k]; !ok {
			psys[k] = v
		}
	}
	idx := s.indices()
	members := make(map[string]any, len(idx))
	accepted, active := 0, 0
	for i, ix := range idx {
		m := s.members[ix]
		next := s.nextIndex
		if i+1 < len(idx) {
			next = idx[i+1]
		}
		members[strconv.Itoa(ix)] = m.render(next)
		if !m.reserved {
			accepted++
			if m.active() {
				active++
			}
		}
	}
	first := s.nextIndex
	if len(idx) > 0 {
		first = idx[0]
	}
	doc := map[string]any{
		"membersInfo": map[string]any{
			"first": first, "next": s.nextIndex, "count": len(idx), "accepted": accepted, "active": active,
		},
		"constants":       constants,
		"properties":      props,
		"servers":         copyMap(s.servers),
		"members":         members,
		"correlationId":   s.correlationID,
		"contractVersion": cv,
		"branch":          s.branch,
		"changeNumber":    s.changeNumber,
		"startTime":       timestamp(s.startTime),
	}
	if s.searchHandle != "" {
		doc["searchHandle"] = s.searchHandle
	}
	if len(s.roleTypes) > 0 {
		doc["roleTypes"] = copyMap(s.roleTypes)
	}
	return doc
}

// addTimeoutDefaults adds the default timeouts in the shape of the contract version: 107
// uses top-level *RemovalTimeout/sessionEmptyTimeout, 104/105 a "timeouts" object.
func addTimeoutDefaults(sys map[string]any, cv int) {
	if cv >= 107 {
		if _, ok := sys["timeouts"]; ok {
			return
		}
		for k, v := range map[string]any{
			"reservedRemovalTimeout": 30000, "inactiveRemovalTimeout": 0,
			"readyRemovalTimeout": 180000, "sessionEmptyTimeout": 0,
		} {
			if _, ok := sys[k]; !ok {
				sys[k] = v
			}
		}
		return
	}
	for _, k := range []string{"reservedRemovalTimeout", "inactiveRemovalTimeout", "readyRemovalTimeout", "sessionEmptyTimeout"} {
		if _, ok := sys[k]; ok {
			return
		}
	}
	if _, ok := sys["timeouts"]; !ok {
		sys["timeouts"] = map[string]any{"reserved": 30000, "inactive": 0, "ready": 180000, "sessionEmpty": 0}
	}
}

// render returns the member document; next is the index of the following member.
func (m *member) render(next int) map[string]any {
	csys := copyMap(m.constantsSystem)
	csys["xuid"] = m.xuid
	csys["index"] = m.index
	props := copyMap(m.properties)
	subObject(props, "system")
	subObject(props, "custom")
	d := map[string]any{
		"next":       next,
		"joinTime":   timestamp(m.joinTime),
		"constants":  map[string]any{"system": csys, "custom": copyMap(m.constantsCustom)},
		"properties": props,
	}
	if m.reserved {
		d["reserved"] = true
		return d
	}
	if m.gamertag != "" {
		d["gamertag"] = m.gamertag
	}
	if m.active() && m.activeTitleID != "" {
		d["activeTitleId"] = m.activeTitleID
	}
	return d
}

// relatedInfo summarises the handle's session for include=relatedInfo.
func relatedInfo(s *session, search bool) map[string]any {
	ri := map[string]any{
		"visibility":      s.visibility(),
		"joinRestriction": s.joinRestriction(),
		"closed":          s.closed(),
		"maxMembersCount": s.maxMembers(),
		"membersCount":    len(s.members),
	}
	if search {
		owners := []any{}
		for _, i := range s.owners() {
			if m := s.members[i]; m != nil {
				owners = append(owners, m.xuid)
			}
		}
		ri["sessionOwners"] = owners
	}
	return ri
}
