package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/journal"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// preflightTimeout bounds the whole preflight.
const preflightTimeout = 2 * time.Minute

// checkedSet is one identity set a run will act as, with its identities, as the preflight
// checks it.
type checkedSet struct {
	set config.IdentitySet
	ids *identity.Store
	// process is the number journal entries qualify the set's identity names with (0 in a
	// single-process run, k+1 for worker k).
	process int
}

// The preflight checks, before any spec runs and before anything is created, that the target
// is an MPSD the run can act on, in two steps:
//
//  1. checkCredentials: every identity of every set gets its credential (signing in where it
//     must), the XUIDs its claims show are compared with the configured ones (and fill in
//     those the configuration left out), and each identity makes one authenticated request
//     (GET of an unknown handle, which MPSD answers 404). A 401 or 403 is a credential
//     problem, reported for every identity at once.
//  2. checkSessions: with throw-away sessions it leaves at once (journaled, so a sweep finds
//     them if the run dies), that the target answers a session PUT like MPSD under both
//     templates, and that the configured XUID of each user whose credential did not say whose
//     it is, is the member the session shows. Then no user may be in two identity sets.
//
// Every problem is a configuration error (exit 2) naming the identity; a target that does not
// answer at all is reported once.

// checkCredentials is step 1 of the preflight.
func checkCredentials(ctx context.Context, client *mpsdclient.Client, sets []*checkedSet) error {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	p := &preflighter{ctx: ctx, client: client}
	return p.credentials(sets)
}

// checkSessions is step 2 of the preflight.
func checkSessions(ctx context.Context, client *mpsdclient.Client, sets []*checkedSet, world fixtures.Environment, runID string, j *journal.Journal, warn io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	p := &preflighter{ctx: ctx, client: client, world: world, runID: runID, journal: j, warn: warn}
	if err := p.sessions(sets); err != nil {
		return err
	}
	return config.NewError(uniqueXUIDs(sets))
}

// preflighter is one preflight in progress.
type preflighter struct {
	ctx     context.Context
	client  *mpsdclient.Client
	world   fixtures.Environment
	runID   string
	journal *journal.Journal
	warn    io.Writer
}

// unknownHandle is the handle the preflight reads: a GUID no handle has.
const unknownHandle = "/handles/00000000-0000-0000-0000-000000000000"

// credentials gets every identity's credential, checks the XUIDs its claims show, and sends
// one authenticated request as each identity.
func (p *preflighter) credentials(sets []*checkedSet) error {
	var problems []string
	for _, cs := range sets {
		for _, name := range cs.ids.Names() {
			id, _ := cs.ids.Get(name)
			cred := id.Credential()
			if _, err := cred.Authorization(p.ctx); err != nil {
				problems = append(problems, p.redact(err)) // "user1 (its source): why"
				continue
			}
			if msg := p.claimedXUID(cs, id); msg != "" {
				problems = append(problems, msg)
				continue
			}
			ex, err := p.client.Do(p.ctx, http.MethodGet, unknownHandle, mpsdclient.WithCredential(cred))
			switch {
			case errors.Is(err, mpsdclient.ErrCredentialUnavailable): // answered 401, not renewed just then
				problems = append(problems, p.redact(err))
				continue
			case err != nil && !errors.Is(err, mpsdclient.ErrCredentialRefused):
				return unreachable(p.client, err)
			}
			if msg := judgeCredential(cred, ex); msg != "" {
				problems = append(problems, msg)
				continue
			}
			if why := unlikeMPSD(ex, false); why != "" {
				return p.fail("%s", notMPSD(p.client, ex, why))
			}
		}
	}
	if len(problems) > 0 {
		return p.fail("these credentials could not be had or the target refused them, so nothing was checked:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// claimedXUID compares the XUID the credential's source claims (sign-in claims, a helper's
// JSON) with the configured one, and fills in one the configuration left out. It returns a
// problem, or "".
func (p *preflighter) claimedXUID(cs *checkedSet, id identity.Identity) string {
	tok := id.Credential().Token()
	switch {
	case id.Server:
		return ""
	case tok.XUID == "" && id.XUID == "":
		return fmt.Sprintf("%s: identities.%s.xuid is not configured and its credential (%s) did not say whose it is: configure the XUID", id.Credential().Name(), id.Name, id.Credential().Source())
	case tok.XUID == "" || tok.XUID == id.XUID:
		return ""
	case id.XUID == "":
		cs.learn(id.Name, tok.XUID, tok.Gamertag)
		return ""
	}
	who := "XUID " + tok.XUID
	if tok.Gamertag != "" {
		who += " (gamertag " + tok.Gamertag + ")"
	}
	return fmt.Sprintf("%s: identities.%s.xuid is %s, but its credential (%s) is for %s: a credential of another account?", id.Credential().Name(), id.Name, id.XUID, id.Credential().Source(), who)
}

// learn records a XUID the credential's claims showed for an identity configured without one.
func (cs *checkedSet) learn(name, xuid, gamertag string) {
	cs.ids.SetXUID(name, xuid, gamertag)
	spec := cs.set.World.Identities[name]
	spec.XUID = xuid
	if spec.Gamertag == "" {
		spec.Gamertag = gamertag
	}
	ids := make(map[string]fixtures.Identity, len(cs.set.World.Identities))
	for n, v := range cs.set.World.Identities {
		ids[n] = v
	}
	ids[name] = spec
	cs.set.World.Identities = ids
}

// judgeCredential says what a 401 or 403 to an identity's own authenticated request means,
// or "" for any other answer.
func judgeCredential(cred *identity.Credential, ex *mpsdclient.Exchange) string {
	if ex == nil || (ex.Status != http.StatusUnauthorized && ex.Status != http.StatusForbidden) {
		return ""
	}
	said := firstBodyLine(ex)
	return fmt.Sprintf("%s (%s): %s %s answered %d %s%s; likely cause: %s",
		cred.Name(), cred.Source(), ex.Method, unknownHandle, ex.Status, http.StatusText(ex.Status), said, likelyCause(cred.Kind(), ex))
}

// likelyCause guesses why the target refused a credential, from the status, what the target
// said and the kind of source.
func likelyCause(kind string, ex *mpsdclient.Exchange) string {
	text := strings.ToLower(string(ex.Body) + " " + ex.Header.Get("WWW-Authenticate"))
	if ex.Status == http.StatusForbidden {
		return "the credential is valid but not allowed here: a token for another sandbox or title (check xboxLive.sandbox and titleId), or a user token without the title's claim (use xboxLive.flow: sisu)"
	}
	switch {
	case kind == identity.KindMinted:
		return "the emulator at the target signs its tokens with another key than --emulator-token-key"
	case strings.Contains(text, "expired"):
		return "the token has expired (XSTS tokens live for hours): renew it, or configure xboxLive or authorizationCommand so runs renew it themselves"
	case kind == identity.KindStatic:
		return "the token has expired or was revoked, or it is not an XSTS token for the relying party http://xboxlive.com (wrong audience): renew it, or configure xboxLive or authorizationCommand so runs renew it themselves"
	case kind == identity.KindCommand:
		return "the helper's value was refused again after running it once more: it may print an expired token or one for another relying party than http://xboxlive.com"
	}
	return "the XSTS token was refused again after signing in once more: check xboxLive.sandbox (the target's sandbox) and the test account's access to the title"
}

// sessions checks that the target answers a session PUT like MPSD under both templates, and
// verifies the XUID of each user whose credential did not say whose it is, each time with a
// throw-away session that is left at once.
func (p *preflighter) sessions(sets []*checkedSet) error {
	if len(sets) == 0 {
		return nil
	}
	first := sets[0]
	for _, template := range []string{p.world.Templates.Primary, p.world.Templates.Secondary} {
		if err := p.probe(first, fixtures.User1, template); err != nil {
			return err
		}
	}
	for _, cs := range sets {
		for _, name := range cs.ids.Names() {
			id, _ := cs.ids.Get(name)
			if id.Server || id.Credential().Token().XUID != "" || (cs == first && name == fixtures.User1) {
				continue
			}
			if err := p.probe(cs, name, p.world.Templates.Primary); err != nil {
				return err
			}
		}
	}
	return nil
}

// probe creates a throw-away session under template as the named identity (journaled before
// the request, left right after it), checks that the answer looks like MPSD's, and compares
// the member XUID it shows with the configured one (for a credential that did not say whose
// it is).
func (p *preflighter) probe(cs *checkedSet, name, template string) error {
	id, err := cs.ids.Get(name)
	if err != nil {
		return config.NewError(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	ref := journal.Entry{RunID: p.runID, Kind: journal.KindMembership, Identity: journal.Qualify(name, cs.process),
		SCID: p.world.SCID, Template: template, Name: fmt.Sprintf("mc-%s-preflight-%s", p.runID, hex.EncodeToString(b[:]))}
	path := fmt.Sprintf("/serviceconfigs/%s/sessionTemplates/%s/sessions/%s", ref.SCID, ref.Template, ref.Name)
	join, err := fixtures.Body("session-join", map[string]any{"XUID": id.XUID, "RUN_ID": p.runID})
	if err != nil {
		return err
	}
	if err := p.journal.Record(ref); err != nil {
		return err
	}
	cred := mpsdclient.WithCredential(id.Credential())
	ex, err := p.client.Do(p.ctx, http.MethodPut, path, cred, mpsdclient.WithRawBody(join, "application/json"))
	switch {
	case errors.Is(err, mpsdclient.ErrCredentialRefused), err == nil && ex.Status/100 != 2:
		_ = p.journal.Record(ref.Done()) // refused: nothing was created
	case err == nil:
		defer p.leave(ref, path, cred)
	} // no answer: the session may exist, so the entry stays for a sweep
	switch {
	case errors.Is(err, mpsdclient.ErrCredentialRefused):
		return p.fail("%v", err)
	case err != nil:
		return unreachable(p.client, err)
	case ex.Status == http.StatusNotFound:
		return p.fail("%s", notMPSD(p.client, ex, fmt.Sprintf("answered 404 to a session PUT under template %q of SCID %s: the base URL (or its path prefix) is wrong, or the SCID or the template does not exist there", template, ref.SCID)))
	case ex.Status == http.StatusForbidden:
		return p.fail("%s (%s) may not create a session under template %q of SCID %s: %s %s answered 403%s; likely cause: the token lacks the title's claim (use xboxLive.flow: sisu) or belongs to another title or sandbox",
			id.Credential().Name(), id.Credential().Source(), template, ref.SCID, ex.Method, "/serviceconfigs/…", firstBodyLine(ex))
	case unlikeMPSD(ex, true) != "":
		return p.fail("%s", notMPSD(p.client, ex, unlikeMPSD(ex, true)))
	case ex.Status/100 != 2 || ex.Status == http.StatusNoContent:
		return nil // not the preflight's to judge: the specs report it
	}
	if id.Credential().Token().XUID != "" || id.Server {
		return nil
	}
	shown := memberXUID(ex)
	switch {
	case shown == "":
		fmt.Fprintf(p.warn, "mpsdconf: preflight: could not check %s's XUID: the session the target created shows no member XUID\n", id.Credential().Name())
	case shown != id.XUID:
		return p.fail("%s (%s): identities.%s.xuid is %s, but the target shows its credential's user as XUID %s: a token of another account (user1's token under user2?)",
			id.Credential().Name(), id.Credential().Source(), name, id.XUID, shown)
	}
	return nil
}

// leave ends the probe's membership and records it done when the target answered 2xx or 404.
func (p *preflighter) leave(ref journal.Entry, path string, cred mpsdclient.Option) {
	leave, err := fixtures.Body("session-leave", nil)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), 30*time.Second)
	defer cancel()
	ex, err := p.client.Do(ctx, http.MethodPut, path, cred, mpsdclient.WithRawBody(leave, "application/json"))
	if err == nil && (ex.Status/100 == 2 || ex.Status == http.StatusNotFound) {
		_ = p.journal.Record(ref.Done())
	}
}

// memberXUID returns the XUID of the only member a session document shows, or "".
func memberXUID(ex *mpsdclient.Exchange) string {
	var doc struct {
		Members map[string]struct {
			Constants struct {
				System struct {
					XUID json.RawMessage `json:"xuid"`
				} `json:"system"`
			} `json:"constants"`
		} `json:"members"`
	}
	if ex.DecodeJSON(&doc) != nil || len(doc.Members) != 1 {
		return ""
	}
	for _, m := range doc.Members {
		var s string
		if json.Unmarshal(m.Constants.System.XUID, &s) == nil {
			return s
		}
		return strings.Trim(string(m.Constants.System.XUID), `"`)
	}
	return ""
}

// uniqueXUIDs checks that no user appears in two identity sets, now that every XUID is known.
func uniqueXUIDs(sets []*checkedSet) error {
	seen := map[string]string{}
	var problems []string
	for _, cs := range sets {
		for _, name := range cs.ids.Names() {
			id, _ := cs.ids.Get(name)
			if id.Server || id.XUID == "" {
				continue
			}
			who := id.Credential().Name()
			if other, dup := seen[id.XUID]; dup {
				problems = append(problems, fmt.Sprintf("%s and %s are the same user (XUID %s): every identity needs a user of its own", other, who, id.XUID))
				continue
			}
			seen[id.XUID] = who
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("identities:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// unreachable reports a target that did not answer the preflight.
func unreachable(client *mpsdclient.Client, err error) error {
	if errors.Is(err, mpsdclient.ErrTransport) {
		return fmt.Errorf("target %s is unreachable: %v", client.BaseURL(), client.Redactor().String(err.Error()))
	}
	return client.Redactor().Error(err)
}

// notMPSD describes a target whose answer is not MPSD's.
func notMPSD(client *mpsdclient.Client, ex *mpsdclient.Exchange, what string) string {
	ct := ex.Header.Get("Content-Type")
	if ct == "" {
		ct = "no Content-Type"
	}
	return fmt.Sprintf("the target at %s does not answer like MPSD: %s %s %s (%d, %s)",
		client.Redactor().String(client.BaseURL()), ex.Method, urlPathOf(ex.URL), what, ex.Status, ct)
}

// unlikeMPSD says why an answer to a preflight request cannot come from an MPSD (a web server,
// a gateway, a login page), or "". MPSD answers JSON or text/plain, implements PUT on
// sessions, and a gateway in front of it that cannot reach it answers 502, 503 or 504. Any
// other answer, right or wrong, is left to the specs to judge.
func unlikeMPSD(ex *mpsdclient.Exchange, sessionPUT bool) string {
	switch {
	case ex.ContentType() == "text/html":
		return "answered with an HTML page, which MPSD never sends"
	case ex.Status == http.StatusBadGateway || ex.Status == http.StatusServiceUnavailable || ex.Status == http.StatusGatewayTimeout:
		return "answered that the service behind it is not available"
	case sessionPUT && (ex.Status == http.StatusMethodNotAllowed || ex.Status == http.StatusNotImplemented):
		return "does not implement PUT of a session"
	case ex.Status/100 == 2 && ex.Status != http.StatusNoContent && !isJSON(ex):
		return "answered 2xx with a body that is not a JSON object"
	}
	return ""
}

// isJSON reports whether a response body is a JSON object.
func isJSON(ex *mpsdclient.Exchange) bool {
	_, err := ex.Object()
	return err == nil
}

// firstBodyLine is ": <first line of the body>", or "" for an empty body. The body is
// redacted before it is cut, so no part of a secret it echoes is left.
func firstBodyLine(ex *mpsdclient.Exchange) string {
	if line := mpsdclient.FirstLine(ex.Redacted(string(ex.Body))); line != "" {
		return ": " + line
	}
	return ""
}

// urlPathOf returns the path of a URL.
func urlPathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return strings.SplitN(u[i+3+j:], "?", 2)[0]
		}
	}
	return u
}

func (p *preflighter) redact(err error) string { return p.client.Redactor().String(err.Error()) }

// fail is a configuration error whose message, which may quote what the target answered, is
// redacted.
func (p *preflighter) fail(format string, args ...any) error {
	return config.Errorf("%s", p.client.Redactor().String(fmt.Sprintf(format, args...)))
}
