package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/journal"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

const (
	sweepRun = "20260102t030405-a1b2c3"
	otherRun = "20260102t030405-d4e5f6"
	sweepKey = "sweep-test-signing-key"
)

// sweepTarget is an in-process emulator with minted identities and a client, on which the
// tests play a run that crashed before its cleanups.
type sweepTarget struct {
	t       *testing.T
	emu     *emulator.Emulator
	world   fixtures.Environment
	ids     *identity.Store
	client  *mpsdclient.Client
	journal *journal.Journal
	jpath   string
}

func newSweepTarget(t *testing.T) *sweepTarget {
	t.Helper()
	world := fixtures.DefaultEnvironment()
	emu, err := emulator.New(emulator.ConfigFromEnvironment(world, []byte(sweepKey)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	ids, err := identity.Mint(world, []byte(sweepKey), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	client, err := mpsdclient.New(srv.URL, mpsdclient.WithRedactor(ids.Redactor()))
	if err != nil {
		t.Fatal(err)
	}
	jpath := filepath.Join(t.TempDir(), "run.journal")
	j, err := journal.Open(jpath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return &sweepTarget{t: t, emu: emu, world: world, ids: ids, client: client, journal: j, jpath: jpath}
}

func (st *sweepTarget) who(name string) identity.Identity {
	st.t.Helper()
	id, err := st.ids.Get(name)
	if err != nil {
		st.t.Fatal(err)
	}
	return id
}

// do sends body (nil for none) as who and requires one of the wanted statuses.
func (st *sweepTarget) do(who, method, path string, body any, want ...int) map[string]any {
	st.t.Helper()
	opts := []mpsdclient.Option{mpsdclient.WithCredential(st.who(who).Credential())}
	if body != nil {
		opts = append(opts, mpsdclient.WithJSON(body))
	}
	ex, err := st.client.Do(context.Background(), method, path, opts...)
	if err != nil {
		st.t.Fatal(err)
	}
	for _, w := range want {
		if ex.Status == w {
			if len(ex.Body) == 0 {
				return nil
			}
			doc, err := ex.Object()
			if err != nil {
				st.t.Fatal(err)
			}
			return doc
		}
	}
	st.t.Fatalf("setup: want %v\n%s", want, ex)
	return nil
}

func (st *sweepTarget) record(e journal.Entry) {
	st.t.Helper()
	if err := st.journal.Record(e); err != nil {
		st.t.Fatal(err)
	}
}

func (st *sweepTarget) ref(run, template, suffix string) sweepRef {
	return sweepRef{SCID: st.world.SCID, Template: template, Name: fmt.Sprintf("mc-%s-%s", run, suffix)}
}

func (st *sweepTarget) joinBody(who string, extra map[string]any) map[string]any {
	st.t.Helper()
	body, err := fixtures.BodyMap("session-join", map[string]any{"XUID": st.who(who).XUID, "RUN_ID": "sweep-test"})
	if err != nil {
		st.t.Fatal(err)
	}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

// join makes who a member of ref, journaling the membership first unless run is "".
func (st *sweepTarget) join(run, who string, ref sweepRef, extra map[string]any) {
	st.t.Helper()
	if run != "" {
		st.record(journal.Entry{RunID: run, Kind: journal.KindMembership, Identity: who, SCID: ref.SCID, Template: ref.Template, Name: ref.Name})
	}
	st.do(who, http.MethodPut, ref.path(), st.joinBody(who, extra), http.StatusOK, http.StatusCreated)
}

// leave ends who's membership and journals it as done.
func (st *sweepTarget) leave(run, who string, ref sweepRef) {
	st.t.Helper()
	st.do(who, http.MethodPut, ref.path(), map[string]any{"members": map[string]any{"me": nil}}, http.StatusOK, http.StatusNoContent)
	st.record(journal.Entry{RunID: run, Kind: journal.KindMembership, Identity: who, SCID: ref.SCID, Template: ref.Template, Name: ref.Name}.Done())
}

// handle creates a handle from a fixture as who and journals it after the 201 unless run is "".
func (st *sweepTarget) handle(run, who, fixture string, ref sweepRef, vars map[string]any) string {
	st.t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars["SCID"], vars["TEMPLATE"], vars["SESSION"] = ref.SCID, ref.Template, ref.Name
	body, err := fixtures.BodyMap(fixture, vars)
	if err != nil {
		st.t.Fatal(err)
	}
	id, _ := st.do(who, http.MethodPost, "/handles", body, http.StatusCreated)["id"].(string)
	if id == "" {
		st.t.Fatal("setup: created handle has no id")
	}
	if run != "" {
		st.record(journal.Entry{RunID: run, Kind: journal.KindHandle, Identity: who, ID: id})
	}
	return id
}

func (st *sweepTarget) invite(run, sender, invitee string, ref sweepRef) string {
	return st.handle(run, sender, "invite-handle", ref, map[string]any{"INVITED_XUID": st.who(invitee).XUID, "TITLE_ID": st.world.TitleID})
}

// ofRun returns the inventory's handles and sessions that belong to run.
func ofRun(inv emulator.Inventory, run string) (handles []emulator.InventoryHandle, sessions []emulator.InventorySession) {
	marker := "-" + run + "-"
	for _, h := range inv.Handles {
		if strings.Contains(h.SessionRef.Name, marker) {
			handles = append(handles, h)
		}
	}
	for _, s := range inv.Sessions {
		if strings.Contains(s.Name, marker) {
			sessions = append(sessions, s)
		}
	}
	return handles, sessions
}

func (st *sweepTarget) sweep(run, journalPath string) (Result, string, error) {
	st.t.Helper()
	var out bytes.Buffer
	res, err := Sweep(context.Background(), st.client, st.ids, st.world, run, journalPath, &out)
	for _, secret := range st.ids.Secrets() {
		if strings.Contains(out.String(), secret) {
			st.t.Fatalf("sweep output shows an Authorization value:\n%s", out.String())
		}
	}
	return res, out.String(), err
}

// TestSweepCleansUpACrashedRun plays a run that died before its cleanups: journaled sessions,
// memberships and handles, a membership journaled but never created, resources already cleaned
// up, and a private session with an activity the journal does not know. A second run's
// resources share the target and the journal.
func TestSweepCleansUpACrashedRun(t *testing.T) {
	st := newSweepTarget(t)
	tpl := st.world.Templates

	// Session A: journaled memberships of user1 and user2, user1's activity and invite.
	a := st.ref(sweepRun, tpl.Primary, "aaaa")
	st.join(sweepRun, "user1", a, nil)
	st.join(sweepRun, "user2", a, nil)
	st.handle(sweepRun, "user1", "activity-handle", a, nil)
	st.invite(sweepRun, "user1", "user3", a)
	// A membership journaled before its PUT, which the crash prevented.
	st.record(journal.Entry{RunID: sweepRun, Kind: journal.KindMembership, Identity: "user2", SCID: a.SCID, Template: tpl.Primary, Name: "mc-" + sweepRun + "-never"})
	// Session D and an invite, cleaned up before the crash (done entries): never touched.
	d := st.ref(sweepRun, tpl.Primary, "dddd")
	st.join(sweepRun, "user1", d, nil)
	inv := st.invite(sweepRun, "user1", "user2", d)
	st.do("user1", http.MethodDelete, "/handles/"+inv, nil, http.StatusNoContent)
	st.record(journal.Entry{RunID: sweepRun, Kind: journal.KindHandle, Identity: "user1", ID: inv}.Done())
	st.leave(sweepRun, "user1", d)
	// Session B: private, user3 and user2 members, user2's activity; none of it journaled.
	b := st.ref(sweepRun, tpl.Secondary, "bbbb")
	st.join("", "user3", b, map[string]any{
		"constants": map[string]any{"system": map[string]any{"visibility": "private"}},
		"members": map[string]any{
			"me":        st.joinBody("user3", nil)["members"].(map[string]any)["me"],
			"reserve_0": map[string]any{"constants": map[string]any{"system": map[string]any{"xuid": st.who("user2").XUID}}},
		},
	})
	st.join("", "user2", b, nil)
	st.handle("", "user2", "activity-handle", b, nil)
	// Another run: user3's session with user1, an activity and an invite, journaled.
	o := st.ref(otherRun, tpl.Primary, "oooo")
	st.join(otherRun, "user3", o, nil)
	st.join(otherRun, "user1", o, nil)
	st.handle(otherRun, "user3", "activity-handle", o, nil)
	st.invite(otherRun, "user3", "user2", o)

	before := st.emu.Inventory()
	if h, s := ofRun(before, sweepRun); len(h) != 3 || len(s) != 2 {
		t.Fatalf("setup: run has %d handles and %d sessions, want 3 and 2: %+v", len(h), len(s), before)
	}
	otherHandles, otherSessions := ofRun(before, otherRun)

	res, out, err := st.sweep(sweepRun, st.jpath)
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	want := Result{HandlesDeleted: 3, MembershipsLeft: 4, AlreadyGone: 1}
	if res != want {
		t.Errorf("first sweep: %+v, want %+v\n%s", res, want, out)
	}
	after := st.emu.Inventory()
	if h, s := ofRun(after, sweepRun); len(h) != 0 || len(s) != 0 {
		t.Errorf("after the sweep the run still has handles %+v and sessions %+v\n%s", h, s, out)
	}
	if h, s := ofRun(after, otherRun); !reflect.DeepEqual(h, otherHandles) || !reflect.DeepEqual(s, otherSessions) {
		t.Errorf("the sweep changed another run's resources:\nbefore %+v %+v\nafter  %+v %+v", otherHandles, otherSessions, h, s)
	}
	if strings.Contains(out, d.Name) || strings.Contains(out, inv) {
		t.Errorf("the sweep touched resources the journal marks done:\n%s", out)
	}
	for _, line := range []string{
		"journal: leave session " + tpl.Primary + "/" + a.Name + " as user2: left",
		"discovery: leave session " + tpl.Secondary + "/" + b.Name + " as user3: left",
		"journal: leave session " + tpl.Primary + "/mc-" + sweepRun + "-never as user2: already gone",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("output has no line %q:\n%s", line, out)
		}
	}

	res, out, err = st.sweep(sweepRun, st.jpath)
	if err != nil {
		t.Fatalf("second sweep: %v\n%s", err, out)
	}
	if want := (Result{AlreadyGone: 5}); res != want {
		t.Errorf("second sweep: %+v, want %+v (everything already gone)\n%s", res, want, out)
	}
	if !reflect.DeepEqual(st.emu.Inventory(), after) {
		t.Errorf("the second sweep changed the target")
	}
}

func TestSweepWithoutJournalDiscoversActivities(t *testing.T) {
	st := newSweepTarget(t)
	a := st.ref(sweepRun, st.world.Templates.Primary, "open")
	st.join("", "user1", a, nil)
	st.join("", "user3", a, nil)
	st.handle("", "user1", "activity-handle", a, nil)
	st.handle("", "user3", "activity-handle", a, nil)
	res, out, err := st.sweep(sweepRun, "")
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	if want := (Result{HandlesDeleted: 2, MembershipsLeft: 2}); res != want {
		t.Errorf("sweep: %+v, want %+v\n%s", res, want, out)
	}
	if h, s := ofRun(st.emu.Inventory(), sweepRun); len(h) != 0 || len(s) != 0 {
		t.Errorf("left behind: %+v %+v", h, s)
	}
}

// TestSweepProblemsDoNotStopIt: entries that cannot be undone are reported and counted, and
// the rest of the journal is still swept.
func TestSweepProblemsDoNotStopIt(t *testing.T) {
	st := newSweepTarget(t)
	a := st.ref(sweepRun, st.world.Templates.Primary, "prob")
	st.join(sweepRun, "user1", a, nil)
	id := st.handle("", "user1", "activity-handle", a, nil)
	// Wrong owner in the journal (403), and an identity the sweep does not have.
	st.record(journal.Entry{RunID: sweepRun, Kind: journal.KindHandle, Identity: "user2", ID: id})
	st.record(journal.Entry{RunID: sweepRun, Kind: journal.KindHandle, Identity: "user9", ID: "00000000-0000-0000-0000-000000000001"})
	res, out, err := st.sweep(sweepRun, st.jpath)
	if !errors.Is(err, ErrProblems) {
		t.Fatalf("sweep error = %v, want ErrProblems\n%s", err, out)
	}
	// The journal's membership is still left (which also removes user1's bound activity).
	if want := (Result{MembershipsLeft: 1, Problems: 2}); res != want {
		t.Errorf("sweep: %+v, want %+v\n%s", res, want, out)
	}
	if !strings.Contains(out, "403 Forbidden") || !strings.Contains(out, "user9") {
		t.Errorf("problems are not described:\n%s", out)
	}
	if h, s := ofRun(st.emu.Inventory(), sweepRun); len(h) != 0 || len(s) != 0 {
		t.Errorf("left behind: %+v %+v", h, s)
	}
}

func TestSweepRejectsBadArguments(t *testing.T) {
	st := newSweepTarget(t)
	for _, run := range []string{"", "Run-1", "run_1", "a/b", "x y"} {
		_, err := Sweep(context.Background(), st.client, st.ids, st.world, run, "", nil)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", run)) {
			t.Errorf("run ID %q: error %v does not name it", run, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.journal")
	if err := os.WriteFile(bad, []byte("{\"runId\":\n{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := Sweep(context.Background(), st.client, st.ids, st.world, sweepRun, bad, &out); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("malformed journal: error %v does not name line 1", err)
	}
	if out.Len() != 0 {
		t.Errorf("a sweep with an unreadable journal acted:\n%s", out.String())
	}
	if _, err := Sweep(context.Background(), st.client, st.ids, st.world, sweepRun, filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("a missing journal is not an error")
	}
}
