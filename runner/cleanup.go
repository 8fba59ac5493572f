package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/internal/journal"
	"github.com/mpsdconf/mpsdconf/report"
)

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

// abandonJournal ends the journal of a run that stopped before its specs (the preflight
// failed, err): it is removed when nothing is pending, else kept and err says how to sweep
// what the preflight left.
func abandonJournal(err error, journalPath, runID string) error {
	c := checkCleanup(journalPath, runID, nil)
	if c.Pending == 0 {
		return err
	}
	return fmt.Errorf("%w\n(the preflight left %d throw-away session memberships; mpsdconf sweep --run-id %s --journal %s removes them)", err, c.Pending, runID, journalPath)
}

// checkCleanup reads the finished run's journal: when every created resource was cleaned up
// the journal is removed, otherwise it is kept for `mpsdconf sweep`. With the embedded
// emulator, the emulator's store is checked too.
func checkCleanup(journalPath, runID string, emu *emulator.Emulator) report.Cleanup {
	var c report.Cleanup
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
