// handlers_session.go holds the session handlers, GET and PUT
// /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}, and the session read
// and write they share with GET and PUT /handles/{id}/session: access, conditional requests
// (If-Match, If-None-Match), creating and updating a session.

package emulator

import (
	"net/http"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// getSession is GET /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}.
func (e *Emulator) getSession(c *call) reply {
	ref, err := e.pathRef(c)
	if err != nil {
		return e.sessionPathErrorReply(c.r.Method, err)
	}
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	return e.sessionGetHeaders(e.readSession(c, ref, nil))
}

// putSession is PUT /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}.
func (e *Emulator) putSession(c *call) reply {
	ref, err := e.pathRef(c)
	if err != nil {
		return e.sessionPathErrorReply(c.r.Method, err)
	}
	req, perr := e.parseSessionRequest(c.body)
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	return e.writeSession(c, ref, nil, req, perr)
}

// pathRef resolves the session path parameters, checking SCID, template and name.
func (e *Emulator) pathRef(c *call) (sessionRef, error) {
	ref := sessionRef{scid: c.params[0], template: c.params[1], name: c.params[2]}
	if _, err := e.lookupTemplate(ref.scid, ref.template); err != nil {
		return ref, err
	}
	if !fixtures.IsSessionName(ref.name) {
		return ref, badRequest("session name %q is invalid: use 1 to 99 characters from A-Z a-z 0-9 . _ -", ref.name)
	}
	return ref, nil
}

// lookupTemplate finds a configured template; unknown SCIDs and templates are 404s.
func (e *Emulator) lookupTemplate(scid, template string) (Template, error) {
	sc := e.scids[strings.ToLower(scid)]
	if sc == nil {
		return Template{}, notFound("the requested service config %q is either invalid or not configured for sessions", scid)
	}
	t, ok := sc.templates[strings.ToLower(template)]
	if !ok {
		return Template{}, notFound("session template %q does not exist in service config %s", template, scid)
	}
	return t, nil
}

// readSession answers a session read (by path or through handle via). Lock held.
func (e *Emulator) readSession(c *call, ref sessionRef, via *handle) reply {
	s := e.store.sessions[ref.key()]
	if s == nil {
		return e.missingSessionReply(ref, via)
	}
	if !canRead(s, c, via) {
		return errorReply(forbidden("session %s is private; only its members, reserved users and servers may read it", s.ref.name))
	}
	if inm := strings.TrimSpace(c.r.Header.Get("If-None-Match")); inm != "" && (inm == "*" || etagMatch(inm, s.etag())) {
		return emptyReply(http.StatusNotModified).with("ETag", s.etag()).with("Content-Location", e.sessionLocation(s))
	}
	return e.sessionReply(http.StatusOK, s, c)
}

// canRead reports whether the caller may read s: servers always; anyone unless private;
// otherwise members, reserved users and the invitee of the invite handle used.
func canRead(s *session, c *call, via *handle) bool {
	if c.isServer() || s.visibility() != "private" {
		return true
	}
	if s.findMember(c.xuid()) != nil {
		return true
	}
	return via != nil && via.typ == handleInvite && c.xuid() != "" && via.invited == c.xuid()
}

// etagMatch reports whether the If-Match/If-None-Match list holds etag (verbatim, strong).
func etagMatch(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.TrimSpace(t) == etag {
			return true
		}
	}
	return false
}

// writeSession applies a session PUT (by path, or through handle via); perr is the error
// of parsing its body. Lock held.
func (e *Emulator) writeSession(c *call, ref sessionRef, via *handle, req *sessionRequest, perr error) reply {
	if perr != nil {
		return errorReply(perr)
	}
	tmpl, err := e.lookupTemplate(ref.scid, ref.template)
	if err != nil {
		return errorReply(err)
	}
	cur := e.store.sessions[ref.key()]
	if cur != nil && !canRead(cur, c, via) {
		return errorReply(forbidden("session %s is private; only its members, reserved users and servers may access it", cur.ref.name))
	}
	if rp, failed := e.checkPreconditions(c, cur, via); failed {
		return rp
	}
	now := e.now()
	if cur == nil {
		return e.createSession(c, ref, tmpl, via, req, now)
	}
	return e.updateSession(c, cur, via, req, now)
}

// checkPreconditions answers 412 when the write's If-None-Match lists the existing session's
// ETag (or is * and the session exists) or its If-Match does not (or the session does not
// exist).
func (e *Emulator) checkPreconditions(c *call, cur *session, via *handle) (reply, bool) {
	if inm := strings.TrimSpace(c.r.Header.Get("If-None-Match")); inm != "" && cur != nil && e.honoursIfNoneMatch(via) {
		if inm == "*" || etagMatch(inm, cur.etag()) {
			return emptyReply(http.StatusPreconditionFailed), true
		}
	}
	if im := strings.TrimSpace(c.r.Header.Get("If-Match")); im != "" && e.honoursIfMatch(via) {
		if cur == nil {
			return emptyReply(http.StatusPreconditionFailed), true
		}
		if e.ifMatchFails(im, cur, via) {
			return e.sessionReply(http.StatusPreconditionFailed, cur, c), true
		}
	}
	return reply{}, false
}

// createSession creates session ref from the template and the request. A session left
// without members is not stored (204). Lock held.
func (e *Emulator) createSession(c *call, ref sessionRef, tmpl Template, via *handle, req *sessionRequest, now time.Time) reply {
	s := newSession(ref, tmpl, req, now)
	if _, err := e.applyWrite(s, req, c, via, true, now); err != nil {
		return errorReply(err)
	}
	if len(s.members) == 0 && !e.storesEmptySession() {
		return emptyReply(http.StatusNoContent)
	}
	s.changeNumber = 1
	e.store.sessions[ref.key()] = s
	return e.createdSessionReply(s, c)
}

// updateSession applies the request to a copy of the existing session cur and commits it:
// the session is deleted when its last member left, and the activity handles of members who
// left or became inactive are deleted. Lock held.
func (e *Emulator) updateSession(c *call, cur *session, via *handle, req *sessionRequest, now time.Time) reply {
	if err := e.inviteWriteRefusal(c, cur, via); err != nil {
		return errorReply(err)
	}
	if req.constants != nil {
		rendered, _ := cur.render(c.cv)["constants"].(map[string]any)
		if !subsetOf(req.constants, rendered) {
			return errorReply(errorf(http.StatusConflict, "constants can only be set when the session is created; the request conflicts with the session's constants"))
		}
	}
	s := cur.clone()
	drop, err := e.applyWrite(s, req, c, via, false, now)
	if err != nil {
		return errorReply(err)
	}
	key := cur.ref.key()
	if len(s.members) == 0 {
		delete(e.store.sessions, key)
		if e.removesLeftActivities() {
			e.store.removeSessionActivities(key)
			e.store.removeHandles(drop)
		}
		return e.emptiedSessionReply(c, via, s)
	}
	if e.bumpsChangeNumberOnUpdate() {
		s.changeNumber++
	}
	e.store.sessions[key] = s
	if e.removesLeftActivities() {
		e.store.removeHandles(drop)
	}
	return e.sessionReply(http.StatusOK, s, c)
}
