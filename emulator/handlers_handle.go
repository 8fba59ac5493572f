// handlers_handle.go holds the handle handlers: POST /handles (create), GET and DELETE
// /handles/{id}, and GET and PUT /handles/{id}/session (the handle's session, read and
// written with the handle's grants).

package emulator

import "net/http"

// postHandle is POST /handles.
func (e *Emulator) postHandle(c *call) reply {
	p, err := e.parseHandleRequest(c.body)
	if err != nil {
		return errorReply(e.handleRequestError(c.body, p, err))
	}
	if err := e.checkHandleTemplates(p); err != nil {
		return errorReply(err)
	}
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.sessions[p.ref.key()]
	owner, err := e.authorizeHandle(c, p, s)
	if err != nil {
		return errorReply(err)
	}
	h, err := e.createHandle(c, p, s, owner)
	if err != nil {
		return errorReply(err)
	}
	return e.createdHandleReply(c, h, s)
}

// checkHandleTemplates checks that the templates the handle's session references name exist
// (404): the sessionRef's (see checksHandleTemplate) and a transfer's originSessionRef's.
func (e *Emulator) checkHandleTemplates(p *parsedHandle) error {
	if _, err := e.lookupTemplate(p.ref.scid, p.ref.template); err != nil && e.checksHandleTemplate() {
		return err
	}
	if p.typ == handleTransfer && p.origin.scid != "" {
		if _, err := e.lookupTemplate(p.origin.scid, p.origin.template); err != nil {
			return err
		}
	}
	return nil
}

// authorizeHandle decides whether the caller may create the handle p for session s (nil
// when it does not exist). For an activity it returns the caller's member record, which the
// activity is bound to. Lock held.
func (e *Emulator) authorizeHandle(c *call, p *parsedHandle, s *session) (*member, error) {
	switch p.typ {
	case handleActivity:
		return e.activityOwner(c, p.ref, s)
	case handleInvite:
		return nil, e.inviteRefusal(c, p.ref, s)
	}
	return nil, nil
}

// activityOwner is the member an activity for session ref (s, nil when it does not exist)
// is bound to: the caller, a user who must be an accepted member of the session. It is nil
// when requiresActivityMembership lets a non-member through.
func (e *Emulator) activityOwner(c *call, ref sessionRef, s *session) (*member, error) {
	if !c.isUser() {
		return nil, forbidden("server principals cannot own activities; an activity handle needs a user principal")
	}
	var owner *member
	if s != nil {
		owner = s.findMember(c.xuid())
	}
	if owner != nil && !owner.reserved {
		return owner, nil
	}
	if !e.requiresActivityMembership() {
		return nil, nil
	}
	status := e.nonMemberActivityStatus()
	if s == nil {
		return nil, errorf(status, "session %s does not exist; the caller must be a member of the session to set an activity", ref.name)
	}
	return nil, errorf(status, "the caller is not a member of session %s; join it before setting an activity", ref.name)
}

// createdHandleReply is the answer to a created handle: its document with the status,
// Location and Content-Location the decision points give.
func (e *Emulator) createdHandleReply(c *call, h *handle, s *session) reply {
	body, err := e.handleJSON(h)
	if err != nil {
		return errorReply(err)
	}
	rp := rawJSONReply(e.handleCreatedStatus(h, s), body).with("Cache-Control", cacheNoStore)
	loc, contentLoc := e.createdHandleLocations(c, h)
	if loc != "" {
		rp = rp.with("Location", loc)
	}
	if contentLoc != "" {
		rp = rp.with("Content-Location", contentLoc)
	}
	return rp
}

// handleOp names a request on an existing handle, for unknownHandleReply.
type handleOp int

// The requests on an existing handle.
const (
	opGetHandle        handleOp = iota // GET /handles/{id}
	opDeleteHandle                     // DELETE /handles/{id}
	opGetHandleSession                 // GET /handles/{id}/session
	opPutHandleSession                 // PUT /handles/{id}/session
)

// liveHandle finds the live handle the path names for request op; when there is none, ok
// is false and rp is the answer (see unknownHandleReply). Lock held.
func (e *Emulator) liveHandle(c *call, op handleOp) (h *handle, rp reply, ok bool) {
	if h = e.store.lookupHandle(c.params[0], e.now()); h == nil {
		return nil, e.unknownHandleReply(op, c.params[0]), false
	}
	return h, reply{}, true
}

// handleNotFound is the 404 for an unknown, malformed, deleted or expired handle id.
func handleNotFound(id string) reply {
	return errorReply(notFound("handle %s was not found", id))
}

// getHandle is GET /handles/{id}.
func (e *Emulator) getHandle(c *call) reply {
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	if err := e.handleIDError(c.params[0]); err != nil {
		return errorReply(err)
	}
	h, rp, ok := e.liveHandle(c, opGetHandle)
	if !ok {
		return rp
	}
	if rp, ok = e.handleReadAsSession(c, h); ok {
		return rp
	}
	body, err := e.handleJSON(h)
	if err != nil {
		return errorReply(err)
	}
	return e.handleGetReply(h, rawJSONReply(http.StatusOK, body).with("Cache-Control", cacheNoStore))
}

// deleteHandle is DELETE /handles/{id}: the owner (for invites the sender or the invitee) or
// a server principal may delete a handle.
func (e *Emulator) deleteHandle(c *call) reply {
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	h, rp, ok := e.liveHandle(c, opDeleteHandle)
	if !ok {
		return rp
	}
	if !e.mayDelete(c, h) {
		return e.deleteRefusal(h)
	}
	if !e.removesDeletedHandle() {
		return emptyReply(http.StatusNoContent)
	}
	st.removeHandle(h.id)
	return e.deletedReply(h)
}

// getHandleSession is GET /handles/{id}/session.
func (e *Emulator) getHandleSession(c *call) reply {
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	h, rp, ok := e.liveHandle(c, opGetHandleSession)
	if !ok {
		return rp
	}
	if rp, ok = e.handleSessionReadAsHandle(h); ok {
		return rp
	}
	return e.handleSessionHeaders(e.readSession(c, h.ref, h))
}

// putHandleSession is PUT /handles/{id}/session: a session PUT on the handle's session,
// with the handle's grants (an invite lets its invitee join).
func (e *Emulator) putHandleSession(c *call) reply {
	req, perr := e.parseSessionRequest(c.body)
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	h, rp, ok := e.liveHandle(c, opPutHandleSession)
	if !ok {
		return rp
	}
	rp = e.writeSession(c, h.ref, h, req, e.handlePutBodyError(c.body, perr))
	rp.status = e.handlePutStatus(rp.status)
	return rp
}
