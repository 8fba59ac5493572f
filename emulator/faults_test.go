package emulator

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
)

func TestFaultCatalog(t *testing.T) {
	t.Parallel()
	got := map[string]string{}
	for _, f := range Faults() {
		if f.Name == "" || f.Rule == "" || f.Description == "" {
			t.Errorf("incomplete fault %+v", f)
		}
		if _, dup := got[f.Name]; dup {
			t.Errorf("fault %s listed twice", f.Name)
		}
		got[f.Name] = f.Rule
	}
	want := map[string]string{
		"skip-contract-version-check":        "HDR-CV-INVALID-4XX",
		"allow-private-query-for-users":      "HQ-PRIVATE-403",
		"accept-missing-authorization":       "AUTH-MISSING-401",
		"accept-forged-token":                "AUTH-FORGED-401",
		"activity-answers-200":               "HC-ACTIVITY-201",
		"drop-handle-content-location":       "HC-ACTIVITY-LOCATION",
		"no-changenumber-bump":               "HC-CHANGENUMBER-BUMP",
		"malformed-json-500":                 "HC-INVALID-BODY-400",
		"skip-activity-replacement":          "HC-ACTIVITY-REPLACE-SESSION",
		"invite-ignores-owners":              "HC-INVITE-NONOWNER-4XX",
		"nonowner-invite-404":                "HC-INVITE-NONOWNER-403",
		"search-drops-attributes":            "HC-SEARCH-2XX",
		"search-answers-200":                 "HC-SEARCH-201",
		"forget-to-delete-handle":            "HD-2XX",
		"delete-ignores-owner":               "HD-OTHER-USER-4XX",
		"delete-by-others-404":               "HD-OTHER-USER-403",
		"invite-refuses-closed-session":      "HC-INVITE-CLOSED-2XX",
		"closed-invite-answers-200":          "HC-INVITE-CLOSED-201",
		"invite-drops-invited-xuid":          "HC-INVITE-2XX",
		"private-query-without-xuid-allowed": "HQ-PRIVATE-NO-XUID-403",
		"closed-session-writable-by-invite":  "HSP-INVITE-CLOSED-403",
		"ignore-if-match":                    "SP-IF-MATCH-412",
	}
	// Names are kebab-case and say what the emulator does wrong; rules are unique.
	rules := map[string]string{}
	for _, f := range Faults() {
		if !kebabCase(f.Name) {
			t.Errorf("fault name %q is not kebab-case", f.Name)
		}
		if other, dup := rules[f.Rule]; dup {
			t.Errorf("faults %s and %s both break %s", other, f.Name, f.Rule)
		}
		rules[f.Rule] = f.Name
	}
	for name, rule := range want {
		if got[name] != rule {
			t.Errorf("fault %s breaks %q, want %q", name, got[name], rule)
		}
	}
	// Faults returns a copy.
	Faults()[0].Name = "changed"
	if Faults()[0].Name == "changed" {
		t.Error("Faults exposes the catalog")
	}
}

// Each fault breaks its rule and only its rule: with the fault on, the rule's probe passes
// where it must fail, and the other fault's probe still behaves.
func TestFaultsBreakExactlyTheirRule(t *testing.T) {
	t.Parallel()
	cvProbe := func(h *harness) int {
		return h.do(http.MethodGet, h.sessionPath("fault-cv"), "user1", nil, "X-Xbl-Contract-Version", noHeader).Code
	}
	badCVProbe := func(h *harness) int {
		return h.do(http.MethodGet, h.sessionPath("fault-cv"), "user1", nil, "X-Xbl-Contract-Version", "abc").Code
	}
	privateProbe := func(h *harness) int {
		return h.do(http.MethodPost, "/handles/query?private=true", "user1", h.xuidsQuery("user1")).Code
	}
	otherXUIDProbe := func(h *harness) int {
		return h.do(http.MethodPost, "/handles/query?reservations=true&xuid="+h.xuid("user2"), "user1", h.xuidsQuery("user1")).Code
	}
	tests := []struct {
		faults                     []string
		cv, badCV, private, others int
	}{
		{nil, 400, 400, 403, 403},
		{[]string{faultSkipContractVersionCheck}, 204, 204, 403, 403},
		{[]string{faultAllowPrivateQueryForUsers}, 400, 400, 403, 200},
		{[]string{faultPrivateQueryWithoutXuidAllowed}, 400, 400, 200, 403},
		{[]string{faultSkipContractVersionCheck, faultAllowPrivateQueryForUsers}, 204, 204, 403, 200},
		{[]string{faultAllowPrivateQueryForUsers, faultPrivateQueryWithoutXuidAllowed}, 400, 400, 200, 200},
	}
	for _, tc := range tests {
		h := newHarness(t, func(c *Config) { c.Faults = tc.faults })
		got := []int{cvProbe(h), badCVProbe(h), privateProbe(h), otherXUIDProbe(h)}
		want := []int{tc.cv, tc.badCV, tc.private, tc.others}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("faults %v: probe %d got %d, want %d", tc.faults, i, got[i], want[i])
			}
		}
		// Unrelated rules hold with any fault: auth and query-string validation.
		if c := h.do(http.MethodGet, h.sessionPath("x"), "", nil).Code; c != http.StatusUnauthorized {
			t.Errorf("faults %v: unauthenticated request got %d", tc.faults, c)
		}
		if c := h.do(http.MethodPost, "/handles/query?private=true&take=101", "user1", h.xuidsQuery("user1")).Code; c != http.StatusBadRequest {
			t.Errorf("faults %v: take=101 got %d", tc.faults, c)
		}
	}
	// A faulted contract-version check renders sessions as contract 107.
	h := newHarness(t, func(c *Config) { c.Faults = []string{faultSkipContractVersionCheck} })
	w := h.do(http.MethodPut, h.sessionPath(uniqueName("nocv")), "user1", h.joinBody("user1"), "X-Xbl-Contract-Version", noHeader)
	wantStatus(t, w, http.StatusCreated)
	if num(decode(t, w)["contractVersion"]) != 107 {
		t.Errorf("contractVersion %v", decode(t, w)["contractVersion"])
	}
}

func kebabCase(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && s[i-1] != '-') {
			return false
		}
	}
	return true
}

// Every fault can be switched on, and a faulted emulator still serves an ordinary session,
// handle and query round trip without a 500 (only the *-500 faults answer 500, and only to
// malformed JSON).
func TestEveryFaultServesOrdinaryRequests(t *testing.T) {
	t.Parallel()
	for _, f := range Faults() {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.Faults = []string{f.Name} })
			name := uniqueName("fault")
			for _, w := range []*httptest.ResponseRecorder{
				h.do(http.MethodPut, h.sessionPath(name), "user1", h.joinBody("user1")),
				h.do(http.MethodGet, h.sessionPath(name), "user1", nil),
				h.do(http.MethodPost, "/handles", "user1", h.activityBody(name)),
				h.do(http.MethodPost, "/handles", "user1", h.inviteBody(name, "user2")),
				h.do(http.MethodPost, "/handles/query", "user1", h.xuidsQuery("user1")),
				h.do(http.MethodGet, "/handles/"+uuid.NewString(), "user1", nil),
			} {
				if w.Code >= 500 {
					t.Errorf("fault %s: ordinary request answered %d: %s", f.Name, w.Code, w.Body)
				}
			}
		})
	}
}
