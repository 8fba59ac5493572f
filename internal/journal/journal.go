// Package journal is the cleanup journal of a conformance run: an append-only JSON-lines file
// recording every resource the run creates on the target, so that a run that crashed (or was
// killed) before its cleanups ran can be cleaned up afterwards by `mpsdconf sweep`.
//
// Every line is one Entry. A membership (the run made an identity a member of a session) is
// recorded BEFORE the request that creates it is sent, so a crash between sending the request
// and recording it cannot lose the resource. A handle's id is chosen by the target, so a handle
// can only be recorded after the 201 that names it: a crash in that gap leaves a handle the
// journal does not know. The sweep's discovery step (querying the target for the run's
// activity handles) covers that gap for activity handles; the leave of the recorded membership
// also removes the member's bound activity. When a cleanup succeeds, a "done" entry naming the
// same resource is appended, so a sweep skips it.
//
// Entries are appended with a single write(2) on a file opened with O_APPEND, so the lines of
// concurrent writers (goroutines, or parallel processes sharing the file) never interleave.
// Records are not fsynced: the journal protects against the run crashing, not the machine.
package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
)

// Entry kinds.
const (
	// KindMembership records that Identity was made a member of the session SCID, Template,
	// Name. It is undone by leaving the session as Identity.
	KindMembership = "membership"
	// KindHandle records that Identity created the handle ID. It is undone by deleting the
	// handle as Identity.
	KindHandle = "handle"
	// KindDone records that the resource of kind Of, identified by the other fields, was
	// cleaned up.
	KindDone = "done"
)

// Entry is one line of the journal.
type Entry struct {
	// RunID is the run that created the resource.
	RunID string `json:"runId"`
	// Kind is KindMembership, KindHandle or KindDone.
	Kind string `json:"kind"`
	// Of is, for a KindDone entry, the kind of the resource cleaned up.
	Of string `json:"of,omitempty"`
	// Identity is the name of the identity that created the resource (and must undo it);
	// in process N > 1 of a multi-process run it is qualified as "name@N" (see Qualify).
	Identity string `json:"identity"`
	// SCID, Template and Name name the session of a membership.
	SCID     string `json:"scid,omitempty"`
	Template string `json:"template,omitempty"`
	Name     string `json:"name,omitempty"`
	// ID is the id of a handle.
	ID string `json:"id,omitempty"`
}

// Qualify names identity name as used by process (1-based) of a multi-process run: each
// process acts as its own identity set, so "user1" of process 3 is "user1@3". Process 0 or 1
// keeps the plain name.
func Qualify(name string, process int) string {
	if process <= 1 {
		return name
	}
	return fmt.Sprintf("%s@%d", name, process)
}

// Validate reports whether the entry has the fields its kind needs.
func (e Entry) Validate() error {
	if e.RunID == "" {
		return errors.New("runId is empty")
	}
	if e.Identity == "" {
		return errors.New("identity is empty")
	}
	kind := e.Kind
	switch e.Kind {
	case KindMembership, KindHandle:
		if e.Of != "" {
			return fmt.Errorf("of is only allowed on %s entries", KindDone)
		}
	case KindDone:
		if e.Of != KindMembership && e.Of != KindHandle {
			return fmt.Errorf("of %q must be %s or %s", e.Of, KindMembership, KindHandle)
		}
		kind = e.Of
	default:
		return fmt.Errorf("kind %q must be %s, %s or %s", e.Kind, KindMembership, KindHandle, KindDone)
	}
	if kind == KindMembership && (e.SCID == "" || e.Template == "" || e.Name == "") {
		return errors.New("a membership needs scid, template and name")
	}
	if kind == KindHandle && e.ID == "" {
		return errors.New("a handle needs an id")
	}
	return nil
}

// Done returns the entry that marks e's resource as cleaned up.
func (e Entry) Done() Entry {
	d := e
	if d.Kind != KindDone {
		d.Of, d.Kind = d.Kind, KindDone
	}
	return d
}

// key identifies the resource an entry is about (case-insensitively, as MPSD compares names
// and GUIDs), within its run.
func (e Entry) key() string {
	kind := e.Kind
	if kind == KindDone {
		kind = e.Of
	}
	parts := []string{e.RunID, kind, e.Identity}
	if kind == KindHandle {
		parts = append(parts, strings.ToLower(e.ID))
	} else {
		parts = append(parts, strings.ToLower(e.SCID), strings.ToLower(e.Template), strings.ToLower(e.Name))
	}
	return strings.Join(parts, "\x00")
}

// Pending returns the resources of runID that still need cleaning up: every membership and
// handle entry whose last mention is not a done entry, each resource once, in the order they
// were first recorded.
func Pending(entries []Entry, runID string) []Entry {
	last := map[string]int{}
	for i, e := range entries {
		if e.RunID == runID {
			last[e.key()] = i
		}
	}
	var out []Entry
	seen := map[string]bool{}
	for _, e := range entries {
		k := e.key()
		if e.RunID != runID || e.Kind == KindDone || seen[k] || entries[last[k]].Kind == KindDone {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// Journal appends entries to a journal file. It is safe for concurrent use. A nil *Journal is
// a valid, disabled journal: Record and Close do nothing.
type Journal struct {
	path string
	mu   sync.Mutex
	f    *os.File // nil once closed
}

// Open opens the journal at path for appending, creating it (mode 0600) if needed.
func Open(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: open: %w", err)
	}
	return &Journal{path: path, f: f}, nil
}

// Path returns the journal's file name ("" for a nil journal).
func (j *Journal) Path() string {
	if j == nil {
		return ""
	}
	return j.path
}

// Record validates e and appends it as one line, with a single write.
func (j *Journal) Record(e Entry) error {
	if j == nil {
		return nil
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("journal: record %s entry: %w", e.Kind, err)
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal: encode %s entry: %w", e.Kind, err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("journal: record %s entry: %s is closed", e.Kind, j.path)
	}
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("journal: append to %s: %w", j.path, err)
	}
	return nil
}

// Close closes the journal file. Closing a nil or closed journal does nothing.
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	if err != nil {
		return fmt.Errorf("journal: close %s: %w", j.path, err)
	}
	return nil
}

// Read returns every entry of the journal at path, in the order they were written. A last
// line without its newline that does not decode is the write a crash cut short: it is ignored.
// Any other line that is not a valid entry is an error naming its line number. Blank lines
// are skipped.
func Read(path string) ([]Entry, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("journal: read: %w", err)
	}
	lines := bytes.Split(raw, []byte("\n"))
	var entries []Entry
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		truncated := i == len(lines)-1 // the file does not end with a newline
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			if truncated {
				break
			}
			return nil, fmt.Errorf("journal: %s:%d: malformed entry: %w", path, i+1, err)
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("journal: %s:%d: invalid entry: %w", path, i+1, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}
