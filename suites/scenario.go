package suites

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/journal"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// Anonymous makes a request without an Authorization header.
const Anonymous = ""

// The identities every target provides.
const (
	User1  = fixtures.User1
	User2  = fixtures.User2
	User3  = fixtures.User3
	Server = fixtures.Server
)

// cleanupTimeout bounds each cleanup request.
const cleanupTimeout = 30 * time.Second

// Scenario is the per-spec helper: it sends requests as named identities, creates the sessions
// and handles a spec needs (registering their cleanup at once), and keeps every exchange so a
// failed spec's report shows them. Create one per spec with NewScenario; never share one.
type Scenario struct {
	ctx       context.Context
	env       *Env
	exchanges []*mpsdclient.Exchange
}

// SessionRef names a session.
type SessionRef struct {
	SCID, Template, Name string
}

// Handle is a created handle.
type Handle struct {
	ID    string
	Owner string // identity name that created it
	Doc   map[string]any
}

// NewScenario starts the helper for the current spec.
func NewScenario(ctx context.Context) *Scenario {
	GinkgoHelper()
	e := currentEnv()
	Expect(e).NotTo(BeNil(), "suites.Configure was not called")
	s := &Scenario{ctx: ctx, env: e}
	DeferCleanup(func() {
		retries := 0
		for _, ex := range s.exchanges {
			retries += ex.Retries
		}
		if retries > 0 {
			AddReportEntry(RetriesEntry, retries, ReportEntryVisibilityFailureOrVerbose)
		}
		if CurrentSpecReport().Failed() && len(s.exchanges) > 0 {
			parts := make([]string, len(s.exchanges))
			for i, ex := range s.exchanges {
				parts[i] = fmt.Sprintf("[%d] %s", i+1, ex)
			}
			AddReportEntry("HTTP exchanges", strings.Join(parts, "\n"), ReportEntryVisibilityFailureOrVerbose)
		}
	})
	return s
}

// World returns the target's test world.
func (s *Scenario) World() fixtures.Environment { return s.env.World }

// Who returns the named identity. A spec that acts as the server principal must carry the
// NeedsServer decorator, so that it is skipped where there is none; one that does not is a
// defect of the spec, reported as a harness error.
func (s *Scenario) Who(name string) identity.Identity {
	GinkgoHelper()
	id, err := s.env.Identities.Get(name)
	if err != nil && name == Server {
		Fail(HarnessErrorPrefix + "spec defect: it acts as the server principal without the NeedsServer decorator, and the run has no server identity")
	}
	Expect(err).NotTo(HaveOccurred())
	return id
}

// Do sends a request as the named identity (Anonymous for none) and returns the exchange.
// A transport failure fails the spec with the request shown. Prefer the request helpers of
// requests.go, which build the paths.
func (s *Scenario) Do(who, method, path string, opts ...mpsdclient.Option) *mpsdclient.Exchange {
	GinkgoHelper()
	if who != Anonymous {
		opts = append([]mpsdclient.Option{mpsdclient.WithCredential(s.Who(who).Credential())}, opts...)
	}
	ex, err := s.env.Client.Do(s.ctx, method, path, opts...)
	if ex != nil {
		s.exchanges = append(s.exchanges, ex)
	}
	if err != nil {
		detail := ""
		if ex != nil {
			detail = "\n" + ex.String()
		}
		failRequest(errors.New(s.env.Client.Redactor().String(err.Error())), err, detail)
	}
	return ex
}

// RandomGUID returns a random GUID that names nothing on the target.
func RandomGUID() string { return uuid.NewString() }

// NewSessionName returns a session name unique to this run and spec.
func (s *Scenario) NewSessionName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("mc-%s-%s", s.env.RunID, hex.EncodeToString(b[:]))
}

// NewRef returns a fresh reference to a session (not yet created) under the given template.
func (s *Scenario) NewRef(template string) SessionRef {
	return SessionRef{SCID: s.env.World.SCID, Template: template, Name: s.NewSessionName()}
}

// Path returns the session's URL path.
func (r SessionRef) Path() string { return r.pathWith("sessionTemplates") }

// pathWith returns the session's URL path with the given spelling of the sessionTemplates
// literal (which the service matches case-insensitively).
func (r SessionRef) pathWith(segment string) string {
	return fmt.Sprintf("/serviceconfigs/%s/%s/%s/sessions/%s", r.SCID, segment, r.Template, r.Name)
}

// JSON returns the reference as a sessionRef object.
func (r SessionRef) JSON() map[string]any {
	return map[string]any{"scid": r.SCID, "templateName": r.Template, "name": r.Name}
}

// Body renders a body fixture, failing the spec on a fixture error.
func (s *Scenario) Body(name string, vars map[string]any) map[string]any {
	GinkgoHelper()
	m, err := fixtures.BodyMap(name, vars)
	Expect(err).NotTo(HaveOccurred())
	return m
}

// JoinBody is the request that makes who an active member, merged with extra top-level fields.
func (s *Scenario) JoinBody(who string, extra map[string]any) map[string]any {
	GinkgoHelper()
	body := s.Body("session-join", map[string]any{"XUID": s.Who(who).XUID, "RUN_ID": s.env.RunID})
	for k, v := range extra {
		body[k] = mergeValue(body[k], v)
	}
	return body
}

func mergeValue(base, overlay any) any {
	b, ok1 := base.(map[string]any)
	o, ok2 := overlay.(map[string]any)
	if !ok1 || !ok2 {
		return overlay
	}
	for k, v := range o {
		b[k] = mergeValue(b[k], v)
	}
	return b
}

// PutNewSession sends the join request for who to a fresh session name under template and
// registers who's leave, without judging the answer: for specs about session creation itself.
func (s *Scenario) PutNewSession(who, template string) (SessionRef, *mpsdclient.Exchange) {
	GinkgoHelper()
	return s.PutNewSessionBody(who, template, s.JoinBody(who, nil))
}

// PutNewSessionBody sends body as who to a fresh session name under template and registers
// who's leave, without judging the answer.
func (s *Scenario) PutNewSessionBody(who, template string, body map[string]any) (SessionRef, *mpsdclient.Exchange) {
	GinkgoHelper()
	ref := s.NewRef(template)
	s.deferLeave(who, ref) // before the PUT: a crash or lost answer must not lose the session
	return ref, s.PutSession(who, ref, mpsdclient.WithJSON(body))
}

// CreateSession creates a new session under template with who as its first active member
// (extra is merged into the request, e.g. constants), expects 201, and registers cleanup.
func (s *Scenario) CreateSession(who, template string, extra map[string]any) SessionRef {
	GinkgoHelper()
	ref, ex := s.PutNewSessionBody(who, template, s.JoinBody(who, extra))
	blockSetup(ex.Status == http.StatusCreated || ex.Status == http.StatusOK, "SP-CREATE-201", "creating a session", "201 (or 200)", ex)
	return ref
}

// Join makes who an active member of ref; expects 200 or 201 and registers cleanup.
func (s *Scenario) Join(who string, ref SessionRef) *mpsdclient.Exchange {
	GinkgoHelper()
	s.deferLeave(who, ref) // before the PUT: a crash or lost answer must not lose the membership
	ex := s.PutSession(who, ref, mpsdclient.WithJSON(s.JoinBody(who, nil)))
	blockSetup(ex.Status == http.StatusOK || ex.Status == http.StatusCreated, "SP-UPDATE-200", "joining a session", "200 or 201", ex)
	return ex
}

// Leave removes who from ref now.
func (s *Scenario) Leave(who string, ref SessionRef) *mpsdclient.Exchange {
	GinkgoHelper()
	return s.PutSession(who, ref, mpsdclient.WithRawBody(mustBody("session-leave"), "application/json"))
}

// deferLeave records who's membership of ref in the run's journal and registers who's leave.
// Call it before the request that may make who a member, so the journal knows the membership
// even if the run dies before the answer arrives.
func (s *Scenario) deferLeave(who string, ref SessionRef) {
	GinkgoHelper()
	entry := journal.Entry{
		RunID: s.env.RunID, Kind: journal.KindMembership, Identity: journal.Qualify(who, s.env.Process),
		SCID: ref.SCID, Template: ref.Template, Name: ref.Name,
	}
	if err := s.env.Journal.Record(entry); err != nil { // a nil journal records nothing
		AddReportEntry("cleanup problem", err.Error())
	}
	DeferCleanup(func() {
		s.cleanup(who, entry, http.MethodPut, ref.Path(), mpsdclient.WithRawBody(mustBody("session-leave"), "application/json"))
	})
}

// CreateActivity posts an activity handle for who in ref, expects 201 and registers its deletion.
func (s *Scenario) CreateActivity(who string, ref SessionRef) Handle {
	GinkgoHelper()
	return s.createHandle(who, s.ActivityBody(ref), "HC-ACTIVITY-201", "creating an activity handle")
}

// CreateSessionActivity creates a session under the primary template with who as its first
// active member (extra as in CreateSession) and who's activity handle for it.
func (s *Scenario) CreateSessionActivity(who string, extra map[string]any) (SessionRef, Handle) {
	GinkgoHelper()
	ref := s.CreateSession(who, s.env.World.Templates.Primary, extra)
	return ref, s.CreateActivity(who, ref)
}

// ActivityBody is a valid activity handle body for ref: the one place an activity is built.
func (s *Scenario) ActivityBody(ref SessionRef) map[string]any {
	GinkgoHelper()
	return s.Body("activity-handle", map[string]any{"SCID": ref.SCID, "TEMPLATE": ref.Template, "SESSION": ref.Name})
}

// CreateInvite posts an invite from sender to invitee for ref, expects 201 and registers its deletion.
func (s *Scenario) CreateInvite(sender, invitee string, ref SessionRef) Handle {
	GinkgoHelper()
	return s.createHandle(sender, s.InviteBody(invitee, ref), "HC-INVITE-2XX", "creating an invite handle")
}

// InviteBody is a valid invite body for invitee to ref.
func (s *Scenario) InviteBody(invitee string, ref SessionRef) map[string]any {
	GinkgoHelper()
	return s.Body("invite-handle", map[string]any{
		"SCID": ref.SCID, "TEMPLATE": ref.Template, "SESSION": ref.Name,
		"INVITED_XUID": s.Who(invitee).XUID, "TITLE_ID": s.env.World.TitleID,
	})
}

// createHandle posts body as who and registers the new handle's deletion. Setup asks only what
// rule (a doc or wire rule) requires of the answer: a 2xx status and a handle document with
// an id; anything else blocks the spec.
func (s *Scenario) createHandle(who string, body map[string]any, rule, what string) Handle {
	GinkgoHelper()
	ex := s.PostHandle(who, mpsdclient.WithJSON(body))
	blockSetup(is2xx(ex.Status), rule, what, "a 2xx status", ex)
	doc, id, ok := createdHandle(ex)
	blockSetup(ok, rule, what, "a handle document with an id", ex)
	return Handle{ID: id, Owner: who, Doc: doc}
}

// DeferDeleteHandle records handle id (created by who) in the run's journal and registers its
// deletion (as who) when the spec ends. Call it as soon as the 201 names the handle.
func (s *Scenario) DeferDeleteHandle(who, id string) {
	GinkgoHelper()
	entry := journal.Entry{RunID: s.env.RunID, Kind: journal.KindHandle, Identity: journal.Qualify(who, s.env.Process), ID: id}
	// A handle of Anonymous (only a faulty target creates one) is not journaled: no identity
	// could undo it. A journal problem is reported, never a spec failure.
	if who != Anonymous {
		if err := s.env.Journal.Record(entry); err != nil {
			AddReportEntry("cleanup problem", err.Error())
		}
	}
	DeferCleanup(func() { s.cleanup(who, entry, http.MethodDelete, handlePath(id)) })
}

// cleanup sends the cleanup request of the journaled resource entry; a 2xx or 404 is fine and
// is recorded in the journal as done, anything else (including a journal that cannot be
// written) is reported as a "cleanup problem", never failed.
func (s *Scenario) cleanup(who string, entry journal.Entry, method, path string, opts ...mpsdclient.Option) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if who != Anonymous {
		id, err := s.env.Identities.Get(who)
		if err != nil {
			AddReportEntry("cleanup problem", err.Error())
			return
		}
		opts = append([]mpsdclient.Option{mpsdclient.WithCredential(id.Credential())}, opts...)
	}
	ex, err := s.env.Client.Do(ctx, method, path, opts...)
	switch {
	case errors.Is(err, mpsdclient.ErrCredentialRefused):
		// Left pending in the journal; the run says once that the identity's credential was
		// refused and how to sweep what it could not clean up.
	case err != nil:
		AddReportEntry("cleanup problem", s.env.Client.Redactor().String(err.Error()))
	case ex.Status == http.StatusNotFound || (ex.Status >= 200 && ex.Status < 300):
		if who != Anonymous {
			if err := s.env.Journal.Record(entry.Done()); err != nil {
				AddReportEntry("cleanup problem", err.Error())
			}
		}
	default:
		AddReportEntry("cleanup problem", ex.String())
	}
}

// QueryByXUIDs is an activity query body for the given identities' XUIDs in the run's SCID.
func (s *Scenario) QueryByXUIDs(owners ...string) map[string]any {
	GinkgoHelper()
	xuids := make([]string, len(owners))
	for i, o := range owners {
		xuids[i] = s.Who(o).XUID
	}
	return s.Body("query-activity-xuids", map[string]any{"SCID": s.env.World.SCID, "XUIDS": xuids})
}

// QueryByPeople is an activity query body for the moniker of owner's social graph.
func (s *Scenario) QueryByPeople(moniker, owner string) map[string]any {
	GinkgoHelper()
	return s.Body("query-activity-people", map[string]any{
		"SCID": s.env.World.SCID, "MONIKER": moniker, "MONIKER_XUID": s.Who(owner).XUID,
	})
}

// Results decodes a query response's results, failing the spec if the body has none.
func (s *Scenario) Results(ex *mpsdclient.Exchange) []map[string]any {
	GinkgoHelper()
	var body struct {
		Results []map[string]any `json:"results"`
	}
	Expect(ex.DecodeJSON(&body)).To(Succeed(), "%s", ex)
	return body.Results
}

// ResultIDs returns the ids of a query's results.
func (s *Scenario) ResultIDs(ex *mpsdclient.Exchange) []string {
	GinkgoHelper()
	results := s.Results(ex)
	ids := make([]string, 0, len(results))
	for _, r := range results {
		id, _ := r["id"].(string)
		ids = append(ids, strings.ToLower(id))
	}
	return ids
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustBody(name string) []byte {
	GinkgoHelper()
	b, err := fixtures.Body(name, nil)
	Expect(err).NotTo(HaveOccurred())
	return b
}
