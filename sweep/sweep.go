// Package sweep removes what a conformance run left on its target (the handles it created and
// the session memberships it holds), from the run's cleanup journal and by discovery:
// `mpsdconf sweep`.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/journal"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// Result counts what a sweep did.
type Result struct {
	// HandlesDeleted counts handles the sweep deleted.
	HandlesDeleted int
	// MembershipsLeft counts memberships the sweep ended by leaving the session.
	MembershipsLeft int
	// AlreadyGone counts handles and memberships that were already gone.
	AlreadyGone int
	// Problems counts the actions that failed (transport errors, unexpected answers).
	Problems int
}

// String summarises the result in one line.
func (r Result) String() string {
	return fmt.Sprintf("%d handles deleted, %d memberships left, %d already gone, %d problems",
		r.HandlesDeleted, r.MembershipsLeft, r.AlreadyGone, r.Problems)
}

// runIDPattern is what a sweepable run ID looks like (the runner's IDs are lower-case time
// and hex, joined with '-').
var runIDPattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// ErrProblems is wrapped by the error Sweep returns when some actions failed.
var ErrProblems = errors.New("some resources could not be cleaned up")

// Sweep removes what the run runID left on the target: the handles it created and the
// session memberships it holds. It works in two steps, printing one line per action to out:
//
//  1. With a journal (journalPath not empty), every handle and membership the journal records
//     for runID and does not mark done is undone as the identity that created it: handles are
//     deleted, sessions are left with the session-leave body.
//  2. Discovery, which needs no journal: for each user identity, the activity handles it owns
//     in world.SCID are queried; every one whose session name contains "-<runID>-" is deleted
//     (as its owner), and its session is left by every identity that is still a member.
//
// A 2xx or 404 answer means done (a resource found already gone is counted as such); any
// other answer or a transport error is reported and counted as a problem, and the sweep goes
// on. Sweep returns an error wrapping ErrProblems when there were problems, and an error
// before any request when the arguments are invalid or the journal cannot be read. Sweep does
// not write to the journal, so sweeping again is harmless: everything is then already gone.
//
// Handles the journal does not know (a crash between the 201 and its record) are found only
// if they are activity handles: the handles query cannot list invite, transfer or search
// handles. Authorization values are never printed.
func Sweep(ctx context.Context, client *mpsdclient.Client, ids *identity.Store, world fixtures.Environment,
	runID string, journalPath string, out io.Writer) (Result, error) {
	if !runIDPattern.MatchString(runID) {
		return Result{}, fmt.Errorf("sweep: run ID %q is invalid: it must be non-empty and use only a-z, 0-9 and -", runID)
	}
	if client == nil || ids == nil {
		return Result{}, errors.New("sweep: a client and identities are required")
	}
	if out == nil {
		out = io.Discard
	}
	var pending []journal.Entry
	if journalPath != "" {
		entries, err := journal.Read(journalPath)
		if err != nil {
			return Result{}, fmt.Errorf("sweep: %w", err)
		}
		pending = journal.Pending(entries, runID)
	}
	sw := &sweeper{
		ctx: ctx, client: client, ids: ids, world: world, runID: runID, out: out,
		handlesDone: map[string]bool{}, leftDone: map[string]bool{},
	}
	if journalPath != "" {
		sw.printf("journal %s: %d pending entries for run %s", journalPath, len(pending), runID)
	}
	sw.undoJournal(pending)
	sw.discover()
	sw.printf("sweep of run %s: %s", runID, sw.res)
	if sw.res.Problems > 0 {
		return sw.res, fmt.Errorf("sweep of run %s: %w (%d problems)", runID, ErrProblems, sw.res.Problems)
	}
	return sw.res, nil
}

// sweeper is one sweep in progress.
type sweeper struct {
	ctx    context.Context
	client *mpsdclient.Client
	ids    *identity.Store
	world  fixtures.Environment
	runID  string
	out    io.Writer
	res    Result

	handlesDone map[string]bool // lower-cased handle ids already dealt with
	leftDone    map[string]bool // identity + session key already dealt with
}

// sweepRef names a session the sweep deals with.
type sweepRef struct {
	SCID     string `json:"scid"`
	Template string `json:"templateName"`
	Name     string `json:"name"`
}

func (r sweepRef) path() string {
	return fmt.Sprintf("/serviceconfigs/%s/sessionTemplates/%s/sessions/%s", r.SCID, r.Template, r.Name)
}

func (r sweepRef) key() string {
	return strings.ToLower(r.SCID + "/" + r.Template + "/" + r.Name)
}

// String names the session as its template and name.
func (r sweepRef) String() string { return r.Template + "/" + r.Name }

// printf prints one line, with every secret redacted.
func (sw *sweeper) printf(format string, args ...any) {
	fmt.Fprintln(sw.out, sw.client.Redactor().String(fmt.Sprintf(format, args...)))
}

// problem counts and prints a failed action.
func (sw *sweeper) problem(format string, args ...any) {
	sw.res.Problems++
	sw.printf("problem: "+format, args...)
}

// send makes one request as who. A transport error or an interrupted sweep is a problem,
// reported here; the exchange is then nil.
func (sw *sweeper) send(who identity.Identity, what, method, path string, opts ...mpsdclient.Option) *mpsdclient.Exchange {
	if err := sw.ctx.Err(); err != nil {
		sw.problem("%s as %s: not attempted: %v", what, who.Name, err)
		return nil
	}
	opts = append([]mpsdclient.Option{mpsdclient.WithCredential(who.Credential())}, opts...)
	ex, err := sw.client.Do(sw.ctx, method, path, opts...)
	if err != nil {
		sw.problem("%s as %s: %v", what, who.Name, err)
		return nil
	}
	return ex
}

// unexpected describes an answer that is neither 2xx nor 404, with the start of its body.
func unexpected(ex *mpsdclient.Exchange) string {
	msg := ex.Summary()
	if line := mpsdclient.FirstLine(ex.Redacted(string(ex.Body))); line != "" {
		msg += ": " + line // redacted before it is cut, so no part of a secret is left
	}
	return msg
}

// identityByName returns the named identity, reporting a problem when there is none.
func (sw *sweeper) identityByName(name, what string) (identity.Identity, bool) {
	id, err := sw.ids.Get(name)
	if err != nil {
		sw.problem("%s: %v", what, err)
		return identity.Identity{}, false
	}
	return id, true
}

// undoJournal undoes the journal's pending entries: handles first (a leave may delete a bound
// activity, which would then only show up as already gone), then memberships.
func (sw *sweeper) undoJournal(pending []journal.Entry) {
	for _, e := range pending {
		if e.Kind != journal.KindHandle {
			continue
		}
		if who, ok := sw.identityByName(e.Identity, "handle "+e.ID); ok {
			sw.deleteHandle(who, e.ID, "journal")
		}
	}
	for _, e := range pending {
		if e.Kind != journal.KindMembership {
			continue
		}
		ref := sweepRef{SCID: e.SCID, Template: e.Template, Name: e.Name}
		if who, ok := sw.identityByName(e.Identity, "membership of "+ref.String()); ok {
			sw.leaveIfMember(who, ref, "journal")
		}
	}
}

// deleteHandle deletes handle id as who.
func (sw *sweeper) deleteHandle(who identity.Identity, id, source string) {
	key := strings.ToLower(id)
	if sw.handlesDone[key] {
		return
	}
	sw.handlesDone[key] = true
	what := fmt.Sprintf("%s: delete handle %s", source, id)
	sw.tally(who, what, sw.send(who, what, http.MethodDelete, "/handles/"+id), &sw.res.HandlesDeleted, "deleted")
}

// tally counts the answer to one cleanup request: a 2xx adds to done, a 404 means already
// gone, anything else is a problem; nil (no answer) was already reported by send.
func (sw *sweeper) tally(who identity.Identity, what string, ex *mpsdclient.Exchange, done *int, verb string) {
	switch {
	case ex == nil:
	case ex.Status == http.StatusNotFound:
		sw.res.AlreadyGone++
		sw.printf("%s as %s: already gone", what, who.Name)
	case ex.Status >= 200 && ex.Status < 300:
		*done++
		sw.printf("%s as %s: %s", what, who.Name, verb)
	default:
		sw.problem("%s as %s: %s", what, who.Name, unexpected(ex))
	}
}

// sessionMembers reads the session as who and returns its members' XUIDs; gone is true when
// the session does not exist (204 or 404). ok is false when the session could not be read.
func (sw *sweeper) sessionMembers(who identity.Identity, ref sweepRef) (xuids map[string]bool, gone, ok bool) {
	ex, err := sw.client.Do(sw.ctx, http.MethodGet, ref.path(), mpsdclient.WithCredential(who.Credential()))
	if err != nil || (ex.Status != http.StatusOK && ex.Status != http.StatusNoContent && ex.Status != http.StatusNotFound) {
		return nil, false, false
	}
	if ex.Status != http.StatusOK {
		return nil, true, true
	}
	var doc struct {
		Members map[string]struct {
			Constants struct {
				System struct {
					XUID string `json:"xuid"`
				} `json:"system"`
			} `json:"constants"`
		} `json:"members"`
	}
	if err := ex.DecodeJSON(&doc); err != nil {
		return nil, false, false
	}
	xuids = map[string]bool{}
	for _, m := range doc.Members {
		if m.Constants.System.XUID != "" {
			xuids[m.Constants.System.XUID] = true
		}
	}
	return xuids, false, true
}

// readMembers reads the session's members as who, or as a server principal if who may not
// read it (see sessionMembers).
func (sw *sweeper) readMembers(who identity.Identity, ref sweepRef) (xuids map[string]bool, gone, ok bool) {
	xuids, gone, ok = sw.sessionMembers(who, ref)
	if !ok {
		if server, found := sw.server(); found {
			return sw.sessionMembers(server, ref)
		}
	}
	return xuids, gone, ok
}

// leaveIfMember ends who's membership of ref. The session is read first (as who, or as a
// server principal if who may not read it) so a membership that is already gone is counted as
// such; when it cannot be read, the leave is sent anyway and judged by its answer.
func (sw *sweeper) leaveIfMember(who identity.Identity, ref sweepRef, source string) {
	key := who.Name + "\x00" + ref.key()
	if sw.leftDone[key] {
		return
	}
	sw.leftDone[key] = true
	what := fmt.Sprintf("%s: leave session %s", source, ref)
	members, gone, ok := sw.readMembers(who, ref)
	if ok && (gone || (who.XUID != "" && !members[who.XUID])) {
		sw.res.AlreadyGone++
		sw.printf("%s as %s: already gone", what, who.Name)
		return
	}
	leave, err := fixtures.Body("session-leave", nil)
	if err != nil {
		sw.problem("%s as %s: %v", what, who.Name, err)
		return
	}
	ex := sw.send(who, what, http.MethodPut, ref.path(), mpsdclient.WithRawBody(leave, "application/json"))
	sw.tally(who, what, ex, &sw.res.MembershipsLeft, "left")
}

// server returns a server principal of the store, if there is one.
func (sw *sweeper) server() (identity.Identity, bool) {
	for _, name := range sw.ids.Names() {
		if id, err := sw.ids.Get(name); err == nil && id.Server {
			return id, true
		}
	}
	return identity.Identity{}, false
}

// users returns the store's user identities (those with a XUID), sorted by name.
func (sw *sweeper) users() []identity.Identity {
	var out []identity.Identity
	for _, name := range sw.ids.Names() {
		if id, err := sw.ids.Get(name); err == nil && !id.Server && id.XUID != "" {
			out = append(out, id)
		}
	}
	return out
}
