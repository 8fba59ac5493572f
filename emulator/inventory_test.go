package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestInventoryListsHandlesAndSessions(t *testing.T) {
	h := newHarness(t)
	name := uniqueName("inv")
	h.join("user1", name)
	h.join("user2", name)
	h.putSession("user1", name, map[string]any{"members": map[string]any{
		"reserve_0": map[string]any{"constants": map[string]any{"system": map[string]any{"xuid": h.xuid("user3")}}},
	}}, http.StatusOK)
	activity := h.createHandle("user1", h.activityBody(name))
	invite := h.createHandle("user1", h.inviteBody(name, h.xuid("user3")))

	inv := h.emu.Inventory()
	ref := InventoryRef{SCID: h.env.SCID, Template: h.env.Templates.Primary, Name: name}
	wantHandles := []InventoryHandle{
		{ID: activity, Type: "activity", OwnerXUID: h.xuid("user1"), SessionRef: ref},
		{ID: invite, Type: "invite", OwnerXUID: h.xuid("user1"), InvitedXUID: h.xuid("user3"), SessionRef: ref},
	}
	if !reflect.DeepEqual(inv.Handles, wantHandles) {
		t.Errorf("handles = %+v\nwant %+v", inv.Handles, wantHandles)
	}
	wantSessions := []InventorySession{{
		InventoryRef: ref,
		Members:      []string{h.xuid("user1"), h.xuid("user2"), h.xuid("user3")},
		Reserved:     []string{h.xuid("user3")},
	}}
	if !reflect.DeepEqual(inv.Sessions, wantSessions) {
		t.Errorf("sessions = %+v\nwant %+v", inv.Sessions, wantSessions)
	}

	// When the last member leaves the session is deleted with its activities; the invite,
	// which is not bound to a member, stays until it expires.
	leave := h.body("session-leave", nil)
	for _, who := range []string{"user1", "user2", "user3"} {
		w := h.do(http.MethodPut, h.sessionPath(name), who, leave)
		if w.Code != http.StatusOK && w.Code != http.StatusNoContent {
			t.Fatalf("leave as %s: %d %s", who, w.Code, w.Body.String())
		}
	}
	inv = h.emu.Inventory()
	if len(inv.Sessions) != 0 {
		t.Errorf("sessions after everyone left = %+v, want none", inv.Sessions)
	}
	if len(inv.Handles) != 1 || inv.Handles[0].ID != invite {
		t.Errorf("handles after everyone left = %+v, want only the invite", inv.Handles)
	}
	h.clock.Advance(DefaultInviteLifetime)
	if inv := h.emu.Inventory(); len(inv.Handles) != 0 {
		t.Errorf("handles after the invite expired = %+v, want none", inv.Handles)
	}
}

func TestInventoryShowsEmptySessionUnderFault(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Faults = []string{faultStoreEmptySession} })
	name := uniqueName("inv-empty")
	h.putSession("user1", name, map[string]any{"properties": map[string]any{"custom": map[string]any{"a": 1}}}, http.StatusCreated)
	inv := h.emu.Inventory()
	if len(inv.Sessions) != 1 || inv.Sessions[0].Name != name || len(inv.Sessions[0].Members) != 0 {
		t.Fatalf("sessions = %+v, want %s with no members", inv.Sessions, name)
	}
	// Without the fault the same request stores nothing.
	h = newHarness(t)
	h.putSession("user1", name, map[string]any{"properties": map[string]any{"custom": map[string]any{"a": 1}}}, http.StatusNoContent)
	if inv := h.emu.Inventory(); len(inv.Sessions) != 0 {
		t.Fatalf("sessions = %+v, want none", inv.Sessions)
	}
}

func TestInventoryEndpoint(t *testing.T) {
	t.Run("disabled", func(t *testing.T) {
		h := newHarness(t)
		wantTextError(t, h.do(http.MethodGet, InventoryPath, "user1", nil), http.StatusNotFound, "no resource")
		wantStatus(t, h.do(http.MethodGet, InventoryPath, "", nil), http.StatusUnauthorized)
	})
	t.Run("enabled", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Inventory = true })
		name := uniqueName("inv-http")
		h.join("user2", name)
		r := httptest.NewRequest(http.MethodGet, InventoryPath, nil) // no Authorization needed
		w := httptest.NewRecorder()
		h.emu.ServeHTTP(w, r)
		wantStatus(t, w, http.StatusOK)
		wantJSON(t, w)
		var inv Inventory
		if err := json.Unmarshal(w.Body.Bytes(), &inv); err != nil {
			t.Fatalf("inventory is not JSON: %v\n%s", err, w.Body.String())
		}
		if !reflect.DeepEqual(inv, h.emu.Inventory()) {
			t.Errorf("endpoint answered %+v, Inventory() is %+v", inv, h.emu.Inventory())
		}
		if len(inv.Sessions) != 1 || inv.Sessions[0].Name != name {
			t.Errorf("sessions = %+v", inv.Sessions)
		}
		w = h.do(http.MethodDelete, InventoryPath, "user1", nil)
		wantStatus(t, w, http.StatusMethodNotAllowed)
		if got := w.Header().Get("Allow"); got != "GET, HEAD" {
			t.Errorf("Allow = %q", got)
		}
		// Other paths are unaffected.
		wantTextError(t, h.do(http.MethodGet, "/_emulator/other", "user1", nil), http.StatusNotFound, "no resource")
	})
}

func TestInventoryOfRunCountsOnlyThatRun(t *testing.T) {
	inv := Inventory{
		Sessions: []InventorySession{{InventoryRef: InventoryRef{Name: "mc-run1-aa"}}, {InventoryRef: InventoryRef{Name: "mc-run2-bb"}}},
		Handles: []InventoryHandle{{ID: "h1", SessionRef: InventoryRef{Name: "mc-run1-aa"}},
			{ID: "h2", SessionRef: InventoryRef{Name: "other"}}},
	}
	if got := inv.OfRun("run1"); got != 2 {
		t.Errorf("OfRun(run1) = %d, want 2 (a session and its handle)", got)
	}
	if got := inv.OfRun("run3"); got != 0 {
		t.Errorf("OfRun(run3) = %d, want 0", got)
	}
}
