package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// store is the emulator's whole state. Every field is guarded by mu; handlers take the lock
// once, compute their complete reply, and release it before writing to the network.
type store struct {
	mu       sync.Mutex
	sessions map[string]*session // sessionKey(scid, template, name) -> session
	handles  map[string]*handle  // lower-cased handle id -> handle
	seq      uint64              // creation counter, orders handles oldest first
}

func newStore() *store {
	return &store{sessions: map[string]*session{}, handles: map[string]*handle{}}
}

// sessionRef names a session as the caller wrote it.
type sessionRef struct {
	scid, template, name string
}

// key is the case-insensitive identity of the session.
func (r sessionRef) key() string {
	return strings.ToLower(r.scid) + "/" + strings.ToLower(r.template) + "/" + strings.ToLower(r.name)
}

// doc renders the reference as a MultiplayerSessionReference.
func (r sessionRef) doc() map[string]any {
	return map[string]any{"scid": r.scid, "templateName": r.template, "name": r.name}
}

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

func (s *session) constantsSystem() map[string]any  { return subObject(s.constants, "system") }
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

// handle is one stored handle.
type handle struct {
	id      string // lower-case GUID
	seq     uint64
	typ     string
	ref     sessionRef // as the creator wrote it
	creator string     // XUID of the creating user ("" for a server principal)
	titleID string     // activity: the owner's title
	invited string     // invite: invitedXuid
	expires time.Time  // invite: expiration
	// doc is the handle document while it is being built; raw is its JSON once stored (a
	// compact encoding keeps 100,000 stored handles small: see BenchmarkStoredInviteMemory).
	doc map[string]any
	raw json.RawMessage
}

// seal encodes the finished document into raw and drops the map.
func (h *handle) seal() error {
	raw, err := json.Marshal(h.doc)
	if err != nil {
		return fmt.Errorf("encode handle %s: %w", h.id, err)
	}
	h.raw, h.doc = raw, nil
	return nil
}

// field is one member added to a stored document.
type field struct {
	name  string
	value any
}

// documentWith returns the stored document with the given members appended, spliced into
// the encoded JSON (no decoding: query results are built this way for every handle listed).
func (h *handle) documentWith(extra ...field) (json.RawMessage, error) {
	if len(extra) == 0 {
		return h.raw, nil
	}
	out := append(make([]byte, 0, len(h.raw)+256), h.raw[:len(h.raw)-1]...) // without the closing }
	for _, f := range extra {
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, fmt.Errorf("encode %s of handle %s: %w", f.name, h.id, err)
		}
		out = append(out, ',', '"')
		out = append(out, f.name...)
		out = append(out, '"', ':')
		out = append(out, v...)
	}
	return append(out, '}'), nil
}

// document returns a fresh, modifiable copy of the stored handle document.
func (h *handle) document() map[string]any {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(h.raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return map[string]any{} // raw was produced by json.Marshal; unreachable
	}
	return doc
}

// lookupHandle finds a live handle by id (case-insensitive GUID). Expired invites are removed.
func (st *store) lookupHandle(id string, now time.Time) *handle {
	if !isGUID(id) {
		return nil
	}
	h := st.handles[strings.ToLower(id)]
	if h == nil {
		return nil
	}
	if h.typ == handleInvite && !now.Before(h.expires) {
		st.removeHandle(h.id)
		return nil
	}
	return h
}

// removeHandle deletes a handle and clears what refers to it (a member's bound activity, a
// session's search handle).
func (st *store) removeHandle(id string) {
	h := st.handles[id]
	if h == nil {
		return
	}
	delete(st.handles, id)
	s := st.sessions[h.ref.key()]
	if s == nil {
		return
	}
	switch h.typ {
	case handleActivity:
		for _, m := range s.members {
			if m.activity == id {
				m.activity = ""
			}
		}
	case handleSearch:
		if s.searchHandle == id {
			s.searchHandle = ""
		}
	}
}

// removeSessionActivities deletes every activity handle that points at the session key.
func (st *store) removeSessionActivities(key string) {
	for id, h := range st.handles {
		if h.typ == handleActivity && h.ref.key() == key {
			delete(st.handles, id)
		}
	}
}

// sortedHandles lists the handles oldest first.
func (st *store) sortedHandles() []*handle {
	out := make([]*handle, 0, len(st.handles))
	for _, h := range st.handles {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// nextSeq returns the next creation sequence number.
func (st *store) nextSeq() uint64 {
	st.seq++
	return st.seq
}
