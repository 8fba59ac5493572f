package report

import (
	"fmt"
	"strings"
)

// Cleanup says whether a run left anything on its target.
type Cleanup struct {
	// Journal is the cleanup journal kept because something was not cleaned up ("" when the
	// run cleaned up everything and the journal was removed).
	Journal string `json:"journal,omitempty"`
	// Pending counts journaled memberships and handles whose cleanup did not succeed.
	Pending int `json:"pending"`
	// EmulatorLeftovers, for the embedded emulator, counts the run's sessions and handles the
	// emulator still holds after the run (nil for other targets).
	EmulatorLeftovers *int `json:"emulatorLeftovers,omitempty"`
	// Error says why the journal could not be checked, if so.
	Error string `json:"error,omitempty"`
	// RefusedIdentities are the identities whose credential the target refused during the
	// run: what they created could not be removed as them.
	RefusedIdentities []string `json:"refusedIdentities,omitempty"`
}

// Problem returns a message telling the user how to remove what the run left, or "".
func (c Cleanup) Problem(target, runID string) string {
	switch {
	case c.Error != "":
		return "cleanup could not be checked: " + c.Error
	case c.Pending > 0 && len(c.RefusedIdentities) > 0:
		return fmt.Sprintf("%d created resources were not cleaned up, because the credentials of %s were refused; once they work again, remove them with: mpsdconf sweep --target %s --run-id %s --journal %s (plus the run's --config)",
			c.Pending, strings.Join(c.RefusedIdentities, ", "), target, runID, c.Journal)
	case c.Pending > 0:
		return fmt.Sprintf("%d created resources were not cleaned up; remove them with: mpsdconf sweep --target %s --run-id %s --journal %s (plus the run's --config or --emulator-token-key)",
			c.Pending, target, runID, c.Journal)
	case c.EmulatorLeftovers != nil && *c.EmulatorLeftovers > 0:
		return fmt.Sprintf("the embedded emulator still holds %d of the run's sessions and handles", *c.EmulatorLeftovers)
	}
	return ""
}
