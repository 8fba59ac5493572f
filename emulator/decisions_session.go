// decisions_session.go holds the decision points of session reads and writes (by path and
// through a handle): path errors, missing sessions, the session document and its headers,
// the accepted request members, conditional requests, and what a write stores. See
// decisions_request.go for what a decision point is.

package emulator

import "net/http"

// ---------------------------------------------------------------------------------------
// Session reads.

// sessionPathErrorReply is the answer to a session request whose path pathRef refused with
// err: err itself (404 for an unknown SCID or template, 400 for an invalid name). Faults:
// session-get-unknown-template-204 answers a GET's 404 with 204, and
// session-put-unknown-template-400 answers a PUT's 404 with 400.
func (e *Emulator) sessionPathErrorReply(method string, err error) reply {
	if ae, ok := err.(*apiError); ok && ae.status == http.StatusNotFound {
		switch {
		case method == http.MethodGet && e.fault(faultSessionGetUnknownTemplate204):
			return emptyReply(http.StatusNoContent)
		case method == http.MethodPut && e.fault(faultSessionPutUnknownTemplate400):
			return errorReply(badRequest("%v", err))
		}
	}
	return errorReply(err)
}

// missingSessionReply is the answer to a read of session ref, which does not exist, by path
// (via nil) or through handle via: 204 No Content. Faults: missing-session-404 answers a
// read by path 404, handle-session-missing-404 a read through a handle.
func (e *Emulator) missingSessionReply(ref sessionRef, via *handle) reply {
	switch {
	case via == nil && e.fault(faultMissingSession404):
		return errorReply(notFound("session %s does not exist", ref.name))
	case via != nil && e.fault(faultHandleSessionMissing404):
		return errorReply(notFound("the session of handle %s does not exist", via.id))
	}
	return emptyReply(http.StatusNoContent)
}

// sessionGetHeaders are the headers of GET of a session by path: those of the session read
// (readSession), with its strong ETag; the ETag is weak (W/) with the session-get-weak-etag
// fault.
func (e *Emulator) sessionGetHeaders(rp reply) reply {
	if tag := rp.header.Get("ETag"); tag != "" && e.fault(faultSessionGetWeakETag) {
		rp.header.Set("ETag", "W/"+tag)
	}
	return rp
}

// sessionDocument is the session document of a response: s rendered for the contract
// version documentContractVersion gives for cv, with the extra-fields variant's members. The
// session-without-correlation-id fault leaves out correlationId.
func (e *Emulator) sessionDocument(s *session, cv int) map[string]any {
	doc := e.extend(s.render(e.documentContractVersion(cv)))
	if e.fault(faultSessionWithoutCorrelationID) {
		delete(doc, "correlationId")
	}
	return doc
}

// ---------------------------------------------------------------------------------------
// Session writes.

// sessionRequestKeys are the accepted top-level members of a session PUT: constants,
// properties, members, servers and roleTypes; without roleTypes with the reject-roletypes
// fault.
func (e *Emulator) sessionRequestKeys() []string {
	if e.fault(faultRejectRoleTypes) {
		return []string{"constants", "properties", "members", "servers"}
	}
	return []string{"constants", "properties", "members", "servers", "roleTypes"}
}

// rejectsUnknownSessionKeys reports whether a session PUT with top-level members other than
// sessionRequestKeys is refused (400): yes; no with the accept-unknown-session-members fault.
func (e *Emulator) rejectsUnknownSessionKeys() bool {
	return !e.fault(faultAcceptUnknownSessionMembers)
}

// meXUIDCheck is the error for members.me naming constants.system.xuid of someone other than
// the caller: none (the caller is the token's user and the given xuid is ignored); 400 with
// the me-xuid-must-match-caller fault.
func (e *Emulator) meXUIDCheck(req *sessionRequest, c *call) error {
	if e.fault(faultMeXuidMustMatchCaller) && req.me != nil && req.me.xuid != "" && req.me.xuid != c.xuid() {
		return badRequest("members.me.constants.system.xuid %s is not the caller's XUID", req.me.xuid)
	}
	return nil
}

// honoursIfNoneMatch reports whether a session PUT's If-None-Match is checked: yes. Faults:
// ignore-if-none-match ignores it on a PUT by path (via nil), handle-put-ignores-if-none-match
// on a PUT through a handle.
func (e *Emulator) honoursIfNoneMatch(via *handle) bool {
	ignored := (via == nil && e.fault(faultIgnoreIfNoneMatch)) || (via != nil && e.fault(faultHandlePutIgnoresIfNoneMatch))
	return !ignored
}

// honoursIfMatch reports whether a session PUT's If-Match is checked: yes. Faults:
// ignore-if-match ignores it on a PUT by path (via nil), handle-put-ignores-if-match on a PUT
// through a handle.
func (e *Emulator) honoursIfMatch(via *handle) bool {
	ignored := (via == nil && e.fault(faultIgnoreIfMatch)) || (via != nil && e.fault(faultHandlePutIgnoresIfMatch))
	return !ignored
}

// ifMatchFails reports whether a session PUT's If-Match (non-empty) fails against the
// existing session cur: unless it is * or lists the current ETag. With the
// if-match-always-stale fault every If-Match of a PUT by path fails.
func (e *Emulator) ifMatchFails(im string, cur *session, via *handle) bool {
	if via == nil && e.fault(faultIfMatchAlwaysStale) {
		return true
	}
	return im != "*" && !etagMatch(im, cur.etag())
}

// storesEmptySession reports whether a session created without members is stored: no (its
// sessionEmptyTimeout is 0, so it is answered 204 and forgotten); yes with the
// store-empty-session fault.
func (e *Emulator) storesEmptySession() bool { return e.fault(faultStoreEmptySession) }

// createdSessionReply is the answer to a session PUT that created s: 201 with the session
// document, its ETag and Content-Location; without the ETag with the
// session-create-without-etag fault.
func (e *Emulator) createdSessionReply(s *session, c *call) reply {
	rp := e.sessionReply(http.StatusCreated, s, c)
	if e.fault(faultSessionCreateWithoutETag) {
		rp.header.Del("ETag")
	}
	return rp
}

// inviteWriteRefusal is the error for a write to the existing session cur through invite
// handle via by a user, or nil. Reference: an invite grants read-only access to a closed
// session, 403; other writes go on as for any caller. Faults:
// closed-session-writable-by-invite lets writes to a closed session through;
// invite-grants-read-only refuses every write by a user who is not a member yet.
func (e *Emulator) inviteWriteRefusal(c *call, cur *session, via *handle) error {
	if via == nil || via.typ != handleInvite || c.isServer() {
		return nil
	}
	if cur.closed() && !e.fault(faultClosedSessionWritableByInvite) {
		return forbidden("session is closed; invite grants read-only access")
	}
	if e.fault(faultInviteGrantsReadOnly) && cur.findMember(c.xuid()) == nil {
		return forbidden("an invite grants read-only access to session %s", cur.ref.name)
	}
	return nil
}

// bumpsChangeNumberOnUpdate reports whether a session PUT that updates a session bumps its
// changeNumber (and so its ETag): yes; no with the session-update-keeps-changenumber fault.
func (e *Emulator) bumpsChangeNumberOnUpdate() bool {
	return !e.fault(faultSessionUpdateKeepsChangeNumber)
}

// emptiedSessionReply is the answer to a write by which the session's last member left (the
// session is deleted): 204. With the handle-put-last-leave-200 fault, a PUT by handle answers
// 200 with the emptied session.
func (e *Emulator) emptiedSessionReply(c *call, via *handle, s *session) reply {
	if via != nil && e.fault(faultHandlePutLastLeave200) {
		return e.sessionReply(http.StatusOK, s, c)
	}
	return emptyReply(http.StatusNoContent)
}

// removesLeftActivities reports whether the activity handles bound to members who left or
// became inactive (and those of a deleted session) are deleted: yes; no with the
// leave-keeps-activity fault.
func (e *Emulator) removesLeftActivities() bool { return !e.fault(faultLeaveKeepsActivity) }
