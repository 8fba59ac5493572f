package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/journal"
)

// CleanupReport says whether a run left anything on its target.
type CleanupReport struct {
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
}

// Problem returns a message telling the user how to remove what the run left, or "".
func (c CleanupReport) Problem(target, runID string) string {
	switch {
	case c.Error != "":
		return "cleanup could not be checked: " + c.Error
	case c.Pending > 0:
		return fmt.Sprintf("%d created resources were not cleaned up; remove them with: mpsdconf sweep --target %s --run-id %s --journal %s (plus the run's --config or --emulator-token-key)",
			c.Pending, target, runID, c.Journal)
	case c.EmulatorLeftovers != nil && *c.EmulatorLeftovers > 0:
		return fmt.Sprintf("the embedded emulator still holds %d of the run's sessions and handles", *c.EmulatorLeftovers)
	}
	return ""
}

// journalFile is where a run records what it creates.
func journalFile(reportDir, runID string) string {
	p := filepath.Join(reportDir, "journal-"+runID+".jsonl")
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// openJournal opens the run's cleanup journal, creating the report directory.
func openJournal(path string) (*journal.Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create report directory: %w", err)
	}
	j, err := journal.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cleanup journal: %w", err)
	}
	return j, nil
}

// checkCleanup reads the finished run's journal: when every created resource was cleaned up
// the journal is removed, otherwise it is kept for `mpsdconf sweep`. With the embedded
// emulator, the emulator's store is checked too.
func checkCleanup(journalPath, runID string, emu *emulator.Emulator) CleanupReport {
	var c CleanupReport
	if emu != nil {
		n := emu.Inventory().OfRun(runID)
		c.EmulatorLeftovers = &n
	}
	entries, err := journal.Read(journalPath)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	c.Pending = len(journal.Pending(entries, runID))
	if c.Pending > 0 {
		c.Journal = journalPath
		return c
	}
	if err := os.Remove(journalPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		c.Error = err.Error()
	}
	return c
}

// sweepIdentities returns every identity a run may have acted as: the configured or minted
// identities of process 1 under their own names, and those of processes 2..N (derived for an
// emulator, identityPools otherwise) qualified as name@N, as the journal records them.
func sweepIdentities(r resolved) (*identity.Store, error) {
	var all []identity.Identity
	processes := len(r.IdentityPools) + 1
	minted := r.EmulatorTokenKey != ""
	if minted {
		processes = MaxProcs
	}
	worlds, err := workerWorlds(r, processes)
	if err != nil {
		return nil, err
	}
	for k, w := range worlds {
		ids, err := targetIdentities(r, w)
		if err != nil {
			return nil, fmt.Errorf("process %d: %w", k+1, err)
		}
		for _, name := range ids.Names() {
			id, _ := ids.Get(name)
			q := identity.New(journal.Qualify(name, k+1), id.XUID, id.TitleID, id.Server, id.Authorization())
			q.Gamertag = id.Gamertag
			all = append(all, q)
		}
	}
	return identity.NewStore(all...)
}

// RunSweep removes what run runID left on the configured target (see Sweep) and returns the
// exit code: 0 when everything is gone, 2 on a configuration error or anything left.
func RunSweep(ctx context.Context, cfg Config, runID, journalPath string, out, stderr io.Writer) int {
	if cfg.Target == "" {
		fmt.Fprintln(stderr, "mpsdconf sweep: configuration error: target (--target) is required: the base URL of the MPSD the run used")
		return ExitHarness
	}
	r, err := resolve(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf sweep: configuration error: %v\n", err)
		return ExitHarness
	}
	ids, err := sweepIdentities(r)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf sweep: configuration error: %v\n", err)
		return ExitHarness
	}
	client, err := newClient(r, r.Target, ids)
	if err != nil {
		fmt.Fprintf(stderr, "mpsdconf sweep: configuration error: %v\n", err)
		return ExitHarness
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout.D())
	defer cancel()
	if _, err := Sweep(ctx, client, ids, r.world, runID, journalPath, out); err != nil {
		fmt.Fprintf(stderr, "mpsdconf sweep: %s\n", client.Redactor().String(err.Error()))
		return ExitHarness
	}
	return ExitPass
}
