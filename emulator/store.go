// store.go holds the store, the emulator's whole state behind one mutex (sessions by
// case-insensitive reference, handles by id), sessionRef, and the store's handle bookkeeping.

package emulator

import (
	"sort"
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

// newStore returns an empty store.
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

// removeHandles deletes the handles with the given ids (see removeHandle).
func (st *store) removeHandles(ids []string) {
	for _, id := range ids {
		st.removeHandle(id)
	}
}
