// model_handle.go holds the handle model: the handle types, the stored handle with its
// encoded document, and the state changes of creating a handle (binding an activity to its
// owner, replacing older activities and search handles).

package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Handle types.
const (
	handleActivity = "activity"
	handleInvite   = "invite"
	handleTransfer = "transfer"
	handleSearch   = "search"
)

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

// createHandle builds the handle p describes, applies its effects (an activity is bound to
// its owner and replaces the creator's older activities, a search handle replaces the
// session's older one) and stores it. owner is the caller's member record for an activity
// (nil when requiresActivityMembership let a non-member through). s is the session p names, nil
// when it does not exist. Lock held.
func (e *Emulator) createHandle(c *call, p *parsedHandle, s *session, owner *member) (*handle, error) {
	st := e.store
	now := e.now()
	h := &handle{
		id:      uuid.NewString(),
		seq:     st.nextSeq(),
		typ:     p.typ,
		ref:     p.ref,
		creator: c.xuid(),
		doc:     p.doc,
	}
	switch p.typ {
	case handleActivity:
		e.setActivity(h, c, s, owner)
	case handleInvite:
		e.setInvite(h, c, p.invited, now)
	case handleSearch:
		st.replaceSearchHandle(h, s)
	}
	h.doc["id"] = h.id
	h.doc["createTime"] = timestamp(now)
	e.trimCreatedDocument(h)
	if err := h.seal(); err != nil {
		return nil, err
	}
	st.handles[h.id] = h
	if s != nil && e.handleBumpsChangeNumber() {
		s.changeNumber++
	}
	return h, nil
}

// setActivity makes h the creator's activity in its title: it replaces their older
// activities in sameActivityScope and the one bound to owner, and is bound to owner in turn.
// Lock held.
func (e *Emulator) setActivity(h *handle, c *call, s *session, owner *member) {
	st := e.store
	h.titleID = c.claims.TitleID
	if e.replacesActivities() {
		for _, old := range st.sortedHandles() {
			if old.typ == handleActivity && old.creator == h.creator && old.titleID == h.titleID && e.sameActivityScope(old, h) {
				st.removeHandle(old.id)
			}
		}
		if owner != nil && owner.activity != "" {
			st.removeHandle(owner.activity)
		}
	}
	if owner != nil { // nil only when requiresActivityMembership let a non-member through
		owner.activity = h.id
	}
	h.doc["titleId"] = h.titleID
	h.doc["ownerXuid"] = h.creator
	if s != nil {
		if ip, ok := s.constantsSystem()["inviteProtocol"].(string); ok {
			h.doc["inviteProtocol"] = ip
		}
	}
}

// setInvite records the invitee and the expiration of invite h, sent by the caller.
func (e *Emulator) setInvite(h *handle, c *call, invited string, now time.Time) {
	h.invited = invited
	h.expires = now.Add(e.inviteLifetime)
	if c.xuid() != "" {
		h.doc["senderXuid"] = c.xuid()
	}
	h.doc["expiration"] = timestamp(h.expires)
}

// replaceSearchHandle deletes the older search handles of h's session and makes h the
// session's search handle. Lock held.
func (st *store) replaceSearchHandle(h *handle, s *session) {
	for _, old := range st.sortedHandles() {
		if old.typ == handleSearch && old.ref.key() == h.ref.key() {
			st.removeHandle(old.id)
		}
	}
	if s != nil {
		s.searchHandle = h.id
	}
}
