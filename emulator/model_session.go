// model_session.go holds the session model: the stored session and member records, their
// accessors (visibility, owners, keywords, ...), and creating a session and adding and
// removing members. Applying a session PUT is in model_session_write.go.

package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// session is one stored MultiplayerSession.
type session struct {
	ref           sessionRef // casing as first created
	branch        string
	correlationID string
	changeNumber  uint64
	startTime     time.Time
	constants     map[string]any // {"system": {...}, "custom": {...}}
	properties    map[string]any // {"system": {...}, "custom": {...}}
	members       map[int]*member
	nextIndex     int
	servers       map[string]any
	roleTypes     map[string]any // top-level roleTypes as written (contract 107 roles)
	searchHandle  string
}

// member is one member record of a session (accepted or reserved).
type member struct {
	index           int
	xuid            string
	reserved        bool
	constantsSystem map[string]any // member constants.system besides xuid and index
	constantsCustom map[string]any
	properties      map[string]any // {"system": {...}, "custom": {...}}
	gamertag        string
	activeTitleID   string
	joinTime        time.Time
	activity        string // id of the bound activity handle, if any
}

// clone deep-copies the session so a write can be applied and thrown away on failure.
func (s *session) clone() *session {
	c := *s
	c.constants = copyMap(s.constants)
	c.properties = copyMap(s.properties)
	c.servers = copyMap(s.servers)
	if s.roleTypes != nil {
		c.roleTypes = copyMap(s.roleTypes)
	}
	c.members = make(map[int]*member, len(s.members))
	for i, m := range s.members {
		mc := *m
		mc.constantsSystem = copyMap(m.constantsSystem)
		mc.constantsCustom = copyMap(m.constantsCustom)
		mc.properties = copyMap(m.properties)
		c.members[i] = &mc
	}
	return &c
}

// etag is the session's quoted strong ETag: a digest of identity, branch and change number.
func (s *session) etag() string {
	sum := sha256.Sum256([]byte(s.ref.key() + "|" + s.branch + "|" + strconv.FormatUint(s.changeNumber, 10)))
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// location is the session's path, as sent in Content-Location, spelling the sessionTemplates
// literal as given.
func (s *session) location(templatesLiteral string) string {
	return "/serviceconfigs/" + s.ref.scid + "/" + templatesLiteral + "/" + s.ref.template + "/sessions/" + s.ref.name
}

// constantsSystem is constants.system (created when missing).
func (s *session) constantsSystem() map[string]any { return subObject(s.constants, "system") }

// propertiesSystem is properties.system (created when missing).
func (s *session) propertiesSystem() map[string]any { return subObject(s.properties, "system") }

// visibility is constants.system.visibility (open, visible or private).
func (s *session) visibility() string {
	v, _ := s.constantsSystem()["visibility"].(string)
	if v == "" {
		return DefaultVisibility
	}
	return v
}

// maxMembers is constants.system.maxMembersCount.
func (s *session) maxMembers() int {
	if n, ok := intValue(s.constantsSystem()["maxMembersCount"]); ok {
		return int(n)
	}
	return DefaultMaxMembersCount
}

// version is constants.system.version.
func (s *session) version() int64 {
	if n, ok := intValue(s.constantsSystem()["version"]); ok {
		return n
	}
	return 1
}

// closed is properties.system.closed.
func (s *session) closed() bool { return boolValue(s.propertiesSystem()["closed"]) }

// joinRestriction is properties.system.joinRestriction (default none).
func (s *session) joinRestriction() string {
	if v, ok := s.propertiesSystem()["joinRestriction"].(string); ok {
		return v
	}
	return "none"
}

// hasOwners is constants.system.capabilities.hasOwners.
func (s *session) hasOwners() bool {
	caps, _ := s.constantsSystem()["capabilities"].(map[string]any)
	return boolValue(caps["hasOwners"])
}

// allowNonOwnerInvites is constants.system.ownershipPolicies.allowNonOwnerInviteHandles.
func (s *session) allowNonOwnerInvites() bool {
	pol, _ := s.constantsSystem()["ownershipPolicies"].(map[string]any)
	return boolValue(pol["allowNonOwnerInviteHandles"])
}

// owners is properties.system.owners (member indices).
func (s *session) owners() []int {
	raw, _ := s.propertiesSystem()["owners"].([]any)
	out := make([]int, 0, len(raw))
	for _, v := range raw {
		if n, ok := intValue(v); ok {
			out = append(out, int(n))
		}
	}
	return out
}

// setOwners stores properties.system.owners.
func (s *session) setOwners(idx []int) {
	out := make([]any, len(idx))
	for i, n := range idx {
		out[i] = n
	}
	s.propertiesSystem()["owners"] = out
}

// isOwner reports whether the member with xuid is listed in properties.system.owners.
func (s *session) isOwner(xuid string) bool {
	m := s.findMember(xuid)
	if m == nil || m.reserved {
		return false
	}
	for _, i := range s.owners() {
		if i == m.index {
			return true
		}
	}
	return false
}

// keywords is properties.system.keywords.
func (s *session) keywords() []string {
	raw, _ := s.propertiesSystem()["keywords"].([]any)
	var out []string
	for _, v := range raw {
		if k, ok := v.(string); ok {
			out = append(out, k)
		}
	}
	return out
}

// findMember returns the member (accepted or reserved) with xuid, or nil.
func (s *session) findMember(xuid string) *member {
	if xuid == "" {
		return nil
	}
	for _, m := range s.members {
		if m.xuid == xuid {
			return m
		}
	}
	return nil
}

// indices lists the member indices in ascending order.
func (s *session) indices() []int {
	idx := make([]int, 0, len(s.members))
	for i := range s.members {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}

// active reports whether the member's properties.system.active is true.
func (m *member) active() bool {
	sys, _ := m.properties["system"].(map[string]any)
	return boolValue(sys["active"])
}

// newSession builds a session from the template and the request's constants.
func newSession(ref sessionRef, tmpl Template, req *sessionRequest, now time.Time) *session {
	s := &session{
		ref:           ref,
		branch:        uuid.NewString(),
		correlationID: uuid.NewString(),
		startTime:     now,
		constants: map[string]any{
			"system": map[string]any{"version": 1, "maxMembersCount": tmpl.MaxMembersCount, "visibility": tmpl.Visibility},
			"custom": map[string]any{},
		},
		properties: map[string]any{"system": map[string]any{}, "custom": map[string]any{}},
		members:    map[int]*member{},
		servers:    map[string]any{},
	}
	if req.constants != nil {
		mergeInto(s.constants, req.constants)
	}
	sys := s.constantsSystem()
	subObject(s.constants, "custom")
	if _, ok := sys["version"]; !ok {
		sys["version"] = 1
	}
	if _, ok := sys["maxMembersCount"]; !ok {
		sys["maxMembersCount"] = tmpl.MaxMembersCount
	}
	if _, ok := sys["visibility"]; !ok {
		sys["visibility"] = tmpl.Visibility
	}
	return s
}

// addMember appends a member record with the next index.
func (s *session) addMember(xuid string, now time.Time) *member {
	m := &member{
		index:           s.nextIndex,
		xuid:            xuid,
		constantsSystem: map[string]any{},
		constantsCustom: map[string]any{},
		properties:      map[string]any{"system": map[string]any{}, "custom": map[string]any{}},
		joinTime:        now,
	}
	s.members[m.index] = m
	s.nextIndex++
	return m
}

// removeMember deletes a member, returning their bound activity handle (to delete) and
// maintaining properties.system.owners (migration "oldest" promotes the oldest member).
func (s *session) removeMember(m *member) []string {
	delete(s.members, m.index)
	var drop []string
	if m.activity != "" {
		drop = append(drop, m.activity)
	}
	if s.hasOwners() {
		var owners []int
		for _, i := range s.owners() {
			if i != m.index {
				owners = append(owners, i)
			}
		}
		pol, _ := s.constantsSystem()["ownershipPolicies"].(map[string]any)
		if len(owners) == 0 && pol["migration"] == "oldest" {
			for _, i := range s.indices() {
				if !s.members[i].reserved {
					owners = []int{i}
					break
				}
			}
		}
		s.setOwners(owners)
	}
	return drop
}
