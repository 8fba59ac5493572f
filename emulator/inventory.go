// inventory.go holds the opt-in debugging endpoint (InventoryPath) and Inventory, a snapshot
// of the sessions and handles the emulator holds.

package emulator

import (
	"net/http"
	"sort"
	"strings"
)

// InventoryPath is the emulator's debugging endpoint: GET answers the Inventory as JSON. It
// is served only when Config.Inventory is set; otherwise the path is an ordinary unknown
// resource (404).
const InventoryPath = "/_emulator/inventory"

// Inventory is a snapshot of everything the emulator holds.
type Inventory struct {
	// Handles are the live handles, oldest first. Invites past their expiration are left out:
	// the API already treats them as gone.
	Handles []InventoryHandle `json:"handles"`
	// Sessions are the stored sessions, ordered by SCID, template and name. The emulator
	// deletes a session when its last member leaves and never stores one created without
	// members, so every session has members, except under the store-empty-session fault,
	// which stores a session created empty; such a session has an empty Members list.
	Sessions []InventorySession `json:"sessions"`
}

// InventoryRef names a session.
type InventoryRef struct {
	// SCID is the session's service configuration id, as first written.
	SCID string `json:"scid"`
	// Template is the session template's name, as first written.
	Template string `json:"templateName"`
	// Name is the session name, as first written.
	Name string `json:"name"`
}

// InventoryHandle is one stored handle.
type InventoryHandle struct {
	// ID is the handle id, a lower-case GUID.
	ID string `json:"id"`
	// Type is the handle type: activity, invite, transfer or search.
	Type string `json:"type"`
	// OwnerXUID is the XUID of the user that created the handle; empty when a server
	// principal created it.
	OwnerXUID string `json:"ownerXuid,omitempty"`
	// InvitedXUID is an invite's invitee.
	InvitedXUID string `json:"invitedXuid,omitempty"`
	// SessionRef is the session the handle points at (which may not exist).
	SessionRef InventoryRef `json:"sessionRef"`
}

// InventorySession is one stored session.
type InventorySession struct {
	InventoryRef
	// Members are the XUIDs of every member record, accepted or reserved, in index order.
	Members []string `json:"members"`
	// Reserved are the XUIDs of the members that are only reserved (a subset of Members).
	Reserved []string `json:"reserved,omitempty"`
}

// Inventory returns a snapshot of the handles and sessions the emulator holds, read under the
// store's lock. It changes nothing (expired invites are skipped, not removed).
func (e *Emulator) Inventory() Inventory {
	now := e.now()
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	inv := Inventory{Handles: []InventoryHandle{}, Sessions: []InventorySession{}}
	for _, h := range st.sortedHandles() {
		if h.typ == handleInvite && !now.Before(h.expires) {
			continue
		}
		inv.Handles = append(inv.Handles, InventoryHandle{
			ID: h.id, Type: h.typ, OwnerXUID: h.creator, InvitedXUID: h.invited,
			SessionRef: InventoryRef{SCID: h.ref.scid, Template: h.ref.template, Name: h.ref.name},
		})
	}
	keys := make([]string, 0, len(st.sessions))
	for k := range st.sessions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := st.sessions[k]
		is := InventorySession{
			InventoryRef: InventoryRef{SCID: s.ref.scid, Template: s.ref.template, Name: s.ref.name},
			Members:      []string{},
		}
		for _, i := range s.indices() {
			m := s.members[i]
			is.Members = append(is.Members, m.xuid)
			if m.reserved {
				is.Reserved = append(is.Reserved, m.xuid)
			}
		}
		inv.Sessions = append(inv.Sessions, is)
	}
	return inv
}

// serveInventory answers InventoryPath. It needs no Authorization: the endpoint exists only
// when Config.Inventory switched it on, for tests and debugging.
func (e *Emulator) serveInventory(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+InventoryPath+"; allowed: GET, HEAD")
		return
	}
	jsonReply(http.StatusOK, e.Inventory()).write(w)
}

// OfRun counts the sessions, and the handles pointing at sessions, whose names contain runID:
// what a harness run (which puts its run ID in every session name) left in the store.
func (inv Inventory) OfRun(runID string) int {
	n := 0
	for _, s := range inv.Sessions {
		if strings.Contains(s.Name, runID) {
			n++
		}
	}
	for _, h := range inv.Handles {
		if strings.Contains(h.SessionRef.Name, runID) {
			n++
		}
	}
	return n
}
